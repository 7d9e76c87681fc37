// System calls whose first use in a workload says nothing about an attack: file I/O and
// metadata, memory, time, signals, process and thread bookkeeping, polling, sockets and
// IPC. Any code path the learning phase did not exercise uses them — a restart's shutdown
// path, a rare autovacuum, a `cp` preserving attributes — and every new binary does; the
// attack itself shows as the new binary, file, connection or listener (judged as such),
// or as one of the calls *not* listed here: privilege and identity (set*id, capset),
// namespaces and mounts, tracing (ptrace, process_vm_*), kernel interfaces (bpf,
// perf_event_open, init_module, keyctl, userfaultfd, io_uring), fileless execution
// (memfd_create, execveat), device nodes, extended attributes set (file capabilities),
// clock and host changes, chroot, personality. The baseline still learns every call
// (the seccomp export needs them all); only novelty of these ordinary ones stays quiet.
export const ORDINARY_SYSCALLS: ReadonlySet<string> = new Set([
  // files: open, read, write, metadata, directories, links
  'read', 'write', 'pread64', 'pwrite64', 'readv', 'writev', 'preadv', 'pwritev', 'preadv2', 'pwritev2',
  'open', 'openat', 'openat2', 'creat', 'close', 'close_range', 'lseek', 'stat', 'fstat', 'lstat', 'newfstatat',
  'statx', 'statfs', 'fstatfs', 'access', 'faccessat', 'faccessat2', 'readlink', 'readlinkat', 'getdents',
  'getdents64', 'fcntl', 'flock', 'fsync', 'fdatasync', 'sync_file_range', 'syncfs', 'sync', 'fallocate',
  'ftruncate', 'truncate', 'rename', 'renameat', 'renameat2', 'unlink', 'unlinkat', 'mkdir', 'mkdirat', 'rmdir',
  'link', 'linkat', 'symlink', 'symlinkat', 'chmod', 'fchmod', 'fchmodat', 'fchmodat2', 'chown', 'fchown', 'lchown',
  'fchownat', 'utime', 'utimes', 'utimensat', 'futimesat', 'getcwd', 'chdir', 'fchdir', 'umask', 'dup', 'dup2',
  'dup3', 'pipe', 'pipe2', 'sendfile', 'splice', 'tee', 'vmsplice', 'copy_file_range', 'fadvise64', 'readahead',
  'getxattr', 'lgetxattr', 'fgetxattr', 'listxattr', 'llistxattr', 'flistxattr', 'ioctl', 'ioprio_get', 'ioprio_set',
  // memory
  'brk', 'mmap', 'munmap', 'mremap', 'mprotect', 'madvise', 'mincore', 'msync', 'mlock', 'munlock', 'mlock2',
  'mlockall', 'munlockall', 'membarrier', 'pkey_alloc', 'pkey_free', 'pkey_mprotect',
  // time
  'clock_gettime', 'clock_getres', 'clock_nanosleep', 'nanosleep', 'gettimeofday', 'time', 'times', 'getitimer',
  'setitimer', 'alarm', 'timer_create', 'timer_settime', 'timer_gettime', 'timer_getoverrun', 'timer_delete',
  'timerfd_create', 'timerfd_settime', 'timerfd_gettime',
  // signals
  'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'rt_sigpending', 'rt_sigtimedwait', 'rt_sigsuspend',
  'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'sigaltstack', 'pause', 'restart_syscall', 'signalfd', 'signalfd4',
  'kill', 'tkill', 'tgkill',
  // processes and threads: ids, limits, scheduling, lifecycle
  'getpid', 'getppid', 'gettid', 'getuid', 'geteuid', 'getgid', 'getegid', 'getgroups', 'getresuid', 'getresgid',
  'getpgrp', 'getpgid', 'getsid', 'setpgid', 'setsid', 'getrusage', 'getpriority', 'setpriority', 'getrlimit',
  'setrlimit', 'prlimit64', 'sysinfo', 'uname', 'getrandom', 'sched_yield', 'sched_getaffinity', 'sched_setaffinity',
  'sched_getparam', 'sched_getscheduler', 'sched_get_priority_max', 'sched_get_priority_min', 'sched_getattr',
  'getcpu', 'set_tid_address', 'set_robust_list', 'get_robust_list', 'rseq', 'arch_prctl', 'prctl', 'capget',
  'futex', 'futex_waitv', 'exit', 'exit_group', 'wait4', 'waitid', 'clone', 'clone3', 'fork', 'vfork', 'execve',
  // polling and notification
  'select', 'pselect6', 'poll', 'ppoll', 'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_wait', 'epoll_pwait',
  'epoll_pwait2', 'eventfd', 'eventfd2', 'inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch',
  // sockets (where a process connects or listens is judged by its connect/listen events)
  'socket', 'socketpair', 'bind', 'listen', 'accept', 'accept4', 'connect', 'getsockname', 'getpeername', 'sendto',
  'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg', 'shutdown', 'setsockopt', 'getsockopt',
  // System V and POSIX IPC
  'shmget', 'shmat', 'shmdt', 'shmctl', 'semget', 'semop', 'semtimedop', 'semctl', 'msgget', 'msgsnd', 'msgrcv',
  'msgctl', 'mq_open', 'mq_unlink', 'mq_timedsend', 'mq_timedreceive', 'mq_notify', 'mq_getsetattr',
]);

// Families of system calls, for "expected one of …" on a syscall alert. The closest
// known items of a path are its neighbours in the tree; the closest known syscalls of a
// new one are the calls this workload makes for the same purpose (a new `fadvise64` →
// the file I/O calls it uses), not names that share its first letters (`ptrace` was
// "expected one of pread64, prctl, …"). A call of no family has no expected list.
//
// Families by name, in order (the first that matches wins).

const FAMILIES: [string, RegExp][] = [
  ['escape', /^(?:mount|umount2?|pivot_root|chroot|unshare|setns|open_by_handle_at|name_to_handle_at|fsopen|fsmount|fsconfig|fspick|move_mount|open_tree(?:_attr)?|mount_setattr)$/],
  ['kernel', /^(?:init_module|finit_module|delete_module|create_module|kexec_load|kexec_file_load|bpf|perf_event_open|reboot|swapon|swapoff|iopl|ioperm|syslog|_sysctl|acct|quotactl|lookup_dcookie)$/],
  ['debug', /^(?:ptrace|process_vm_readv|process_vm_writev|kcmp|pidfd_getfd)$/],
  ['identity', /^(?:set|get)(?:res|re|fs)?[ug]id$|^(?:set|get)groups$|^cap(?:get|set)$|^(?:get|set)e?[ug]id$|^(?:add_key|request_key|keyctl|landlock_\w+|seccomp)$/],
  ['net', /^(?:socket|socketpair|connect|accept4?|bind|listen|shutdown|(?:send|recv)(?:to|from|msg|mmsg)?|[gs]etsockopt|getsockname|getpeername)$/],
  ['process', /^(?:clone3?|fork|vfork|execve(?:at)?|exit(?:_group)?|wait4|waitid|kill|tkill|tgkill|pidfd_\w+|getpid|getppid|gettid|setsid|getsid|setpgid|getpgid|getpgrp|prctl|arch_prctl|set_tid_address|personality|sched_\w+|getpriority|setpriority|[gs]etrlimit|prlimit64|getrusage|times|rseq|set_robust_list|get_robust_list|futex(?:_\w+)?|ioprio_\w+)$/],
  ['signal', /^(?:rt_sig\w+|sigaltstack|signalfd4?|pause|alarm|[gs]etitimer|timer_\w+|timerfd_\w+)$/],
  ['memory', /^(?:mmap|munmap|mremap|mprotect|madvise|process_madvise|brk|msync|mincore|mlock2?|munlock|mlockall|munlockall|memfd_create|memfd_secret|membarrier|mbind|set_mempolicy|get_mempolicy|migrate_pages|move_pages|pkey_\w+|userfaultfd|remap_file_pages|shm\w+|sem\w+|msg\w+|mq_\w+)$/],
  ['time', /^(?:clock_\w+|gettimeofday|settimeofday|time|nanosleep|adjtimex|utime|utimes|utimensat|futimesat)$/],
  ['poll', /^(?:poll|ppoll|select|pselect6|epoll_\w+|eventfd2?|io_uring_\w+|io_\w+|inotify_\w+|fanotify_\w+)$/],
  ['file', /^(?:open|openat2?|creat|close|close_range|read|write|[pr]readv2?|[pr]writev2?|pread64|pwrite64|lseek|dup[23]?|fcntl|flock|fsync|fdatasync|sync|syncfs|sync_file_range|truncate|ftruncate|fallocate|fadvise64|readahead|sendfile|splice|tee|vmsplice|copy_file_range|ioctl|pipe2?|(?:new)?f?stat(?:at|x|fs)?|lstat|statfs|access|faccessat2?|getdents(?:64)?|getcwd|chdir|fchdir|rename(?:at2?)?|mkdir(?:at)?|rmdir|link(?:at)?|unlink(?:at)?|symlink(?:at)?|readlink(?:at)?|f?chmod(?:at2?)?|[fl]?chown(?:at)?|umask|mknod(?:at)?|[lf]?(?:set|get|list|remove)xattr(?:at)?|name_to_handle_at|statmount|listmount)$/],
  ['system', /^(?:uname|sysinfo|getrandom|getcpu|sethostname|setdomainname|ustat|sysfs|vhangup)$/],
];

/** the family of a syscall name, undefined for one of no family (syscall_<n>, unknown names) */
export function syscallFamily(name: string): string | undefined {
  // only asked when an alert is raised (closest items): no memo needed
  for (const [family, re] of FAMILIES) if (re.test(name)) return family;
  return undefined;
}

// Read-only opens by every route the bpftrace program must see, for
// test/e2e/bpftrace-detect.test.ts:
//   open-variants open PATH      open(2) itself (musl and static binaries use it on x86_64)
//   open-variants openat2 PATH   openat2(2)
//   open-variants mmap FILE      openat(2) of the path stored in FILE, read from a fresh
//                                file mapping that nothing touched before the call: the
//                                path is not in memory at sys_enter (the kernel faults it
//                                in while copying it), the case the program matches at exit
// Exit status 0 when the open succeeded.
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  long fd = -1;
  if (!strcmp(argv[1], "open")) {
#ifdef SYS_open
    fd = syscall(SYS_open, argv[2], O_RDONLY);
#else
    fd = syscall(SYS_openat, AT_FDCWD, argv[2], O_RDONLY);
#endif
  } else if (!strcmp(argv[1], "openat2")) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = O_RDONLY;
    fd = syscall(SYS_openat2, AT_FDCWD, argv[2], &how, sizeof how);
  } else if (!strcmp(argv[1], "mmap")) {
    int src = open(argv[2], O_RDONLY);
    if (src < 0) return 3;
    const char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, src, 0);
    if (p == MAP_FAILED) return 4;
    fd = syscall(SYS_openat, AT_FDCWD, p, O_RDONLY);
  } else {
    return 2;
  }
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  close((int)fd);
  return 0;
}

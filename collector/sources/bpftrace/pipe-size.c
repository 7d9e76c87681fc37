/*
 * pipe-size BYTES: asks the kernel to make the pipe on this program's stdout hold BYTES
 * (fcntl F_SETPIPE_SZ) and prints the size it got, in bytes, on stderr.
 *
 * Why a program: Node has no fcntl(2), and a pipe holds 64 KiB unless someone enlarges
 * it. bpftrace's records reach the agent through a FIFO (fifo.ts); the agent reads them
 * once per window under load (window.ts), and the window can only be as long as the pipe
 * takes to fill, or bpftrace blocks on it and stops draining its perf buffers. The size is
 * the pipe's, not the descriptor's: set once through any open end, it holds until the
 * pipe is gone. Unprivileged, the kernel allows up to /proc/sys/fs/pipe-max-size (1 MiB
 * by default).
 *
 * Built by bin/build.js next to the compiled fifo.js when a C compiler is there; without
 * it the agent keeps the 64 KiB pipe and a shorter window.
 * Exit status: 0 with the size printed, 2 for a bad argument, 1 when fcntl failed (the
 * reason printed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  char *end = NULL;
  long want = argc == 2 ? strtol(argv[1], &end, 10) : -1;
  if (argc != 2 || end == argv[1] || *end != '\0' || want <= 0 || want > (1L << 30)) {
    fprintf(stderr, "usage: pipe-size BYTES (stdout a pipe)\n");
    return 2;
  }
  int got = fcntl(1, F_SETPIPE_SZ, (int)want);
  if (got < 0) {
    fprintf(stderr, "F_SETPIPE_SZ: %s\n", strerror(errno));
    return 1;
  }
  fprintf(stderr, "%d\n", got);
  return 0;
}

// Open storm for bench/bpftrace-opens.bench.ts: N read-only opens (and closes) of one
// path, as fast as they go, to measure what the open probes of habitwatch.bt cost per
// ordinary open (BPF programs run in the context of the task that opens, so the cost
// shows up in this process's system time) and how many sensitive opens become events.
//
//   cc -O2 -o open-storm bench/open-storm.c
//   open-storm --path PATH --count N [--rate R]
// With --rate, opens are paced at R per second (open-loop: one that falls behind catches
// up without sleeping); without it they go as fast as they can. Prints one JSON line: {"opens":…,"failed":…,"wall_s":…,"cpu_s":…} (cpu_s: user+sys).
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "mono-clock.h"

int main(int argc, char **argv) {
  const char *path = NULL;
  long count = 0;
  double rate = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--path")) path = argv[i + 1];
    else if (!strcmp(argv[i], "--count")) count = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--rate")) rate = atof(argv[i + 1]);
  }
  if (!path || count <= 0 || rate < 0) {
    fprintf(stderr, "usage: open-storm --path PATH --count N [--rate R]\n");
    return 2;
  }
  long failed = 0;
  double t0 = mono();
  for (long i = 0; i < count; i++) {
    if (rate > 0) {
      double due = t0 + (double)i / rate;
      if (mono() < due) sleep_until(due);
    }
    // openat directly: the libc wrapper is the same call, this keeps the loop honest
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) failed++;
    else close(fd);
  }
  double wall = mono() - t0;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
  printf("{\"opens\":%ld,\"failed\":%ld,\"wall_s\":%.6f,\"cpu_s\":%.6f}\n", count - failed, failed, wall, cpu);
  return failed > 0 ? 1 : 0;
}

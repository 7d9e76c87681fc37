// Exec storm for bench/bpftrace.bench.ts: a paced, cheap load of successful execs.
//
// Why C and not a shell loop: a shell forks itself and execs a dynamically linked
// binary for every iteration, which costs several hundred µs of CPU per exec on a small
// machine and competes with bpftrace and the agent for the same cores. Here each exec is
// posix_spawn (clone(CLONE_VM|CLONE_VFORK) in glibc: no page-table copy) of a tiny
// static binary that exits at once, so nearly all of the cost is the kernel's exec path,
// which is what the tracer has to keep up with.
//
// Two programs from this one file:
//   cc -O2 -o storm bench/storm.c
//   cc -O2 -static -nostdlib -fno-stack-protector -DSTORM_TARGET -o storm-target bench/storm.c
//
//   storm --target PATH --arg hw-bench --count N --rate R [--workers W]
// runs N execs of `PATH hw-bench` in total, paced at R execs/s overall, split over W
// worker processes (default 4). Pacing is open-loop: exec i of a worker is due at
// t0 + i/(R/W); a worker that falls behind catches up without sleeping, so the achieved
// rate shows whether the machine kept up. Every process it makes inherits the caller's
// cgroup. Prints one JSON line: {"execs":…,"failed":…,"wall_s":…,"rate":…,"cpu_s":…}
// (cpu_s: user+sys of the workers and every exec'd child). The storm detaches first (see
// main): its exit status is 0 at once, and the report's "failed" says whether any exec failed.

#ifdef STORM_TARGET

// The exec target: no libc, no dynamic loader, no syscalls but exit_group(0).
#if defined(__x86_64__)
__attribute__((naked, noreturn)) void _start(void) {
  __asm__ volatile("mov $231, %eax\n\txor %edi, %edi\n\tsyscall\n");
}
#elif defined(__aarch64__)
__attribute__((naked, noreturn)) void _start(void) {
  __asm__ volatile("mov x8, #94\n\tmov x0, #0\n\tsvc #0\n");
}
#else
#error "storm target: add exit_group for this architecture"
#endif

#else

#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct tally {
  long ok;
  long failed;
};

#include "mono-clock.h"

static void usage(void) {
  fprintf(stderr, "usage: storm --target PATH --arg ARG --count N --rate R [--workers W]\n");
  exit(2);
}

static void worker(const char *target, char *arg, long count, double rate, double t0, struct tally *t) {
  char *argv[] = {(char *)target, arg, NULL};
  for (long i = 0; i < count; i++) {
    double due = t0 + (double)i / rate;
    if (mono() < due) sleep_until(due);
    pid_t pid;
    int status;
    if (posix_spawn(&pid, target, NULL, NULL, argv, environ) != 0) {
      t->failed++;
      continue;
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) t->ok++;
    else t->failed++;
  }
}

int main(int argc, char **argv) {
  const char *target = NULL;
  char *arg = NULL;
  long count = 0;
  double rate = 0;
  int workers = 4;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--target")) target = argv[i + 1];
    else if (!strcmp(argv[i], "--arg")) arg = argv[i + 1];
    else if (!strcmp(argv[i], "--count")) count = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--rate")) rate = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--workers")) workers = atoi(argv[i + 1]);
    else usage();
  }
  if (argc % 2 != 1 || !target || !arg || count <= 0 || rate <= 0 || workers <= 0 || workers > 64) usage();

  // Detach: the caller gets its exit status at once, the storm runs on as a child of
  // init (stdout stays the caller's pipe, which sees the report and then EOF). Its
  // lineage is then what it would be in a pod (target <- worker <- storm <- init), not
  // whatever chain of shells and tools happened to start the bench: the agent carries
  // that chain in every event, so it would change what a replay of them costs.
  pid_t detached = fork();
  if (detached < 0) {
    perror("fork");
    return 2;
  }
  if (detached > 0) _exit(0);

  // one tally per worker in shared memory: the parent sums them after the workers exit
  struct tally *tallies = mmap(NULL, sizeof(struct tally) * (size_t)workers, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (tallies == MAP_FAILED) {
    perror("mmap");
    return 2;
  }
  memset(tallies, 0, sizeof(struct tally) * (size_t)workers);
  // first exec of every worker is due a little after all of them are forked
  double t0 = mono() + 0.02;
  for (int w = 0; w < workers; w++) {
    long n = count / workers + (w < count % workers ? 1 : 0);
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      return 2;
    }
    if (pid == 0) {
      // spread the workers' schedules evenly over one period of the overall rate
      worker(target, arg, n, rate / workers, t0 + (double)w / rate, &tallies[w]);
      _exit(0);
    }
  }
  int status;
  while (wait(&status) > 0 || errno == EINTR) {
  }
  double wall = mono() - t0;
  long ok = 0, failed = 0;
  for (int w = 0; w < workers; w++) {
    ok += tallies[w].ok;
    failed += tallies[w].failed;
  }
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
  printf("{\"execs\":%ld,\"failed\":%ld,\"wall_s\":%.6f,\"rate\":%.1f,\"cpu_s\":%.3f}\n", ok, failed, wall, wall > 0 ? (double)ok / wall : 0, cpu);
  return failed > 0 ? 1 : 0;
}

#endif

// The bpftrace source: runs the shipped habitwatch.bt (tracepoints only) as a child
// process in JSON output mode, parses its records into RuntimeEvents, and restarts it
// with backoff when it dies. The default live source on a node with root.
import { execFile, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { defineSource, type EventBatches, type SourceContext } from '../types.ts';
import { openInput, reportSkipped, splitLines } from '../../lines.ts';
import { sleep } from '../../sleep.ts';
import { Backoff } from '../../backoff.ts';
import type { RuntimeEvent } from '../../event.ts';
import { CgroupIdMap } from '../../enrich/cgroupid.ts';
import { BpftraceParser, SOURCE, STRLEN, type ParserDeps } from './parse.ts';
import { buildProgram } from './program.ts';
import { DEFAULT_PIPE_BYTES, openFifo } from './fifo.ts';
import { spawnQuiet, windowFor, windowed } from './window.ts';
import { cgroupPredicate } from './cgroup-filter.ts';
import { ensureTraceMounts, tracefsReady } from './tracefs.ts';
import { configSchema, defaults, type BpftraceConfig } from './config.ts';
import { parsePattern, SensitivePatternError } from './sensitive.ts';

const run = promisify(execFile);

/** absolute path of a relative one, seen from pid's cwd or dfd (best effort: racy by nature) */
export function resolveFromProc(pid: number, dfd: number, path: string): string | undefined {
  try {
    const base = readlinkSync(dfd === -100 ? `/proc/${pid}/cwd` : `/proc/${pid}/fd/${dfd}`);
    return isAbsolute(base) ? resolve(base, path) : undefined;
  } catch {
    return undefined;
  }
}

export function prefixFilter(prefixes: string[]): ParserDeps['accept'] {
  if (prefixes.length === 0) return undefined;
  // plain string prefix: `/kubepods` keeps both /kubepods/… (cgroupfs) and /kubepods.slice/…
  // The cgroup id map hands out one path string per cgroup, and records come in runs from
  // one cgroup: the last path's answer is kept (a pod's path is ~140 characters to compare).
  let last: string | undefined;
  let lastOk = false;
  return (_id, path) => {
    if (path === undefined) return false;
    if (path === last) return lastOk;
    let ok = false;
    for (let i = 0; i < prefixes.length && !ok; i++) ok = path.startsWith(prefixes[i]);
    last = path;
    lastOk = ok;
    return ok;
  };
}

/** parser deps shared by live and replay */
export function parserDeps(ctx: SourceContext, config: BpftraceConfig, ids: CgroupIdMap | undefined, toEpochMs: (ns: number) => number): ParserDeps {
  return {
    node: ctx.node,
    stats: ctx.stats,
    toEpochMs,
    ...(ids ? { cgroupPath: (id: string, pid: number) => ids.lookup(id, pid) } : {}),
    accept: prefixFilter(config.cgroupPrefixes),
    resolvePath: resolveFromProc,
    sensitivePaths: config.sensitivePaths,
  };
}

/**
 * A batch in kernel-time order. Each CPU has its own perf buffer, so a process's file
 * or socket record can be read before its exec record from another CPU; in time order,
 * the exec reaches the attribution step (collector/enrich/attribution.ts), which records
 * the process, before the records that follow it. The source itself attributes nothing.
 */
export function byKernelTime(batch: RuntimeEvent[]): RuntimeEvent[] {
  for (let i = 1; i < batch.length; i++) {
    if (batch[i].time < batch[i - 1].time) return batch.sort((x, y) => x.time - y.time);
  }
  return batch;
}

/** at most n log lines per window, so a chatty child cannot flood the log */
function budget(n: number, windowMs: number): { take(): boolean } {
  let start = 0;
  let used = 0;
  return {
    take() {
      const now = Date.now();
      if (now - start > windowMs) {
        start = now;
        used = 0;
      }
      return used++ < n;
    },
  };
}

function stopChild(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM'); // bpftrace detaches its probes on SIGTERM/SIGINT
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  t.unref();
  child.once('exit', () => clearTimeout(t));
}

export interface LiveHooks {
  /** the spawned child, for tests and the bench (CPU accounting) */
  onChild?(child: ChildProcess): void;
  /** every probe is attached: events from now on are seen */
  onReady?(child: ChildProcess): void;
  /** the program text of each start (tests) */
  onProgram?(text: string): void;
  /** the source's cgroup id → path map (default: its own) */
  ids?: CgroupIdMap;
}

export async function* liveEvents(config: BpftraceConfig, ctx: SourceContext, hooks: LiveHooks = {}): EventBatches {
  const log = ctx.log.child({ source: SOURCE });
  if (config.mountTracefs && !tracefsReady()) {
    const r = await ensureTraceMounts();
    if (r.mounted.length > 0) log.info('mounted tracing filesystems', { mounted: r.mounted });
    for (const f of r.failed) log.warn('could not mount tracing filesystem', f);
  }
  const ids = hooks.ids ?? new CgroupIdMap();
  const dir = mkdtempSync(join(tmpdir(), 'habitwatch-bpftrace-'));
  const file = join(dir, 'habitwatch.bt');
  const backoff = new Backoff({ initialMs: config.restartMinMs, maxMs: config.restartMaxMs });
  let starts = 0;
  try {
    while (!ctx.signal.aborted) {
      // built at every start: the kernel side of cgroupPrefixes names the directories that exist now
      const prog = buildProgram({
        intervalS: config.intervalS,
        exclude: config.syscalls ? [] : ['raw_syscalls/sys_enter'],
        sensitivePaths: config.sensitivePaths,
        cgroupPredicate: cgroupPredicate(config.cgroupPrefixes, ids.root),
      });
      if (starts++ === 0 && prog.missing.length > 0) log.info('tracepoints missing on this kernel; their probes are left out', { missing: prog.missing });
      writeFileSync(file, prog.text, { mode: 0o600 });
      hooks.onProgram?.(prog.text);
      // CLOCK_MONOTONIC (bpftrace nsecs) → epoch ms, anchored at each start
      const anchor = ctx.now() - Number(process.hrtime.bigint()) / 1e6;
      const toEpochMs = (ns: number): number => (Number.isFinite(ns) ? anchor + ns / 1e6 : ctx.now());
      // its records through a FIFO where mkfifo exists (fifo.ts), else spawn's socket pair
      const fifo = openFifo(dir);
      const windowMs = windowFor(config.readWindowMs, fifo?.bytes ?? DEFAULT_PIPE_BYTES);
      if (starts === 1) {
        if (fifo === undefined) log.info('no FIFO for bpftrace\'s output (mkfifo failed): reading it through a socket pair, at more CPU per record');
        else if (fifo.notEnlarged !== undefined) log.info('bpftrace\'s output pipe not enlarged: shorter read windows, at more CPU per record', { reason: fifo.notEnlarged });
        log.info('bpftrace output', { via: fifo ? 'fifo' : 'socketpair', pipeBytes: fifo?.bytes, readWindowMs: windowMs });
      }
      const child = spawnQuiet(config.bpftracePath, ['-f', 'json', file], {
        stdio: ['ignore', fifo?.writeFd ?? 'pipe', 'pipe'],
        env: {
          ...process.env,
          BPFTRACE_STRLEN: String(STRLEN),
          BPFTRACE_PERF_RB_PAGES: String(config.perfRbPages),
          BPFTRACE_MAP_KEYS_MAX: String(config.mapKeysMax),
        },
      });
      // the child has its own copy of the write end: the FIFO ends when bpftrace exits
      if (fifo !== undefined) closeSync(fifo.writeFd);
      const stdout = fifo?.stream ?? child.stdout!;
      hooks.onChild?.(child);
      const startedAt = Date.now();
      const onAbort = () => stopChild(child);
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      let spawnError: Error | undefined;
      child.on('error', (e) => (spawnError = e));
      const exited = new Promise<string>((res) =>
        child.on('close', (code, sig) => res(sig ? `signal ${sig}` : `exit ${code}`)),
      );
      let stderrTail = '';
      let stderrCarry = '';
      const warnBudget = budget(20, 60000);
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (d: string) => {
        const parts = (stderrCarry + d).split('\n');
        stderrCarry = parts.pop()!.slice(-4000);
        for (const l of parts) {
          if (!l.trim()) continue;
          stderrTail = (stderrTail + '\n' + l).slice(-2000);
          // some versions print lost events as text on stderr even in JSON mode
          const lost = /^Lost (\d+) events/.exec(l);
          if (lost) {
            ctx.stats.dropped(SOURCE, 'lost_events', Number(lost[1]));
            continue;
          }
          // harmless on kernels that account BPF memory to the memcg
          if (l.includes('RLIMIT_MEMLOCK')) log.debug('bpftrace', { stderr: l });
          else if (warnBudget.take()) log.warn('bpftrace stderr', { stderr: l.slice(0, 500) });
        }
      });
      const deps = parserDeps(ctx, config, ids, toEpochMs);
      deps.ignorePid = (pid) => pid === child.pid;
      deps.onAttached = (n) => log.debug('bpftrace attaching', { probes: n, pid: child.pid });
      deps.onReady = () => {
        log.info('bpftrace ready', { pid: child.pid });
        ctx.observing?.(true);
        hooks.onReady?.(child);
      };
      const parser = new BpftraceParser(deps);
      try {
        // file names are the kernel's bytes: a line that is not UTF-8 is kept (repaired), or
        // any process could hide by naming its files with invalid bytes
        for await (const chunk of splitLines(windowed(stdout, windowMs, ctx.signal), { repair: true })) {
          reportSkipped(chunk, SOURCE, 'bpftrace', ctx.stats);
          const out: RuntimeEvent[] = [];
          parser.chunk(chunk.lines, out);
          if (out.length > 0) {
            ctx.stats.received(SOURCE, out.length);
            yield byKernelTime(out);
          }
          if (ctx.signal.aborted) break;
        }
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
        stopChild(child);
        fifo?.stream.destroy();
      }
      // blind until the next start has attached its probes again
      ctx.observing?.(false);
      const reason = spawnError ? `spawn failed: ${spawnError.message}` : await exited;
      const tail: RuntimeEvent[] = [];
      parser.flush(tail);
      if (tail.length > 0) {
        ctx.stats.received(SOURCE, tail.length);
        yield byKernelTime(tail);
      }
      if (ctx.signal.aborted) break;
      if (Date.now() - startedAt > 60000) backoff.reset(); // it ran fine for a while
      const wait = backoff.next();
      log.warn('bpftrace exited; restarting', { reason, backoffMs: wait, stderr: stderrTail.slice(-500) });
      ctx.stats.restarted(SOURCE, spawnError ? 'spawn_failed' : 'exited');
      await sleep(wait, ctx.signal);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** recorded `bpftrace -f json` output of habitwatch.bt (e.g. test/fixtures/bpftrace) */
export async function* replayEvents(files: string[], ctx: SourceContext, config: BpftraceConfig = defaults): EventBatches {
  for (const f of files) {
    // recorded nsecs are from another boot: keep their spacing, anchor the first at now
    let anchor: number | undefined;
    const toEpochMs = (ns: number): number => {
      if (!Number.isFinite(ns)) return ctx.now();
      anchor ??= ctx.now() - ns / 1e6;
      return anchor + ns / 1e6;
    };
    const deps = parserDeps(ctx, config, undefined, toEpochMs);
    deps.resolvePath = undefined; // the recording's processes are not ours
    const parser = new BpftraceParser(deps);
    const input = openInput(f);
    try {
      for await (const chunk of splitLines(input, { repair: true })) {
        if (ctx.signal.aborted) return;
        reportSkipped(chunk, SOURCE, f, ctx.stats);
        const out: RuntimeEvent[] = [];
        parser.chunk(chunk.lines, out);
        if (out.length > 0) {
          ctx.stats.received(SOURCE, out.length);
          yield out;
        }
      }
      const tail: RuntimeEvent[] = [];
      parser.flush(tail);
      if (tail.length > 0) {
        ctx.stats.received(SOURCE, tail.length);
        yield tail;
      }
    } finally {
      if (f !== '-') input.destroy();
    }
  }
}

export default defineSource<BpftraceConfig>({
  name: SOURCE,
  description: 'eBPF via bpftrace (tracepoints only): exec, file writes, reads of sensitive paths, listen/connect, per-cgroup syscall sets',
  parseErrors: ['not_json', 'invalid_json', 'not_an_object', 'missing_field', 'bad_value', 'unexpected_record', 'unknown_record', 'bad_argv_record', 'bad_exec_record', 'bad_file_record', 'bad_net_record', 'bad_map', 'unreadable_string', 'line_too_long'],
  configSchema,
  defaults,
  check(config) {
    const out: string[] = [];
    for (const p of config.sensitivePaths) {
      try {
        parsePattern(p);
      } catch (e) {
        if (!(e instanceof SensitivePatternError)) throw e;
        out.push(`sensitivePaths: ${e.message}`);
      }
    }
    return out;
  },
  async available(config) {
    if (typeof process.geteuid === 'function' && process.geteuid() !== 0) return 'bpftrace needs root';
    try {
      await run(config.bpftracePath, ['--version'], { timeout: 10000 });
    } catch {
      return `bpftrace not runnable (${config.bpftracePath})`;
    }
    if (!tracefsReady() && !config.mountTracefs) return 'tracefs not mounted at /sys/kernel/tracing and mountTracefs is off';
    return true;
  },
  live: (config, ctx) => liveEvents(config, ctx),
  reportsObserving: true,
  autoRank: 1,
  observesHost: true,
  replay: (files, ctx, config) => replayEvents(files, ctx, config ?? defaults),
});

// A small factory for RuntimeEvents, so model tests read as behaviour, not as
// object literals. Every event belongs to one test workload unless overridden.
import type { Ancestor, FileOp, Proto, ProcessInfo, RuntimeEvent, EventOf, Envelope } from '../../collector/event.ts';
import { Profiler } from '../../models/baseline/profiler.ts';
import { DEFAULT_LEARNING, type BaselineMeta, type LearningConfig } from '../../models/baseline/baseline.ts';
import { stableEta } from '../../models/baseline/learning.ts';
import { Engine, DEFAULT_ENGINE, type EngineConfig } from '../../models/engine.ts';
import { rules as allRules } from '../../models/rules/index.ts';
import type { Rule } from '../../models/rules/types.ts';
import { SEVERITIES, type Alert, type AlertUpdate } from '../../models/alert.ts';
import { assertValidAlert } from './alert-schema.ts';
import assert from 'node:assert/strict';

export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
export const MIN = 60_000;

export interface Who {
  exe?: string;
  args?: string[];
  pid?: number;
  ppid?: number;
  /** parent executables, nearest first */
  parents?: string[];
  /** ancestors with args, nearest first (overrides parents) */
  ancestors?: { exe: string; args?: string[]; pid?: number }[];
  time?: number;
  node?: string;
  workload?: string;
  container?: string;
  pod?: string;
  /** false: a host process (no container ref) */
  inContainer?: boolean;
  image?: string;
  uid?: number;
}

export function envelope(w: Who = {}): Envelope {
  const exe = w.exe ?? '/usr/bin/app';
  const ancestors: Ancestor[] = w.ancestors ?? (w.parents ?? ['/usr/bin/containerd-shim-runc-v2']).map((p) => ({ exe: p }));
  const process: ProcessInfo = {
    pid: w.pid ?? 4242,
    ppid: w.ppid ?? ancestors[0]?.pid ?? 4241,
    exe,
    args: w.args ?? [exe],
    uid: w.uid ?? 1000,
    cwd: '/app',
    ancestors,
  };
  const wid = w.workload ?? 'shop/Deployment/web';
  const [ns, kind, name] = wid.split('/');
  const env: Envelope = {
    time: w.time ?? T0,
    node: w.node ?? 'node-a',
    source: 'test',
    process,
    workload: { id: wid, namespace: ns, kind: kind ?? 'Deployment', name: name ?? 'web', container: w.container ?? 'app', pod: w.pod ?? 'web-7d9f8b6c5d-x2x7k' },
    enrichment: 'complete',
  };
  if (w.inContainer !== false) {
    env.container = { id: 'c0ffee'.padEnd(64, '0'), runtime: 'containerd', name: w.container ?? 'app', image: w.image ?? 'registry.example/web:1.0' };
  }
  return env;
}

export const exec = (exe: string, w: Who = {}): EventOf<'exec'> => ({ ...envelope({ args: [exe], ...w, exe }), kind: 'exec' });

export const write = (path: string, op: FileOp = 'write', w: Who = {}, newPath?: string): EventOf<'file_write'> => ({
  ...envelope(w),
  kind: 'file_write',
  path,
  op,
  ...(newPath !== undefined ? { newPath } : {}),
});

export const open = (path: string, w: Who = {}): EventOf<'file_open'> => ({ ...envelope(w), kind: 'file_open', path, flags: ['O_RDONLY'] });

export const listen = (port: number, w: Who = {}, addr = '0.0.0.0', proto: Proto = 'tcp'): EventOf<'listen'> => ({ ...envelope(w), kind: 'listen', proto, addr, port });

export const connect = (dstAddr: string, dstPort: number, w: Who = {}, dns?: string, proto: Proto = 'tcp'): EventOf<'connect'> => ({
  ...envelope(w),
  kind: 'connect',
  proto,
  dstAddr,
  dstPort,
  ...(dns !== undefined ? { dns } : {}),
});

export const syscalls = (names: string[], w: Who = {}): EventOf<'syscall'> => ({ ...envelope(w), kind: 'syscall', names });

/** The meta of a fresh learning baseline of shop/Deployment/web container app (overridable). */
export function testMeta(over: Partial<BaselineMeta> = {}): BaselineMeta {
  return {
    workloadId: 'shop/Deployment/web',
    container: 'app',
    namespace: 'shop',
    workloadKind: 'Deployment',
    workloadName: 'web',
    image: 'web:1',
    version: 1,
    state: 'learning',
    createdAt: T0,
    learningSince: T0,
    lastNewItemAt: T0,
    stableSince: null,
    lockedBy: null,
    unstableReason: null,
    collapsed: {},
    ...over,
  };
}

/** Tiny thresholds: stable after 10 min of learning with 2 quiet minutes. */
export function testLearning(over: Partial<LearningConfig> = {}): LearningConfig {
  return { ...DEFAULT_LEARNING, minLearningMs: 10 * MIN, quietPeriodMs: 2 * MIN, ...over };
}

export function testEngine(o: { learning?: Partial<LearningConfig>; engine?: Partial<EngineConfig>; rules?: Rule[] } = {}): Engine {
  return new Engine(new Profiler(testLearning(o.learning)), o.rules ?? allRules, { ...DEFAULT_ENGINE, ...o.engine });
}

/**
 * Learn `events` (at T0, T0+1s, …) and then make every baseline stable the ordinary
 * way: time passes beyond the learning minimum and the quiet period.
 * Returns the time right after stability.
 */
export function learnThenStable(engine: Engine, events: RuntimeEvent[], start = T0): number {
  let t = start;
  for (const ev of events) engine.process(ev, (t += 1000));
  let after = t + 1000;
  for (const b of engine.profiler.baselines.values()) after = Math.max(after, (stableEta(b, engine.profiler.cfg) ?? 0) + 1000);
  engine.profiler.tickAll(after);
  for (const b of engine.profiler.baselines.values()) {
    if (b.meta.state !== 'stable') throw new Error(`baseline ${b.key} did not become stable: ${b.meta.state}`);
  }
  return after;
}

// --- rule and engine helpers ------------------------------------------------

/** Process one event; every alert created or updated must match docs/alert.schema.json. */
export function fire(engine: Engine, ev: RuntimeEvent, now: number = ev.time): AlertUpdate[] {
  const ups = engine.process(ev, now);
  for (const u of ups) assertValidAlert(u.alert);
  return ups;
}

/** The rule ids of the alerts one event produced. */
export function firedRules(engine: Engine, ev: RuntimeEvent, now: number = ev.time): string[] {
  return fire(engine, ev, now).map((u) => u.alert.rule);
}

/** The one alert an event must produce (throws if none or several). */
export function one(engine: Engine, ev: RuntimeEvent, now: number = ev.time): Alert {
  const ups = fire(engine, ev, now);
  assert.equal(ups.length, 1, `expected one alert, got ${ups.map((u) => u.alert.rule).join(', ') || 'none'}`);
  return ups[0].alert;
}

export function none(engine: Engine, ev: RuntimeEvent, now: number = ev.time): void {
  const ups = fire(engine, ev, now);
  assert.deepEqual(ups.map((u) => `${u.alert.rule}: ${u.alert.summary}`), [], 'expected no alert');
}

/** Shape every rule shares: id = folder name, valid severity, ATT&CK technique id, kinds. */
export function assertRuleShape(rule: Rule, id: string): void {
  assert.equal(rule.id, id);
  assert.ok((SEVERITIES as readonly string[]).includes(rule.severity), `severity ${rule.severity}`);
  assert.match(rule.mitre.technique, /^T\d{4}(?:\.\d{3})?$/);
  assert.ok(rule.mitre.name.length > 0 && rule.mitre.tactic.length > 0);
  assert.match(rule.mitre.tactic, /^[a-z]+(?:-[a-z]+)*$/, 'ATT&CK tactic short name');
  assert.ok(rule.kinds.length > 0);
  assert.ok(rule.title.length > 0);
  assert.ok(allRules.includes(rule), 'registered in models/rules/index.ts');
}

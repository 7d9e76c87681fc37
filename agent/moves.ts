// Late judgements. Identity moves: a container learned under a provisional identity (the API did not
// know its pod yet, or was unreachable) is now named by the API. Its baseline's items
// move to the workload's baseline (models/baseline/merge.ts). Items an enforcing
// baseline did not know are judged now, as the novelty they would have been had the
// workload been known when they happened: each goes through the engine as an event
// rebuilt from the item (its generalised value, first node, last time seen). The same
// goes for items of the cluster's baseline an enforcing local baseline did not take.
import type { IdentityMove } from '../collector/enrich/index.ts';
import type { Proto, RuntimeEvent } from '../collector/event.ts';
import type { AlertUpdate } from '../models/alert.ts';
import type { Engine } from '../models/engine.ts';
import { splitNetKey } from '../models/baseline/items.ts';
import type { Unconfirmed } from '../models/baseline/merge.ts';

/** items of one workload container to judge late */
export interface Late {
  workload: IdentityMove['to'];
  items: Unconfirmed[];
  /** the alert's `source`: identity-move (default) or cluster-baseline */
  source?: string;
}

export interface MoveResult {
  moved: number;
  unconfirmed: number;
}

function eventOf(u: Unconfirmed, to: IdentityMove['to'], fallbackNode: string, source: string): RuntimeEvent {
  const it = u.item;
  const base = {
    time: it.lastSeen,
    node: it.nodes[0] ?? fallbackNode,
    source,
    process: { pid: 0, exe: '', args: [] as string[] },
    workload: to,
    enrichment: 'complete' as const,
  };
  switch (u.kind) {
    case 'exec':
      return { ...base, process: { pid: 0, exe: it.key, args: [it.key] }, kind: 'exec' };
    case 'file_write':
      return { ...base, kind: 'file_write', path: it.key, op: (it.detail?.ops?.[0] as 'write' | undefined) ?? 'write' };
    case 'file_open':
      return { ...base, kind: 'file_open', path: it.key };
    case 'syscall':
      return { ...base, kind: 'syscall', names: [it.key] };
    case 'listen':
    case 'connect': {
      const [proto, host, port] = splitNetKey(it.key) ?? ['tcp', it.key, '0'];
      if (u.kind === 'listen') return { ...base, kind: 'listen', proto: proto as Proto, addr: host, port: Number(port) || 0 };
      return { ...base, kind: 'connect', proto: proto as Proto, dstAddr: host, dstPort: Number(port) || 0 };
    }
  }
}

/** items a baseline did not take (it is enforcing): judged now as the events they stand for */
export function judgeLate(late: readonly Late[], engine: Engine, node: string, now: number, out: AlertUpdate[]): number {
  let n = 0;
  for (const l of late) {
    for (const u of l.items) {
      engine.process(eventOf(u, l.workload, node, l.source ?? 'identity-move'), now, out);
      n++;
    }
  }
  return n;
}

export function applyMoves(moves: IdentityMove[], engine: Engine, node: string, now: number, out: AlertUpdate[]): MoveResult {
  const r: MoveResult = { moved: 0, unconfirmed: 0 };
  for (const m of moves) {
    const a = engine.profiler.adopt(m.from, m.to, m.image);
    if (a === undefined) continue;
    r.moved++;
    r.unconfirmed += judgeLate([{ workload: m.to, items: a.unconfirmed }], engine, node, now, out);
  }
  return r;
}

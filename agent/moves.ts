// Identity moves: a container learned under a provisional identity (the API did not
// know its pod yet, or was unreachable) is now named by the API. Its baseline's items
// move to the workload's baseline (models/baseline/merge.ts). Items an enforcing
// baseline did not know are judged now, as the novelty they would have been had the
// workload been known when they happened: each goes through the engine as an event
// rebuilt from the item (its generalised value, first node, last time seen).
import type { IdentityMove } from '../collector/enrich/index.ts';
import type { Proto, RuntimeEvent } from '../collector/event.ts';
import type { AlertUpdate } from '../models/alert.ts';
import type { Engine } from '../models/engine.ts';
import { splitNetKey } from '../models/baseline/items.ts';
import type { Unconfirmed } from '../models/baseline/merge.ts';

export interface MoveResult {
  moved: number;
  unconfirmed: number;
}

function eventOf(u: Unconfirmed, to: IdentityMove['to'], fallbackNode: string): RuntimeEvent {
  const it = u.item;
  const base = {
    time: it.lastSeen,
    node: it.nodes[0] ?? fallbackNode,
    source: 'identity-move',
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

export function applyMoves(moves: IdentityMove[], engine: Engine, node: string, now: number, out: AlertUpdate[]): MoveResult {
  const r: MoveResult = { moved: 0, unconfirmed: 0 };
  for (const m of moves) {
    const a = engine.profiler.adopt(m.from, m.to);
    if (a === undefined) continue;
    r.moved++;
    for (const u of a.unconfirmed) {
      r.unconfirmed++;
      engine.process(eventOf(u, m.to, node), now, out);
    }
  }
  return r;
}

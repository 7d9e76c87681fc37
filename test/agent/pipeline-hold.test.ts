// The live pipeline with events held back by enrichment (a container whose pod the API
// has not reported yet): other events go on at once, held ones are judged when
// released, and a file source's offset (its batch acknowledgement) waits for them — and
// keeps its order — so a crash meanwhile re-reads them instead of losing them.
import assert from 'node:assert/strict';
import { Pipeline } from '../../agent/pipeline.ts';
import { Profiler } from '../../models/baseline/profiler.ts';
import { Engine, DEFAULT_ENGINE } from '../../models/engine.ts';
import { DEFAULT_LEARNING } from '../../models/baseline/baseline.ts';
import { rules } from '../../models/rules/index.ts';
import { createEnricher, type EnrichStep, type HoldContext } from '../../collector/enrich/index.ts';
import { silentLogger } from '../../collector/log.ts';
import { withAck, type EventBatches } from '../../collector/sources/types.ts';
import type { RuntimeEvent } from '../../collector/event.ts';
import { waitFor } from '../support/env.ts';

const ev = (exe: string, container: string): RuntimeEvent => ({
  time: Date.parse('2026-05-01T00:00:00Z'),
  node: 'n',
  source: 'auditd',
  kind: 'exec',
  process: { pid: 1, exe, args: [exe] },
  container: { id: container, runtime: 'containerd' },
  enrichment: 'complete',
});

/** holds the events of containers it has not been told about */
class Gate implements EnrichStep {
  name = 'gate';
  known = new Set<string>(['c1']);
  private ctx: HoldContext | undefined;
  attach(ctx: HoldContext): void {
    this.ctx = ctx;
  }
  hold(e: RuntimeEvent): string | undefined {
    return this.known.has(e.container!.id) ? undefined : e.container!.id;
  }
  enrich(e: RuntimeEvent): void {
    e.workload = { id: `ns/Deployment/${e.container!.id}`, namespace: 'ns', kind: 'Deployment', name: e.container!.id, container: 'main' };
  }
  learn(id: string): void {
    this.known.add(id);
    this.ctx?.resolved(id);
  }
}

describe('pipeline: events held back by enrichment', () => {
  it('judges the rest at once, the held ones when released; a batch’s offset waits for its held events, in order', async () => {
    const gate = new Gate();
    const engine = new Engine(new Profiler(DEFAULT_LEARNING), rules, DEFAULT_ENGINE);
    const seen: string[] = [];
    const p = new Pipeline({ engine, enricher: createEnricher([gate]), log: silentLogger, now: () => Date.now(), onAlert: () => {} });
    const judged = engine.process.bind(engine);
    engine.process = (e, now, out) => (seen.push(e.process.exe), judged(e, now, out));
    const acks: number[] = [];
    let next: (() => void) | undefined;
    const more = new Promise<void>((r) => (next = r));
    async function* source(): EventBatches {
      yield withAck([ev('/bin/a', 'c1'), ev('/bin/b', 'c2'), ev('/bin/c', 'c1')], () => acks.push(1));
      yield withAck([ev('/bin/d', 'c1')], () => acks.push(2));
      await more;
    }
    const ac = new AbortController();
    const run = p.run([{ name: 'auditd', batches: source() }], ac.signal);
    await waitFor(() => seen.includes('/bin/d'), { what: 'second batch judged' });
    assert.deepEqual(seen, ['/bin/a', '/bin/c', '/bin/d'], 'c2 waits, the others do not');
    assert.deepEqual(acks, [], 'neither offset moves past the held event');
    gate.learn('c2');
    assert.deepEqual(seen, ['/bin/a', '/bin/c', '/bin/d', '/bin/b']);
    assert.deepEqual(acks, [1, 2], 'both offsets, in order, once it is judged');
    next!();
    ac.abort();
    await run;
  });
});

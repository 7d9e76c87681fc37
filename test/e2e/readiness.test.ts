// Live: the agent with the bpftrace source answers /readyz 503 until bpftrace's probes
// are attached. A pod that turned ready while blind would let a DaemonSet rollout move
// on with this node unwatched.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startAgent, type AgentHandle } from '../../agent/agent.ts';
import { buildConfig } from '../../agent/config/load.ts';
import { createLogger } from '../../collector/logger.ts';
import { tempDir } from '../support/agent-proc.ts';
import { bpftraceInstalled, isRoot, requireComponent, waitFor } from '../support/env.ts';

describe('e2e: agent readiness waits for bpftrace to attach', function () {
  this.timeout(120000);
  let tmp: ReturnType<typeof tempDir> | undefined;
  let agent: AgentHandle | undefined;

  before(function () {
    requireComponent(this, isRoot(), 'root');
    requireComponent(this, bpftraceInstalled(), 'bpftrace');
  });
  after(async () => {
    await agent?.stop();
    tmp?.cleanup();
  });

  it('503 naming bpftrace while it attaches, 200 only after it observes', async () => {
    tmp = tempDir('hw-ready-');
    const logs: string[] = [];
    const observed = (): boolean => logs.some((l) => l.includes('"msg":"source observing"') && l.includes('"source":"bpftrace"'));
    const config = buildConfig({ dataDir: join(tmp.dir, 'data'), api: { listen: '127.0.0.1:0' }, sources: { enabled: ['bpftrace'] } });
    agent = await startAgent(config, { log: createLogger({ level: 'info', write: (l) => void logs.push(l) }) });
    const readyz = async (): Promise<{ status: number; body: { ready: boolean; notObserving?: string[] } }> => {
      const r = await fetch(`http://127.0.0.1:${agent!.apiPort}/readyz`);
      return { status: r.status, body: (await r.json()) as { ready: boolean; notObserving?: string[] } };
    };
    // the first answer: bpftrace takes seconds to compile and attach, so this is almost
    // always the 503; either way, a 200 is only allowed once bpftrace said it observes
    const first = await readyz();
    if (first.status === 200) assert.ok(observed(), 'ready before bpftrace attached');
    else assert.deepEqual(first.body, { ready: false, notObserving: ['bpftrace'] });
    let last = first;
    await waitFor(async () => (last = await readyz()).status === 200, { timeoutMs: 90000, what: '/readyz 200' });
    assert.ok(observed(), 'ready before bpftrace attached');
    assert.deepEqual(last.body, { ready: true });
  });
});

// An incident stays open across an agent restart: alerts after it join it.
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAgent, type AgentHandle } from '../../agent/agent.ts';
import { buildConfig } from '../../agent/config/load.ts';
import { silentLogger } from '../../collector/log.ts';
import { tempDir } from '../support/agent-proc.ts';
import { waitFor } from '../support/env.ts';
import type { Alert } from '../../models/alert.ts';

const ev = (kind: string, exe: string, extra: object = {}) =>
  JSON.stringify({ time: Date.now(), kind, process: { pid: 7, exe, args: [exe] }, cgroup: { path: '/system.slice/web.service' }, ...extra }) + '\n';

describe('incidents across an agent restart', () => {
  let tmp: ReturnType<typeof tempDir>;
  let agent: AgentHandle | undefined;
  afterEach(async () => {
    await agent?.stop();
    tmp.cleanup();
  });

  it('restores open incidents: a later alert of the same container joins the one opened before the restart', async () => {
    tmp = tempDir('hw-inc-');
    const input = join(tmp.dir, 'events.jsonl');
    writeFileSync(input, ev('exec', '/usr/bin/web'));
    const config = buildConfig({
      dataDir: join(tmp.dir, 'data'),
      api: { enabled: false },
      sources: { enabled: ['events'], events: { paths: [input], follow: true } },
      learning: { minLearning: '0s', quietPeriod: '300ms' },
      store: { flushInterval: '100ms' },
    });
    const alertOf = (exe: string) => waitFor(() => agent!.alerts.list().find((a: Alert) => a.evidence.exe === exe), { what: `alert for ${exe}` });
    agent = await startAgent(config, { log: silentLogger });
    await waitFor(() => [...agent!.profiler.baselines.values()][0]?.meta.state === 'stable', { what: 'stable' });
    appendFileSync(input, ev('exec', '/usr/bin/nmap'));
    const first = await alertOf('/usr/bin/nmap');
    assert.ok(first.incident);
    await agent.stop();
    agent = await startAgent(config, { log: silentLogger });
    appendFileSync(input, ev('exec', '/usr/bin/socat'));
    const second = await alertOf('/usr/bin/socat');
    assert.equal(second.incident, first.incident);
    const inc = agent.alerts.incidents.get(first.incident!)!;
    assert.equal(inc.alerts, 2);
    assert.deepEqual(inc.timeline.map((e) => e.alert), [first.id, second.id]);
    assert.equal(agent.alerts.incidents.count(), 1);
  });
});

// Import over a stored baseline the agent has not read since it started (baselines are
// read on demand): replace archives it as a version and removes what the document lacks.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startAgent, type AgentHandle } from '../../../agent/agent.ts';
import { buildConfig } from '../../../agent/config/load.ts';
import { silentLogger } from '../../../collector/log.ts';
import { tempDir } from '../../support/agent-proc.ts';
import type { ExportDoc } from '../../../agent/respond/exchange.ts';

const W = 'shop/Deployment/web';
const actor = { name: 'gitops', via: 'token', remote: '' };

function doc(execs: string[], version = 1): ExportDoc {
  const items = execs.map((key) => ({ key, count: 1, firstSeen: 1, lastSeen: 2, nodes: ['n'] }));
  return {
    apiVersion: 'habitwatch.dev/v1',
    kind: 'BaselineExport',
    workload: W,
    exportedAt: new Date(0).toISOString(),
    baselines: [
      {
        key: `${W}#app`,
        meta: { workloadId: W, container: 'app', namespace: 'shop', workloadKind: 'Deployment', workloadName: 'web', image: null, version, state: 'stable', createdAt: 0, learningSince: 0, lastNewItemAt: 0, stableSince: 1, lockedBy: null, unstableReason: null, collapsed: {} },
        items: { exec: items },
      },
    ],
  };
}

describe('import over a stored baseline not in memory', function () {
  this.timeout(30_000);
  let tmp: ReturnType<typeof tempDir>;
  const start = (): Promise<AgentHandle> => startAgent(buildConfig({ dataDir: join(tmp.dir, 'data'), api: { enabled: false }, sources: { enabled: [] } }), { log: silentLogger });
  before(() => (tmp = tempDir('hw-import-')));
  after(() => tmp.cleanup());

  it('replace: the stored one is archived, what the document lacks is gone', async () => {
    let agent = await start();
    assert.equal(agent.responder.import(actor, doc(['/usr/bin/x', '/usr/bin/y']), { mode: 'replace' }).baselines[0].created, true);
    await agent.stop();
    agent = await start();
    try {
      assert.equal(agent.profiler.baselines.size, 0, 'nothing read at start');
      const r = agent.responder.import(actor, doc(['/usr/bin/x', '/usr/bin/z']), { mode: 'replace' });
      assert.deepEqual(r.baselines.map((b) => [b.created, b.version, b.items]), [[false, 2, 2]]);
      assert.deepEqual(agent.responder.export(W).baselines[0].items.exec!.map((i) => i.key), ['/usr/bin/x', '/usr/bin/z']);
      assert.deepEqual(agent.responder.diff.versions(W, 'app').changes.map((c) => `${c.change} ${c.item}`), ['added /usr/bin/z', 'removed /usr/bin/y']);
    } finally {
      await agent.stop();
    }
    agent = await start();
    try {
      assert.deepEqual(agent.responder.export(W).baselines[0].items.exec!.map((i) => i.key), ['/usr/bin/x', '/usr/bin/z'], 'and so it was stored');
    } finally {
      await agent.stop();
    }
  });
});

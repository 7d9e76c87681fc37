// Every change a responder can make, through the running server on a loopback port, on
// a real workload id: items added and removed by hand, forbid/unforbid, lock/unlock,
// relearn, import under another id — each does what it says to the baseline, and each is
// in the audit trail (who, how they authenticated, from where, what, when), readable and
// filterable through the API.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentHandle } from '../../../agent/agent.ts';
import type { AuditEntry } from '../../../agent/store/audit.ts';
import { tempDir } from '../../support/agent-proc.ts';
import { startApiAgent } from '../../support/api-agent.ts';
import { waitFor } from '../../support/env.ts';

const W = 'shop/Deployment/web';
const COPY = 'shop/Deployment/web-copy';
const ALICE = 'alice-respond-token-0123456789';
const ROOT = 'root-admin-token-0123456789';

describe('API mutations do what they say, and every one is audited', function () {
  this.timeout(30_000);
  let tmp: ReturnType<typeof tempDir>;
  let agent: AgentHandle;
  let base: string;
  const started = Date.now();

  const call = async <T>(token: string, path: string, body?: unknown): Promise<T> => {
    const r = await fetch(base + path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const out = (await r.json()) as T;
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(out)}`);
    return out;
  };
  const b = (id = W) => agent.profiler.baselines.get(`${id}#app`)!;

  before(async () => {
    tmp = tempDir('hw-mutations-');
    const input = join(tmp.dir, 'events.jsonl');
    const ev = (exe: string) =>
      JSON.stringify({ time: Date.now(), kind: 'exec', workload: { id: W, namespace: 'shop', kind: 'Deployment', name: 'web', container: 'app' }, process: { pid: 9, exe, args: [exe] } }) + '\n';
    writeFileSync(input, ev('/usr/bin/web') + ev('/usr/bin/logrotate'));
    agent = await startApiAgent(join(tmp.dir, 'data'), input, [
      { name: 'alice', token: ALICE, role: 'respond' },
      { name: 'root', token: ROOT, role: 'admin' },
    ]);
    base = `http://127.0.0.1:${agent.apiPort}`;
    await waitFor(() => b()?.meta.state === 'stable', { what: 'stable' });
  });
  after(async () => {
    await agent?.stop();
    tmp?.cleanup();
  });

  it('add items by hand, remove them; forbid and unforbid; lock and unlock; relearn', async () => {
    await call(ALICE, `/v1/workloads/${W}/approve`, { kind: 'exec', items: ['/usr/bin/tool', '/opt/app/bin/*'], note: 'release 7' });
    assert.ok(b().has('exec', '/usr/bin/tool') && b().has('exec', '/opt/app/bin/*'));
    await call(ROOT, `/v1/workloads/${W}/remove`, { kind: 'exec', items: ['/usr/bin/tool'] });
    assert.ok(!b().has('exec', '/usr/bin/tool'), 'removed');
    await call(ALICE, `/v1/workloads/${W}/forbid`, { kind: 'exec', items: ['/usr/bin/logrotate'] });
    assert.ok(!b().has('exec', '/usr/bin/logrotate'), 'a forbid removes the learned item');
    assert.equal(b().forbiddenBy('exec', '/usr/bin/logrotate'), '/usr/bin/logrotate');
    await call(ROOT, `/v1/workloads/${W}/unforbid`, { kind: 'exec', items: ['/usr/bin/logrotate'] });
    assert.equal(b().forbiddenBy('exec', '/usr/bin/logrotate'), undefined);
    await call(ALICE, `/v1/workloads/${W}/lock`, {});
    assert.equal(b().meta.state, 'locked');
    await call(ALICE, `/v1/workloads/${W}/unlock`, {});
    assert.equal(b().meta.state, 'stable');
    await call(ROOT, `/v1/workloads/${W}/relearn`, {});
    assert.equal(b().meta.state, 'relearning');
  });

  it('export, then import under another id: the same items', async () => {
    const doc = await call<{ baselines: { container: string; items: Record<string, { key: string }[]> }[] }>(ROOT, `/v1/workloads/${W}/export`);
    await call(ROOT, `/v1/baselines/import?workload=${COPY}&mode=merge`, doc);
    const keys = (id: string) => b(id).snapshot().items.exec!.map((i) => i.key).sort();
    assert.deepEqual(keys(COPY), keys(W));
    assert.deepEqual(keys(COPY), ['/opt/app/bin/*', '/usr/bin/web']);
  });

  it('the audit trail: every change with who, how, from where, what and when; filters by actor and action', async () => {
    const { entries } = await call<{ entries: AuditEntry[] }>(ROOT, '/v1/audit?limit=100');
    const mine = entries.filter((e) => e.workload === W || e.workload === COPY).reverse();
    assert.deepEqual(
      mine.map((e) => `${e.actor} ${e.action} ${e.workload}`),
      [
        `alice approve ${W}`,
        `root remove ${W}`,
        `alice forbid ${W}`,
        `root unforbid ${W}`,
        `alice lock ${W}`,
        `alice unlock ${W}`,
        `root relearn ${W}`,
        `root import-merge ${COPY}`,
      ],
    );
    for (const e of mine) {
      assert.equal(e.via, 'token');
      assert.match(e.remote ?? '', /127\.0\.0\.1/);
      const t = Date.parse(e.time);
      assert.ok(t >= started && t <= Date.now(), `${e.action} at ${e.time}`);
    }
    assert.deepEqual(mine[0].detail, { ...(mine[0].detail as object), kind: 'exec', items: ['/usr/bin/tool', '/opt/app/bin/*'], note: 'release 7' });
    const alice = await call<{ entries: AuditEntry[] }>(ROOT, '/v1/audit?actor=alice');
    assert.deepEqual([...new Set(alice.entries.map((e) => e.actor))], ['alice']);
    assert.equal(alice.entries.length, 4);
    const locks = await call<{ entries: AuditEntry[] }>(ALICE, '/v1/audit?action=lock');
    assert.deepEqual(locks.entries.map((e) => e.action), ['lock']);
  });
});

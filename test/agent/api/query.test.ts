// The responder's questions, answered by the running server on a loopback port (no
// handler called directly), checked for what they mean — not only their shape, which
// the OpenAPI conformance test checks: a baseline by kind with counts, first/last seen,
// nodes and generalised patterns; diffs between two workloads and over a time range;
// alerts and incidents under every filter, walked page by page in a stable order; an
// alert's detail with its evidence and process ancestry. Workload ids are the real
// `namespace/Kind/name` ones, slashes and all.
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentHandle } from '../../../agent/agent.ts';
import { SEVERITIES, severityRank } from '../../../models/alert.ts';
import type { StoredAlert } from '../../../agent/store/alerts.ts';
import type { StoredIncident } from '../../../agent/store/incidents.ts';
import { tempDir } from '../../support/agent-proc.ts';
import { startApiAgent } from '../../support/api-agent.ts';
import { waitFor } from '../../support/env.ts';

const TOKEN = 'query-admin-token-0123456789';
const WEB = 'shop/Deployment/web';
const CANARY = 'shop/Deployment/web-canary';
const LEDGER = 'bank/StatefulSet/ledger';

interface Item {
  key: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  nodes: string[];
}
interface Shown {
  workload: string;
  baselines: { container: string; items: Record<string, Item[]> }[];
}
interface Diff {
  from: { workload: string; version: number; asOf: string | null };
  to: { workload: string; version: number; asOf: string | null };
  changes: { kind: string; item: string; change: string }[];
}

describe('API queries: what they answer, on real workload ids', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let agent: AgentHandle;
  let input: string;
  let base: string;
  let pid = 1000;

  const ids = { [WEB]: ['shop', 'Deployment', 'web', 'app'], [CANARY]: ['shop', 'Deployment', 'web-canary', 'app'], [LEDGER]: ['bank', 'StatefulSet', 'ledger', 'db'] } as const;
  const ev = (w: keyof typeof ids, kind: string, exe: string, extra: Record<string, unknown> = {}, node = 'node-a'): string => {
    const [namespace, k, name, container] = ids[w];
    pid += 2;
    return (
      JSON.stringify({
        time: Date.now(),
        node,
        kind,
        workload: { id: w, namespace, kind: k, name, container },
        process: { pid, ppid: pid - 1, exe, args: [exe], ancestors: [{ exe: '/usr/bin/containerd-shim-runc-v2', pid: pid - 1 }] },
        ...extra,
      }) + '\n'
    );
  };
  const get = async <T>(path: string): Promise<T> => {
    const r = await fetch(base + path, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = (await r.json()) as T;
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(body)}`);
    return body;
  };
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const r = await fetch(base + path, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const out = (await r.json()) as T;
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(out)}`);
    return out;
  };
  const stable = (w: string, c: string) => agent.profiler.baselines.get(`${w}#${c}`)?.meta.state === 'stable';
  const all = () => agent.alerts.list({ limit: 1000 });

  before(async () => {
    tmp = tempDir('hw-query-');
    input = join(tmp.dir, 'events.jsonl');
    writeFileSync(
      input,
      ev(WEB, 'exec', '/usr/bin/web') +
        ev(WEB, 'exec', '/usr/bin/web', {}, 'node-b') +
        ev(WEB, 'exec', '/usr/bin/web') +
        ev(WEB, 'listen', '/usr/bin/web', { proto: 'tcp', addr: '0.0.0.0', port: 8080 }) +
        ev(WEB, 'file_write', '/usr/bin/web', { path: '/var/cache/web/12345/state', op: 'create' }) +
        ev(CANARY, 'exec', '/usr/bin/web') +
        ev(CANARY, 'exec', '/usr/bin/helper') +
        ev(CANARY, 'listen', '/usr/bin/web', { proto: 'tcp', addr: '0.0.0.0', port: 8080 }) +
        ev(CANARY, 'file_write', '/usr/bin/web', { path: '/var/cache/web/12345/state', op: 'create' }) +
        ev(LEDGER, 'exec', '/usr/bin/ledger'),
    );
    agent = await startApiAgent(join(tmp.dir, 'data'), input, [{ name: 'admin', token: TOKEN, role: 'admin' }]);
    base = `http://127.0.0.1:${agent.apiPort}`;
    await waitFor(() => stable(WEB, 'app') && stable(CANARY, 'app') && stable(LEDGER, 'db'), { what: 'three stable baselines' });
  });
  after(async () => {
    await agent?.stop();
    tmp?.cleanup();
  });

  it('a baseline by kind: counts, first/last seen, nodes; patterns=true keeps only generalised items', async () => {
    const byKind = await get<Shown>(`/v1/workloads/${WEB}/baseline?kind=exec`);
    assert.equal(byKind.workload, WEB);
    assert.deepEqual(Object.keys(byKind.baselines[0].items), ['exec']);
    const [web] = byKind.baselines[0].items.exec;
    assert.equal(web.key, '/usr/bin/web');
    assert.equal(web.count, 3);
    assert.deepEqual([...web.nodes].sort(), ['node-a', 'node-b']);
    assert.ok(web.firstSeen <= web.lastSeen && web.lastSeen <= Date.now());
    const patterns = await get<Shown>(`/v1/workloads/${WEB}/baseline?patterns=true`);
    const keys = Object.values(patterns.baselines[0].items).flat().map((i) => i.key);
    // the write's numeric directory became `*`; a listener on any address is `*:port`
    assert.deepEqual(keys, ['/var/cache/web/*/state', 'tcp *:8080'], 'generalised items only, nothing literal');
  });

  it('diff between two workloads: exactly what the canary does and web does not', async () => {
    const d = await get<Diff>(`/v1/workloads/${WEB}/diff?against=${CANARY}`);
    assert.equal(d.from.workload, WEB);
    assert.equal(d.to.workload, CANARY);
    assert.deepEqual(d.changes, [{ kind: 'exec', item: '/usr/bin/helper', change: 'added' }]);
  });

  it('diff over a time range: what is new since a moment, and nothing before it', async () => {
    const since = Date.now();
    await waitFor(() => Date.now() > since, { what: 'the clock to move' });
    await post(`/v1/workloads/${LEDGER}/approve`, { kind: 'exec', items: ['/usr/bin/ledger-migrate'], note: 'release 42' });
    const d = await get<Diff>(`/v1/workloads/${LEDGER}/diff?since=${new Date(since).toISOString()}`);
    assert.equal(d.from.asOf, new Date(since).toISOString());
    assert.deepEqual(d.changes, [{ kind: 'exec', item: '/usr/bin/ledger-migrate', change: 'added' }]);
    const before = await get<Diff>(`/v1/workloads/${LEDGER}/diff?since=${since - 60_000}&until=${since}`);
    assert.deepEqual(before.changes, [{ kind: 'exec', item: '/usr/bin/ledger', change: 'added' }], 'the minute before: what it learned then, not the approval');
  });

  describe('alerts and incidents', () => {
    before(async () => {
      // alerts of several rules, severities, workloads and namespaces
      appendFileSync(input, ev(WEB, 'exec', '/usr/bin/curl'));
      await waitFor(() => all().length >= 1, { what: 'the first alert' });
      // the ledger's alerts all come before the canary's first: incidents apart in time
      appendFileSync(input, ev(LEDGER, 'exec', '/tmp/xmrig') + ev(LEDGER, 'exec', '/usr/bin/psql') + ev(WEB, 'listen', '/usr/bin/web', { proto: 'tcp', addr: '0.0.0.0', port: 4444 }));
      await waitFor(() => all().length >= 4, { what: 'four alerts' });
      appendFileSync(input, ev(CANARY, 'exec', '/usr/bin/nmap') + ev(WEB, 'exec', '/usr/bin/wget'));
      await waitFor(() => all().length >= 6, { what: 'six alerts' });
      // a medium one (a new write) and a critical one (drift: running what the container wrote)
      appendFileSync(input, ev(CANARY, 'file_write', '/usr/bin/web', { path: '/opt/app/dropper', op: 'create' }) + ev(CANARY, 'exec', '/opt/app/dropper'));
      await waitFor(() => all().some((a) => a.severity === 'critical') && all().some((a) => a.severity === 'medium'), { what: 'medium and critical alerts' });
      const [some] = all().filter((a) => a.workload.id === WEB);
      await post(`/v1/alerts/${some.id}/status`, { status: 'acknowledged', note: 'looking' });
      // the ledger's incident is closed: all its alerts resolved
      for (const a of all().filter((x) => x.workload.id === LEDGER)) await post(`/v1/alerts/${a.id}/status`, { status: 'resolved' });
    });

    const walk = async <T>(path: string, key: 'alerts' | 'incidents', limit: number): Promise<T[]> => {
      const out: T[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 100; pages++) {
        const sep = path.includes('?') ? '&' : '?';
        const page: Record<string, unknown> = await get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        const items = page[key] as T[];
        assert.ok(items.length <= limit);
        out.push(...items);
        cursor = page.nextCursor as string | null;
        if (cursor === null) return out;
      }
      throw new Error('more than 100 pages');
    };
    const newestFirst = (xs: { time: string; id: string }[]): void => {
      for (let i = 1; i < xs.length; i++) {
        const a = xs[i - 1], b = xs[i];
        assert.ok(a.time > b.time || (a.time === b.time && a.id > b.id), `stable order at ${i}: ${a.time} ${a.id} / ${b.time} ${b.id}`);
      }
    };
    const ids = (xs: { id: string }[]) => xs.map((x) => x.id);

    it('alerts: pages of any size walk the same list, newest first (time, then id), each alert once', async () => {
      const { alerts: everything } = await get<{ alerts: StoredAlert[] }>('/v1/alerts?limit=1000');
      assert.ok(everything.length >= 6, `${everything.length} alerts`);
      newestFirst(everything);
      for (const limit of [1, 2, 5]) assert.deepEqual(ids(await walk<StoredAlert>('/v1/alerts', 'alerts', limit)), ids(everything), `limit=${limit}`);
    });

    it('alerts: every filter keeps exactly the alerts it describes, also across pages', async () => {
      const { alerts: everything } = await get<{ alerts: StoredAlert[] }>('/v1/alerts?limit=1000');
      const rules = [...new Set(everything.map((a) => a.rule))];
      assert.ok(rules.length >= 3, `rules: ${rules.join(', ')}`);
      const mid = everything[Math.floor(everything.length / 2)];
      const t = Date.parse(mid.time);
      const cases: [string, (a: StoredAlert) => boolean][] = [
        [`namespace=bank`, (a) => a.workload.namespace === 'bank'],
        [`workload=${encodeURIComponent(WEB)}`, (a) => a.workload.id === WEB],
        [`rule=${rules[1]}`, (a) => a.rule === rules[1]],
        ...SEVERITIES.map((s): [string, (a: StoredAlert) => boolean] => [`severity=${s}`, (a) => severityRank(a.severity) >= severityRank(s)]),
        [`status=acknowledged`, (a) => a.status === 'acknowledged'],
        [`status=open`, (a) => a.status === 'open'],
        [`since=${t}`, (a) => Date.parse(a.lastSeen) >= t],
        [`until=${new Date(t).toISOString()}`, (a) => Date.parse(a.time) < t],
        [`namespace=shop&severity=medium&status=open`, (a) => a.workload.namespace === 'shop' && severityRank(a.severity) >= severityRank('medium') && a.status === 'open'],
      ];
      for (const [q, keep] of cases) {
        const want = ids(everything.filter(keep));
        // a minimum severity may keep all or none; every other filter must tell alerts apart
        if (!q.startsWith('severity=')) assert.ok(want.length > 0 && want.length < everything.length, `${q} selects some, not all (${want.length}/${everything.length})`);
        assert.deepEqual(ids(await walk<StoredAlert>(`/v1/alerts?${q}`, 'alerts', 2)), want, q);
      }
      const sizes = new Set(SEVERITIES.map((s) => everything.filter((a) => severityRank(a.severity) >= severityRank(s)).length));
      assert.ok(sizes.size >= 3, `the alerts span several severities: ${everything.map((a) => `${a.rule}/${a.severity}`).join(" ")}`);
    });

    it("an alert's detail: its evidence, the process with its ancestry, the baseline context and triage", async () => {
      const curl = all().find((a) => a.evidence.exe === '/usr/bin/curl')!;
      const a = await get<StoredAlert>(`/v1/alerts/${curl.id}`);
      assert.equal(a.rule, 'unexpected-exec');
      assert.equal(a.workload.id, WEB);
      assert.equal(a.evidence.item, '/usr/bin/curl');
      assert.equal(a.process.exe, '/usr/bin/curl');
      assert.deepEqual(a.process.ancestors?.map((p) => p.exe), ['/usr/bin/containerd-shim-runc-v2']);
      assert.equal(a.baseline.state, 'stable');
      assert.ok(['open', 'acknowledged'].includes(a.status));
    });

    it('incidents: pages walk the same list in a stable order; filters keep exactly what they describe', async () => {
      const { incidents: everything } = await get<{ incidents: StoredIncident[] }>('/v1/incidents?limit=1000');
      assert.ok(everything.length >= 3, `${everything.length} incidents (one per container)`);
      newestFirst(everything);
      assert.deepEqual(ids(await walk<StoredIncident>('/v1/incidents', 'incidents', 1)), ids(everything));
      const t = Date.parse(everything.find((i) => i.workload.id === CANARY)!.time);
      const cases: [string, (i: StoredIncident) => boolean][] = [
        [`since=${t}`, (i) => Date.parse(i.lastSeen) >= t],
        [`until=${new Date(t).toISOString()}`, (i) => Date.parse(i.time) < t],
        ['namespace=bank', (i) => i.workload.namespace === 'bank'],
        [`workload=${encodeURIComponent(CANARY)}`, (i) => i.workload.id === CANARY],
        ['rule=exec-writable-path', (i) => i.rules.includes('exec-writable-path')],
        ['severity=high', (i) => severityRank(i.severity) >= severityRank('high')],
        ['severity=critical', (i) => severityRank(i.severity) >= severityRank('critical')],
        ['status=open', (i) => i.status === 'open'],
        ['status=resolved', (i) => i.status === 'resolved'],
      ];
      for (const [q, keep] of cases) {
        const want = ids(everything.filter(keep));
        if (!q.startsWith('severity=')) assert.ok(want.length > 0 && want.length < everything.length, `${q} selects some, not all (${want.length}/${everything.length})`);
        assert.deepEqual(ids(await walk<StoredIncident>(`/v1/incidents?${q}`, 'incidents', 1)), want, q);
      }
    });
  });
});

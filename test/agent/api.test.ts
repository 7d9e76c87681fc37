// The responder API and CLI against an in-process agent.
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startAgent, type AgentHandle } from '../../agent/agent.ts';
import { buildConfig } from '../../agent/config/load.ts';
import { silentLogger } from '../../collector/log.ts';
import { tempDir } from '../support/agent-proc.ts';
import { CLI, waitFor } from '../support/env.ts';
import { assertValidAlert, assertValidIncident } from '../support/alert-schema.ts';
import type { Alert } from '../../models/alert.ts';
import type { Incident } from '../../models/incident.ts';

const TOKEN = 'api-test-token-42';
const W = 'host/cgroup/system.slice/web.service';
const ev = (kind: string, exe: string, extra: object = {}) =>
  JSON.stringify({ time: Date.now(), kind, process: { pid: 7, exe, args: [exe] }, cgroup: { path: '/system.slice/web.service' }, ...extra }) + '\n';

describe('API and CLI', () => {
  let tmp: ReturnType<typeof tempDir>;
  let agent: AgentHandle;
  let input: string;
  let base: string;
  const api = (path: string, init: RequestInit = {}) => fetch(base + path, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } });
  const cli = async (...args: string[]) =>
    (await promisify(execFile)(process.execPath, [CLI, ...args, '--api', base, '--token', TOKEN])).stdout;

  before(async () => {
    tmp = tempDir('hw-api-');
    input = join(tmp.dir, 'events.jsonl');
    writeFileSync(input, ev('exec', '/usr/bin/web') + ev('listen', '/usr/bin/web', { port: 8080 }));
    const config = buildConfig({
      dataDir: join(tmp.dir, 'data'),
      api: { listen: '127.0.0.1:0', tokens: [{ name: 'alice', token: TOKEN, role: 'admin' }] },
      sources: { enabled: ['events'], events: { paths: [input], follow: true } },
      learning: { minLearning: '0s', quietPeriod: '300ms' },
      store: { flushInterval: '100ms' },
    });
    agent = await startAgent(config, { log: silentLogger });
    base = `http://127.0.0.1:${agent.apiPort}`;
    await waitFor(async () => {
      const r = (await (await api('/v1/workloads')).json()) as { workloads: { containers: { state: string }[] }[] };
      return r.workloads[0]?.containers[0]?.state === 'stable';
    }, { what: 'baseline stable' });
  });
  after(async () => {
    await agent.stop();
    tmp.cleanup();
  });

  it('requires the bearer token, except for health probes and metrics', async () => {
    assert.equal((await fetch(base + '/v1/alerts')).status, 401);
    assert.equal((await fetch(base + '/v1/alerts', { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await fetch(base + '/healthz')).status, 200);
    assert.equal((await fetch(base + '/readyz')).status, 200);
    assert.match(await (await fetch(base + '/metrics')).text(), /habitwatch_baselines\{state="stable"\} 1/);
  });

  it('a novel exec raises an alert; approving it from the alert silences the repeat', async () => {
    appendFileSync(input, ev('exec', '/usr/bin/curl'));
    const alert = await waitFor(async () => {
      const r = (await (await api(`/v1/alerts?workload=${encodeURIComponent(W)}`)).json()) as { alerts: { id: string; rule: string }[] };
      return r.alerts.find((a) => a.rule === 'unexpected-exec');
    }, { what: 'unexpected-exec alert' });
    const full = await (await api(`/v1/alerts/${alert.id}`)).json();
    assertValidAlert(full);
    const out = await cli('baseline', 'approve', '--alert', alert.id);
    assert.match(out, /added to .*: \/usr\/bin\/curl/);
    const r = (await (await api(`/v1/workloads/${W}/baseline?kind=exec`)).json()) as { baselines: { items: { exec: { key: string }[] } }[] };
    assert.deepEqual(r.baselines[0].items.exec.map((i) => i.key).sort(), ['/usr/bin/curl', '/usr/bin/web']);
    assert.equal(((await (await api('/v1/alerts?severity=critical')).json()) as { alerts: unknown[] }).alerts.length, 0, 'severity filter is a minimum');
  });

  it('groups the alerts of one container into an incident: /v1/incidents, its detail, the CLI', async () => {
    appendFileSync(input, ev('exec', '/usr/bin/nmap') + ev('connect', '/usr/bin/web', { dstAddr: '10.9.9.9', dstPort: 4444 }));
    const nmap = await waitFor(async () => {
      const r = (await (await api(`/v1/alerts?workload=${encodeURIComponent(W)}`)).json()) as { alerts: Alert[] };
      return r.alerts.find((a) => a.evidence.exe === '/usr/bin/nmap');
    }, { what: 'nmap alert' });
    assert.ok(nmap.incident, 'the alert names its incident');
    const { incidents } = (await (await api('/v1/incidents?since=1h&severity=medium')).json()) as { incidents: Incident[] };
    const inc = incidents.find((i) => i.id === nmap.incident);
    assert.ok(inc, JSON.stringify(incidents));
    assertValidIncident(inc);
    const detail = (await (await api(`/v1/incidents/${inc.id}`)).json()) as { incident: Incident; alerts: Alert[] };
    assert.equal(detail.incident.id, inc.id);
    for (const a of detail.alerts) {
      assertValidAlert(a);
      assert.equal(a.incident, inc.id);
    }
    assert.deepEqual(detail.alerts.map((a) => a.id).sort(), detail.incident.timeline.map((e) => e.alert).sort());
    assert.ok(detail.alerts.some((a) => a.rule === 'unexpected-exec' && a.evidence.exe === '/usr/bin/curl'), 'the earlier alert of the same container joined it');
    assert.equal((await api('/v1/incidents/00000000-0000-0000-0000-000000000000')).status, 404);
    assert.equal((await api('/v1/incidents?severity=extreme')).status, 400);
    assert.match(await cli('incidents'), new RegExp(`${inc.id}.*${inc.severity}`));
    assert.match(await cli('incidents', 'show', inc.id), /ATT&CK[\s\S]*\/usr\/bin\/nmap/);
    const json = (await cli('incidents', '--json')).trim().split('\n').map((l) => JSON.parse(l) as Incident);
    assert.ok(json.some((i) => i.id === inc.id));
    assert.equal(((await (await api('/v1/incidents?severity=critical')).json()) as { incidents: unknown[] }).incidents.length, 0);
    assert.match(await (await fetch(base + '/metrics')).text(), /habitwatch_incidents_total\{severity="high",namespace=""\} 1/);
  });

  it('CLI list / show / lock / relearn --reset / diff / export', async () => {
    assert.match(await cli('baseline', 'list'), new RegExp(`${W.replaceAll('.', '\\.')}\\s+web\\.service\\s+stable`));
    assert.match(await cli('baseline', 'show', W), /exec \(2\)[\s\S]*\/usr\/bin\/web/);
    assert.match(await cli('baseline', 'lock', W), /locked/);
    const locked = (await (await api('/v1/workloads')).json()) as { workloads: { containers: { state: string; lockedBy: string }[] }[] };
    assert.equal(locked.workloads[0].containers[0].lockedBy, 'alice');
    assert.match(await cli('baseline', 'relearn', W, '--reset'), /relearning \(v2\)/);
    const diff = JSON.parse(await cli('baseline', 'diff', W, '--json')) as { from: { version: number }; to: { version: number }; changes: { change: string }[] };
    assert.equal(diff.from.version, 1);
    assert.equal(diff.to.version, 2);
    assert.ok(diff.changes.length >= 3 && diff.changes.every((c) => c.change === 'removed'));
    const exp = JSON.parse(await cli('baseline', 'export', W)) as { baselines: { meta: { version: number } }[] };
    assert.equal(exp.baselines[0].meta.version, 2);
  });

  it('answers bad requests with clear errors', async () => {
    assert.equal((await api('/v1/workloads/nope/baseline')).status, 404);
    assert.equal((await api('/v1/alerts?severity=extreme')).status, 400);
    assert.equal((await api(`/v1/workloads/${W}/approve`, { method: 'POST', body: '{"kind":"exec"}' })).status, 400);
    assert.equal((await api(`/v1/workloads/${W}/approve`, { method: 'POST', body: 'not json' })).status, 400);
    assert.equal((await api('/v1/alerts', { method: 'POST', body: '{}' })).status, 405);
  });
});

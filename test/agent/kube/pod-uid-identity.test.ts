// Identity without the API and without the node: `habitwatch replay`, and a live agent
// whose only source is normalised events (no kubernetes.api, no host source). A pod's
// container named by nothing but its kubepods cgroup path is keyed by its pod UID
// (`host/pod/<uid>`, the container by its name when the event names it, else by its
// id's first 12 hex) — never `host/container/<id>`. Events that name their workload keep it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { replay } from '../../../agent/cli/replay.ts';
import { startAgentProc, tempDir } from '../../support/agent-proc.ts';
import { waitFor } from '../../support/env.ts';
import { randomContainerId } from '../../support/kube/objects.ts';

const uid = randomUUID();
const [a, b] = [randomContainerId(), randomContainerId()];
const path = (cid: string): string => `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid.replaceAll('-', '_')}.slice/cri-containerd-${cid}.scope`;
const T0 = Date.parse('2026-03-01T10:00:00Z');

function exec(i: number, cid: string, exe: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ time: T0 + i * 1000, node: 'node-a', kind: 'exec', process: { pid: 100 + i, exe, args: [exe] }, cgroup: { path: path(cid) }, ...extra }) + '\n';
}

/** two containers of one pod learning (20 events), then each runs a binary it never ran */
function capture(): string {
  let out = '';
  for (let i = 0; i < 20; i++) out += exec(i, i % 2 === 0 ? a : b, i % 2 === 0 ? '/usr/bin/app' : '/usr/bin/sidecar');
  return out + exec(20, a, '/usr/bin/curl') + exec(21, b, '/usr/bin/wget');
}

describe('identity without the API or the node: the pod UID from the cgroup path', function () {
  this.timeout(30000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir('hw-poduid-')));
  afterEach(() => tmp.cleanup());

  for (const threads of [1, 2]) {
    it(`replay (${threads} thread${threads > 1 ? 's' : ''}): two containers of one pod are one pod-keyed workload`, async () => {
      const file = join(tmp.dir, 'pod.jsonl');
      // and a container whose events name their workload: it keeps it
      const web = { workload: { id: 'shop/Deployment/web', namespace: 'shop', kind: 'Deployment', name: 'web', container: 'app' } };
      const lines = capture().split('\n');
      writeFileSync(file, [...lines.slice(0, 20), exec(40, a, '/usr/sbin/nginx', web).trim(), ...lines.slice(20)].join('\n') + exec(41, a, '/usr/bin/nc', web));
      const r = await replay({ source: 'events', files: [file], learnEvents: 21, threads });
      const got = r.alerts.filter((x) => x.rule === 'unexpected-exec').map((x) => `${x.workload.id}#${x.workload.container} ${x.evidence.item}`);
      assert.deepEqual(got.sort(), [`host/pod/${uid}#${a.slice(0, 12)} /usr/bin/curl`, `host/pod/${uid}#${b.slice(0, 12)} /usr/bin/wget`, 'shop/Deployment/web#app /usr/bin/nc'].sort());
      for (const x of r.alerts) assert.doesNotMatch(x.workload.id, /^host\/container\//);
      // the pod's two containers and the named one
      assert.deepEqual(r.baselines, { stable: 3 });
    });
  }

  it('a live agent with only the events source (no API, no host source): the same pod-keyed workload; a named container keeps its name', async () => {
    const input = join(tmp.dir, 'events.jsonl');
    writeFileSync(input, '');
    const agent = await startAgentProc(tmp.dir, { sources: { enabled: ['events'], events: { paths: [input], follow: true } } });
    try {
      appendFileSync(input, capture().split('\n').slice(0, 20).join('\n') + '\n');
      // a third container of the pod, named by the event
      const c = randomContainerId();
      appendFileSync(input, exec(30, c, '/usr/bin/worker', { container: { id: c, name: 'worker' } }));
      // every event judged: the pod's three containers, each with what it ran
      const want = { [a.slice(0, 12)]: ['/usr/bin/app'], [b.slice(0, 12)]: ['/usr/bin/sidecar'], worker: ['/usr/bin/worker'] };
      const byContainer = await waitFor(
        async () => {
          const res = await agent.api(`/v1/workloads/host/pod/${uid}/baseline`);
          if (res.status !== 200) return undefined;
          const shown = (await res.json()) as { baselines: { meta: { container: string }; items: { exec?: { key: string }[] } }[] };
          const got = Object.fromEntries(shown.baselines.map((x) => [x.meta.container, (x.items.exec ?? []).map((i) => i.key)]));
          const canon = (o: Record<string, string[]>): string => JSON.stringify(Object.entries(o).sort());
          return canon(got) === canon(want) ? got : undefined;
        },
        { what: 'the pod-keyed workload with its three containers' },
      );
      assert.deepEqual(byContainer, want);
      const list = ((await (await agent.api('/v1/workloads')).json()) as { workloads: { id: string }[] }).workloads;
      assert.deepEqual(list.map((w) => w.id), [`host/pod/${uid}`], 'one workload, no host/container/<id>');
      const metrics = await (await agent.api('/metrics')).text();
      assert.match(metrics, /habitwatch_enrichment_partial_total\{reason="no_api"\} 21/);
    } finally {
      await agent.kill();
    }
  });
});

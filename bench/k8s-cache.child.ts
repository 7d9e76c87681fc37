// The measuring side of bench/k8s.bench.ts: reads {kubeconfig, containers} on stdin,
// runs Kubernetes enrichment against that server, names one event of every container,
// prints {cacheMib, pods, perPodKib} (heap after full GCs, client library excluded).
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { createKubeEnrichment } from '../collector/enrich/kube/index.ts';
import { createEnricher } from '../collector/enrich/index.ts';
import { silentLogger } from '../collector/log.ts';
import type { RuntimeEvent } from '../collector/event.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const heap = (): number => {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
};
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let input = '';
for await (const c of process.stdin) input += c;
const { kubeconfig, containers } = JSON.parse(input) as { kubeconfig: string; containers: { uid: string; id: string }[] };
const kc = new KubeConfig();
kc.loadFromString(kubeconfig);
// the library loaded, a client made and one call answered: fixed costs, not the cache
await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'none' });
const before = heap();

const k = await createKubeEnrichment({ node: 'node-a', log: silentLogger, kc, runtimeDirs: [] });
const released: RuntimeEvent[] = [];
const enricher = createEnricher([k.step], { holdMs: 2000 });
enricher.setSink((evs) => released.push(...evs));
k.start();
for (let i = 0; i < 600 && !(k.stats().synced && k.stats().pods === new Set(containers.map((c) => c.uid)).size && k.stats().peerAddresses > 0); i++) await wait(50);
const event = (c: { uid: string; id: string }): RuntimeEvent => ({
  time: Date.now(),
  node: 'node-a',
  source: 'bench',
  kind: 'exec',
  process: { pid: 1, exe: '/usr/bin/app', args: ['/usr/bin/app'] },
  cgroup: { path: `/kubepods.slice/kubepods-pod${c.uid.replaceAll('-', '_')}.slice/cri-containerd-${c.id}.scope` },
  enrichment: 'complete',
});
// every container's events named (owners looked up), twice to be sure nothing is held
for (let round = 0; round < 2; round++) {
  enricher.enrich(containers.map(event));
  for (let i = 0; i < 200 && enricher.held > 0; i++) await wait(25);
}
const named = released.filter((e) => e.enrichment === 'complete').length + 0;
if (named === 0 && containers.length > 0 && k.stats().pods === 0) throw new Error('nothing was named');
released.length = 0; // the bench's own events are not the cache
const after = heap();
const pods = k.stats().pods;
await k.stop();
enricher.close();
const cacheMib = (after - before) / 1048576;
console.log(JSON.stringify({ cacheMib: Math.round(cacheMib * 100) / 100, pods, perPodKib: Math.round(((after - before) / 1024 / pods) * 10) / 10 }));
process.exit(0);

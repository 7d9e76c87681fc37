// Kubernetes enrichment's memory for a full node, k8s_enrichment_cache_mib_250_pods: what
// the agent holds to name the workloads of 250 pods — the pod informer's slim cache and
// indexes, owner answers, per-container identities, the runtime-name and path memos,
// plus the Services/EndpointSlices index of a modest cluster (300 Services, 30 headless
// with slices). Pods are realistic in size (env, mounts, probes, managedFields, 1–3
// containers: the API sends all of that; the cache keeps a few fields).
//
// Measured in a child process (bench/k8s-cache.child.ts, --expose-gc) against the
// emulated API server running here, so the server's own objects do not count: heap
// after a full GC once every container's events were named, minus the heap after a
// full GC with the client library loaded and connected (its code is not a cache).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { defineBench } from './harness.ts';
import { KubeApiServer } from '../test/support/kube/server.ts';
import { deployment, endpointSlice, pod, replicaSet, service, workload } from '../test/support/kube/objects.ts';

const PODS = 250;

export default defineBench({
  name: 'k8s',
  budgets: { k8s_enrichment_cache_mib_250_pods: ['<=', 32] },
  async run(ctx) {
    const kube = await KubeApiServer.start({ bookmarkIntervalMs: 60_000 });
    try {
      ctx.progress(`creating ${PODS} pods`);
      const containers: { uid: string; id: string }[] = [];
      let n = 0;
      for (let d = 0; n < PODS; d++) {
        const owner =
          d % 10 === 9
            ? kube.apply(workload(d % 20 === 9 ? 'StatefulSet' : 'DaemonSet', `ns-${d % 12}`, `wl-${d}`))
            : kube.apply(replicaSet(kube.apply(deployment(`ns-${d % 12}`, `app-${d}`, { labels: { app: `app-${d}`, team: `team-${d % 7}`, tier: 'backend' } }))));
        for (let r = 0; r < 5 && n < PODS; r++, n++) {
          const sidecars = n % 3;
          const p = kube.apply(
            pod({
              namespace: owner.metadata.namespace!,
              owner,
              node: 'node-a',
              ip: `10.244.${n >> 8}.${n & 255}`,
              serviceAccount: `sa-${d}`,
              realistic: true,
              containers: [{ name: 'app' }, ...Array.from({ length: sidecars }, (_, i) => ({ name: `sidecar-${i}` }))],
            }),
          );
          for (const cs of (p.status as { containerStatuses: { containerID: string }[] }).containerStatuses) containers.push({ uid: p.metadata.uid!, id: cs.containerID.replace(/^.*:\/\//, '') });
        }
      }
      for (let s = 0; s < 300; s++) {
        const headless = s % 10 === 0;
        const svc = kube.apply(service(`ns-${s % 12}`, `svc-${s}`, headless ? 'None' : `10.96.${s >> 8}.${s & 255}`, [8080]));
        if (headless) kube.apply(endpointSlice(svc, Array.from({ length: 8 }, (_, i) => ({ ip: `10.245.${s}.${i}` })), 8080));
      }
      ctx.progress('measuring in a child process');
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(import.meta.dirname, 'k8s-cache.child.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
        let text = '';
        child.stdout.on('data', (d) => (text += d));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`measurement child exited ${code}`))));
        child.stdin.end(JSON.stringify({ kubeconfig: kube.kubeconfigYaml(), containers }));
      });
      const r = JSON.parse(out.trim().split('\n').pop()!) as { cacheMib: number; pods: number; perPodKib: number };
      if (r.pods !== PODS) throw new Error(`the informer held ${r.pods} pods, not ${PODS}`);
      return { k8s_enrichment_cache_mib_250_pods: r.cacheMib, k8s_enrichment_kib_per_pod: r.perPodKib };
    } finally {
      await kube.close();
    }
  },
});

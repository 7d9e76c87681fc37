// The API client's configuration: a kubeconfig file (out of cluster, tests) or the
// pod's service account (in cluster). client-node is loaded only here, on demand.
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubernetesConfig } from './config.ts';

export async function loadKubeConfig(cfg: KubernetesConfig): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (cfg.kubeconfig !== undefined) {
    kc.loadFromFile(cfg.kubeconfig);
    if (cfg.context !== undefined) kc.setCurrentContext(cfg.context);
  } else kc.loadFromCluster();
  if (!kc.getCurrentCluster()) throw new Error(`kubernetes: no cluster in ${cfg.kubeconfig ?? 'the in-cluster configuration'}${cfg.context ? ` (context ${cfg.context})` : ''}`);
  return kc;
}

// What the base DaemonSet gives the agent (manifests/base/daemonset.yaml): its memory
// limit, termination grace period and NODE_OPTIONS — so the storm test and bench run
// the agent as it runs there, and hold it to those limits.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO } from './env.ts';

export interface DaemonSetLimits {
  memoryMiB: number;
  graceS: number;
  nodeOptions: string;
}

export function baseDaemonSet(): DaemonSetLimits {
  const docs = parseAllDocuments(readFileSync(join(REPO, 'manifests', 'base', 'daemonset.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
  type Container = { name: string; env?: { name: string; value?: string }[]; resources?: { limits?: { memory?: string } } };
  const ds = docs.find((d) => d?.kind === 'DaemonSet') as { spec: { template: { spec: { terminationGracePeriodSeconds?: number; containers: Container[] } } } } | undefined;
  if (!ds) throw new Error('no DaemonSet in manifests/base/daemonset.yaml');
  const pod = ds.spec.template.spec;
  const agent = pod.containers.find((c) => c.name === 'agent') ?? pod.containers[0];
  const mem = agent.resources?.limits?.memory ?? '';
  const m = /^(\d+)(Mi|Gi)$/.exec(mem);
  if (!m) throw new Error(`the DaemonSet's memory limit is not in Mi or Gi: ${JSON.stringify(mem)}`);
  return {
    memoryMiB: Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1),
    graceS: pod.terminationGracePeriodSeconds ?? 30,
    nodeOptions: agent.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '',
  };
}

// What a baseline is besides its items: its identity and lifecycle (BaselineMeta), how it
// learns (LearningConfig) and its stored form (BaselineSnapshot).
import type { BaselineState } from '../alert.ts';
import type { BaselineKind, Item } from './items.ts';
import type { DecisionsMeta } from './decisions.ts';

export interface LearningConfig {
  /** learn at least this long before a baseline may become stable */
  minLearningMs: number;
  /** …and no new item for this long */
  quietPeriodMs: number;
  /** size budget: past it the baseline is `unstable` (novelty off, built-in rules on) */
  maxItems: number;
  /** a directory with more distinct children than this collapses to dir/* */
  collapseThreshold: number;
  /** more distinct destinations than this on one port collapse to *:port */
  connectCollapseThreshold: number;
  /** more distinct addresses than this in one /24 (/64) on a port collapse to the range; as many /24s in a /16 (/64s in a /48) to that */
  cidrCollapseThreshold: number;
  maxArgPatterns: number;
  maxParents: number;
  maxNodes: number;
}

export const DEFAULT_LEARNING: LearningConfig = {
  minLearningMs: 10 * 60_000,
  quietPeriodMs: 5 * 60_000,
  maxItems: 5000,
  collapseThreshold: 24,
  connectCollapseThreshold: 16,
  cidrCollapseThreshold: 8,
  maxArgPatterns: 16,
  maxParents: 16,
  maxNodes: 32,
};

export interface BaselineMeta extends DecisionsMeta {
  workloadId: string;
  container: string;
  namespace: string | null;
  workloadKind: string;
  workloadName: string;
  image: string | null;
  version: number;
  state: BaselineState;
  createdAt: number;
  /** start of the current learning phase (creation, relearn or new image) */
  learningSince: number;
  lastNewItemAt: number;
  stableSince: number | null;
  lockedBy: string | null;
  unstableReason: string | null;
  /** per kind: directories (for connect: "proto port" → *:port, "proto port range" → the range) whose children collapsed */
  collapsed: Partial<Record<BaselineKind, string[]>>;
  /** learned under an identity the API has not confirmed (Kubernetes): it may still move */
  provisional?: boolean;
  /** other images this version has seen running (a rollout's old pods): not a new version */
  images?: string[];
  /** when a person last locked, unlocked or relearned it (the latest decision wins across the cluster) */
  decidedAt?: number;
}

/** what an observation adds to its item beyond the count */
export interface ExecDetail {
  /** exec: the generalised executable its lineage is judged by (lineage.ts), learned */
  parent?: string;
  /** exec: the generalised immediate parent, when it differs (accepted, not learned) */
  immediate?: string;
  /** exec: generalised argument pattern */
  args?: string;
  /** file_write: the operation */
  op?: string;
}

export interface BaselineSnapshot {
  key: string;
  meta: BaselineMeta;
  items: Partial<Record<BaselineKind, Item[]>>;
}

export function baselineKey(workloadId: string, container: string): string {
  return `${workloadId}#${container}`;
}

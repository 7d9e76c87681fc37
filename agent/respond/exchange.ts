// Export and import of baselines for GitOps: a JSON or YAML document that carries
// every container baseline of a workload as it is stored (items with counts, first and
// last seen, nodes, detail; state, version, collapse rules, forbidden patterns,
// exceptions). Importing an export into a fresh agent gives the identical baseline.
import { Baseline, baselineKey, type BaselineSnapshot } from '../../models/baseline/baseline.ts';
import { approvalProblem, forbidProblem } from '../../models/baseline/approval.ts';
import { BASELINE_KINDS, type BaselineKind } from '../../models/baseline/items.ts';
import type { Profiler } from '../../models/baseline/profiler.ts';
import { HttpError } from '../api/errors.ts';
import { workloadScope } from '../api/scope.ts';

export const EXPORT_API_VERSION = 'habitwatch.dev/v1';
export const EXPORT_KIND = 'BaselineExport';

export interface ExportDoc {
  apiVersion: typeof EXPORT_API_VERSION;
  kind: typeof EXPORT_KIND;
  workload: string;
  exportedAt: string;
  baselines: BaselineSnapshot[];
}

/** body schema parts shared with the WorkloadBaseline object's (export/workloadbaseline.ts) */
export const stringList = { type: 'array', items: { type: 'string', maxLength: 1024 }, maxItems: 10000 };
export const kindLists = { type: 'object', propertyNames: { enum: [...BASELINE_KINDS] }, additionalProperties: stringList };
const ms = { type: 'number', minimum: 0 };
const item = {
  type: 'object',
  additionalProperties: false,
  required: ['key', 'count', 'firstSeen', 'lastSeen', 'nodes'],
  properties: {
    key: { type: 'string', minLength: 1, maxLength: 1024 },
    count: { type: 'integer', minimum: 0 },
    firstSeen: ms,
    lastSeen: ms,
    nodes: stringList,
    detail: {
      type: 'object',
      additionalProperties: false,
      properties: { parents: stringList, args: stringList, ops: stringList },
    },
  },
};

/** JSON Schema of an import body (also in docs/openapi.yaml) */
export const importSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'workload', 'baselines'],
  properties: {
    apiVersion: { const: EXPORT_API_VERSION },
    kind: { const: EXPORT_KIND },
    workload: { type: 'string', minLength: 1, maxLength: 512 },
    exportedAt: { type: 'string' },
    baselines: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['meta', 'items'],
        properties: {
          key: { type: 'string' },
          meta: {
            type: 'object',
            additionalProperties: false,
            required: ['workloadId', 'container', 'namespace', 'workloadKind', 'workloadName', 'image', 'version', 'state', 'createdAt', 'learningSince', 'lastNewItemAt', 'stableSince', 'lockedBy', 'unstableReason', 'collapsed'],
            properties: {
              workloadId: { type: 'string', minLength: 1, maxLength: 512 },
              container: { type: 'string', minLength: 1, maxLength: 253 },
              namespace: { type: ['string', 'null'] },
              workloadKind: { type: 'string', minLength: 1 },
              workloadName: { type: 'string', minLength: 1 },
              image: { type: ['string', 'null'] },
              version: { type: 'integer', minimum: 1 },
              state: { enum: ['learning', 'stable', 'unstable', 'relearning', 'locked'] },
              createdAt: ms,
              learningSince: ms,
              lastNewItemAt: ms,
              stableSince: { type: ['number', 'null'] },
              lockedBy: { type: ['string', 'null'] },
              unstableReason: { type: ['string', 'null'] },
              collapsed: kindLists,
              provisional: { type: 'boolean' },
              images: { type: 'array', items: { type: 'string', maxLength: 1024 }, maxItems: 8 },
              decidedAt: ms,
              forbidden: kindLists,
              exceptions: { type: 'object', additionalProperties: stringList },
            },
          },
          items: { type: 'object', propertyNames: { enum: [...BASELINE_KINDS] }, additionalProperties: { type: 'array', items: item, maxItems: 20000 } },
        },
      },
    },
  },
} as const;

export function exportDoc(workload: string, baselines: Baseline[], now: number): ExportDoc {
  return { apiVersion: EXPORT_API_VERSION, kind: EXPORT_KIND, workload, exportedAt: new Date(now).toISOString(), baselines: baselines.map((b) => b.snapshot()) };
}

/** where a snapshot's parts were in the body: a document, or a WorkloadBaseline object (objectDoc) */
export type ImportFormat = 'document' | 'workloadbaseline';
const WHERE: Record<ImportFormat, { items: (i: number) => string; forbidden: (i: number) => string }> = {
  document: { items: (i) => `baselines[${i}].items`, forbidden: (i) => `baselines[${i}].meta.forbidden` },
  workloadbaseline: { items: (i) => `spec.containers[${i}].items`, forbidden: (i) => `spec.containers[${i}].forbidden` },
};

/** semantic checks the schema cannot make; throws 400 naming the first problem */
function checkSnapshot(s: BaselineSnapshot, i: number, format: ImportFormat): void {
  const at = WHERE[format];
  for (const [kind, items] of Object.entries(s.items) as [BaselineKind, BaselineSnapshot['items'][BaselineKind]][]) {
    for (const it of items ?? []) {
      const p = approvalProblem(kind, it.key);
      if (p) throw new HttpError(400, `${at.items(i)}.${kind}: ${JSON.stringify(it.key)}: ${p}`);
      if (it.lastSeen < it.firstSeen) throw new HttpError(400, `${at.items(i)}.${kind}: ${JSON.stringify(it.key)}: lastSeen before firstSeen`);
    }
  }
  for (const [kind, pats] of Object.entries(s.meta.forbidden ?? {}) as [BaselineKind, string[]][]) {
    for (const p of pats) {
      const prob = forbidProblem(kind, p);
      if (prob) throw new HttpError(400, `${at.forbidden(i)}.${kind}: ${JSON.stringify(p)}: ${prob}`);
    }
  }
}

/** the snapshot under another workload id (import ?workload=): names follow the id */
function retarget(s: BaselineSnapshot, workload: string): BaselineSnapshot {
  if (s.meta.workloadId === workload) return s;
  const sc = workloadScope(workload);
  const parts = workload.split('/');
  const meta = {
    ...s.meta,
    workloadId: workload,
    namespace: sc.namespace ?? null,
    workloadKind: sc.namespace ? parts[1] : s.meta.workloadKind,
    workloadName: sc.name ?? parts[parts.length - 1],
  };
  return { ...s, meta };
}

export interface ImportResult {
  workload: string;
  baselines: { key: string; version: number; state: string; items: number; created: boolean }[];
}

/**
 * Load a document into the profiler. replace: each baseline becomes the document's
 * (the one it replaces is archived as a version, so diff shows what the import
 * changed); merge: the document's items and forbidden patterns are added to it.
 */
export interface ImportOptions {
  /** import under this workload id instead of the document's */
  workload?: string;
  mode: 'replace' | 'merge';
  /** what the body was (for error messages); default document */
  format?: ImportFormat;
}

export function importDoc(profiler: Profiler, doc: ExportDoc, o: ImportOptions): { result: ImportResult; changed: Baseline[] } {
  const workload = o.workload ?? doc.workload;
  const snaps = doc.baselines.map((s, i) => {
    if (o.workload === undefined && s.meta.workloadId !== doc.workload) throw new HttpError(400, `baselines[${i}].meta.workloadId ${s.meta.workloadId} is not the document's workload ${doc.workload}`);
    checkSnapshot(s, i, o.format ?? 'document');
    const r = retarget(s, workload);
    return { ...r, key: baselineKey(r.meta.workloadId, r.meta.container) };
  });
  const keys = new Set<string>();
  for (const s of snaps) {
    if (keys.has(s.key)) throw new HttpError(400, `container ${s.meta.container} appears twice`);
    keys.add(s.key);
  }
  const changed: Baseline[] = [];
  const result: ImportResult = { workload, baselines: [] };
  for (const s of snaps) {
    const old = profiler.get(s.key); // in memory, or read from the store
    const b = o.mode === 'merge' && old ? merge(old, s) : replace(old, s);
    if (b !== old) profiler.load(b);
    changed.push(b);
    result.baselines.push({ key: b.key, version: b.meta.version, state: b.meta.state, items: b.size, created: old === undefined });
  }
  return { result, changed };
}

function replace(old: Baseline | undefined, s: BaselineSnapshot): Baseline {
  const meta = { ...s.meta };
  if (old) meta.version = Math.max(old.meta.version + 1, s.meta.version);
  const b = Baseline.fromSnapshot({ ...s, meta });
  // everything is written: the new items, and deletions of the old ones it lacks
  for (const [kind, m] of b.items) for (const key of m.keys()) b.dirty.mark(kind, key);
  if (old) {
    for (const [kind, m] of old.items) for (const key of m.keys()) if (!b.items.get(kind)!.has(key)) b.removed.add(kind + '\u0000' + key);
    b.archived.push(old.snapshot());
  }
  b.metaDirty = true;
  return b;
}

function merge(b: Baseline, s: BaselineSnapshot): Baseline {
  for (const [kind, items] of Object.entries(s.items) as [BaselineKind, BaselineSnapshot['items'][BaselineKind]][]) {
    for (const it of items ?? []) if (!b.has(kind, it.key) && b.forbiddenBy(kind, it.key) === undefined) b.putItem(kind, { ...it, nodes: [...it.nodes] });
  }
  for (const [kind, pats] of Object.entries(s.meta.forbidden ?? {}) as [BaselineKind, string[]][]) for (const p of pats) b.forbid(kind, p);
  for (const [rule, findings] of Object.entries(s.meta.exceptions ?? {})) for (const f of findings) b.except(rule, f);
  b.metaDirty = true;
  return b;
}

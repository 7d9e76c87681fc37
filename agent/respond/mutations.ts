// What responders change: approve (items, or straight from an alert), remove, forbid,
// relearn, lock/unlock, and an alert's triage status. Each change is validated,
// persisted at once and written to the audit trail with who, what, when and from where.
import type { Baseline } from '../../models/baseline/baseline.ts';
import { approvalProblem, forbidProblem } from '../../models/baseline/approval.ts';
import { generalizePath, WILDCARD } from '../../models/baseline/generalize.ts';
import type { BaselineKind, Item } from '../../models/baseline/items.ts';
import { lock, relearn, unlock } from '../../models/baseline/learning.ts';
import { rules } from '../../models/rules/index.ts';
import type { AlertStatus, StoredAlert } from '../store/alerts.ts';
import { containerOfAlert } from '../store/alerts.ts';
import type { Actor } from '../store/audit.ts';
import { HttpError } from '../api/errors.ts';
import type { ContainerSummary, Lookup } from './lookup.ts';
import type { ResponderDeps } from './responder.ts';

const NOVELTY_RULES = new Set(rules.filter((r) => r.novelty).map((r) => r.id));

export interface ItemsRequest {
  workloadId: string;
  container?: string;
  kind: BaselineKind;
  items: string[];
  note?: string;
}

export type MutationDeps = Omit<ResponderDeps, 'profiler'> & { lookup: Lookup };

function check(kind: BaselineKind, items: string[], problem: (k: BaselineKind, p: string) => string | undefined): void {
  for (const i of items) {
    const p = problem(kind, i);
    if (p) throw new HttpError(400, `${kind} item ${JSON.stringify(i)}: ${p}`);
  }
}

export class Mutations {
  constructor(private d: MutationDeps) {}

  private commit(actor: Actor, action: string, b: Baseline | null, workload: string, detail: unknown): void {
    const now = this.d.now();
    if (b) {
      b.metaDirty = true;
      this.d.store?.flush([b], now);
    }
    this.d.audit?.append(actor, action, { workload, baseline: b?.key ?? null }, detail, now);
  }

  private add(b: Baseline, kind: BaselineKind, items: string[]): string[] {
    for (const i of items) {
      const by = b.forbiddenBy(kind, i);
      if (by !== undefined) throw new HttpError(409, `${kind} item ${i} is forbidden for ${b.key} (by ${by}); unforbid it first`);
    }
    const now = this.d.now();
    const added: string[] = [];
    for (const key of items) {
      if (b.has(kind, key)) continue;
      const it: Item = { key, count: 0, firstSeen: now, lastSeen: now, nodes: [], ...(kind === 'exec' ? { detail: { parents: [WILDCARD] } } : {}) };
      b.putItem(kind, it);
      added.push(key);
    }
    return added;
  }

  /** unresolved novelty alerts of this baseline whose items it now knows */
  private resolveCovered(actor: Actor, b: Baseline, kind: BaselineKind, note: string): string[] {
    const alerts = this.d.alerts;
    if (!alerts) return [];
    const out: string[] = [];
    for (const a of alerts.unresolved(b.meta.workloadId, b.meta.container)) {
      if (a.kind !== kind || !NOVELTY_RULES.has(a.rule)) continue;
      const items = a.kind === 'syscall' ? (a.evidence.syscalls ?? []) : a.evidence.item !== undefined ? [a.evidence.item] : [];
      if (items.length === 0 || !items.every((i) => b.has(kind, i))) continue;
      this.resolve(actor, a, note);
      out.push(a.id);
    }
    return out;
  }

  private resolve(actor: Actor, a: StoredAlert, note: string): void {
    this.d.alerts?.setStatus(a.id, 'resolved', actor.name, this.d.now(), note);
    this.d.forget?.(a.dedupKey);
  }

  approveItems(actor: Actor, r: ItemsRequest): { baseline: string; added: string[]; resolvedAlerts: string[] } {
    check(r.kind, r.items, approvalProblem);
    const b = this.d.lookup.one(r.workloadId, r.container);
    const added = this.add(b, r.kind, r.items);
    const resolvedAlerts = this.resolveCovered(actor, b, r.kind, r.note ?? `approved ${r.items.join(', ')}`);
    this.commit(actor, 'approve', b, r.workloadId, { kind: r.kind, items: r.items, added, resolvedAlerts, ...(r.note ? { note: r.note } : {}) });
    return { baseline: b.key, added, resolvedAlerts };
  }

  /**
   * The false-positive workflow: what the alert was about becomes normal for its
   * baseline and the alert is resolved. A novelty alert's item joins the baseline (or
   * the new parent joins a known binary's lineage); a built-in rule's finding becomes
   * an exception of this baseline; a forbidden item cannot be approved.
   */
  approveAlert(actor: Actor, alertId: string, note?: string): { alert: string; baseline: string; added: string[]; exception?: { rule: string; finding: string }; status: AlertStatus } {
    const a = this.d.alerts?.get(alertId);
    if (!a) throw new HttpError(404, `alert ${alertId} not found`);
    if (a.rule === 'forbidden-item') throw new HttpError(409, `alert ${alertId} is about forbidden behaviour; unforbid it first if it is really normal`);
    if (a.kind === 'agent') throw new HttpError(409, `alert ${alertId} is the agent's own (${a.rule}): there is no behaviour to approve; resolve it with POST /v1/alerts/${alertId}/status`);
    const b = this.d.lookup.one(a.workload.id, containerOfAlert(a));
    const kind = a.kind as BaselineKind;
    let added: string[] = [];
    let exception: { rule: string; finding: string } | undefined;
    if (NOVELTY_RULES.has(a.rule)) {
      const items = a.kind === 'syscall' ? (a.evidence.syscalls ?? []) : a.evidence.item !== undefined ? [a.evidence.item] : [];
      if (items.length === 0) throw new HttpError(409, `alert ${alertId} names no baseline item to approve`);
      const known = items.filter((i) => b.has(kind, i));
      if (known.length === items.length && a.rule === 'unexpected-exec' && a.evidence.parentExe !== undefined) added = this.addParent(b, items[0], a.evidence.parentExe);
      else {
        check(kind, items, approvalProblem);
        added = this.add(b, kind, items.filter((i) => !b.has(kind, i)));
      }
    } else {
      const finding = a.dedupKey.slice(`${a.rule}|${b.key}|`.length);
      b.except(a.rule, finding);
      exception = { rule: a.rule, finding };
    }
    if (a.status !== 'resolved') this.resolve(actor, a, note ?? 'approved');
    this.commit(actor, 'approve-alert', b, a.workload.id, { alert: alertId, rule: a.rule, added, ...(exception ? { exception } : {}), ...(note ? { note } : {}) });
    return { alert: alertId, baseline: b.key, added, ...(exception ? { exception } : {}), status: 'resolved' };
  }

  private addParent(b: Baseline, key: string, parentExe: string): string[] {
    const it = b.get('exec', key)!;
    const parent = generalizePath(parentExe);
    const parents = (it.detail ??= {}).parents ?? [];
    if (parents.includes(parent) || parents.includes(WILDCARD)) return [];
    it.detail.parents = parents.length >= this.d.learning.maxParents ? [WILDCARD] : [...parents, parent];
    b.dirty.mark('exec', it.key);
    return [`${key} <- ${parent}`];
  }

  removeItems(actor: Actor, r: ItemsRequest): { baseline: string; removed: string[]; missing: string[] } {
    const b = this.d.lookup.one(r.workloadId, r.container);
    const removed: string[] = [];
    const missing: string[] = [];
    for (const i of r.items) (b.removeItem(r.kind, i) ? removed : missing).push(i);
    this.commit(actor, 'remove', b, r.workloadId, { kind: r.kind, removed, missing, ...(r.note ? { note: r.note } : {}) });
    return { baseline: b.key, removed, missing };
  }

  forbid(actor: Actor, r: ItemsRequest): { baseline: string; forbidden: string[]; removedItems: string[] } {
    check(r.kind, r.items, forbidProblem);
    const b = this.d.lookup.one(r.workloadId, r.container);
    const forbidden: string[] = [];
    const removedItems: string[] = [];
    for (const p of r.items) {
      const o = b.forbid(r.kind, p);
      if (o.added) forbidden.push(p);
      removedItems.push(...o.removed);
    }
    this.commit(actor, 'forbid', b, r.workloadId, { kind: r.kind, items: r.items, removedItems, ...(r.note ? { note: r.note } : {}) });
    return { baseline: b.key, forbidden, removedItems };
  }

  unforbid(actor: Actor, r: ItemsRequest): { baseline: string; unforbidden: string[]; missing: string[] } {
    const b = this.d.lookup.one(r.workloadId, r.container);
    const unforbidden: string[] = [];
    const missing: string[] = [];
    for (const p of r.items) (b.unforbid(r.kind, p) ? unforbidden : missing).push(p);
    this.commit(actor, 'unforbid', b, r.workloadId, { kind: r.kind, unforbidden, missing, ...(r.note ? { note: r.note } : {}) });
    return { baseline: b.key, unforbidden, missing };
  }

  relearn(actor: Actor, workloadId: string, container: string | undefined, reset: boolean, summary: (b: Baseline) => ContainerSummary): ContainerSummary[] {
    return this.d.lookup.containersOf(workloadId, container).map((b) => {
      const from = b.meta.version;
      relearn(b, this.d.now(), reset);
      this.commit(actor, reset ? 'relearn-reset' : 'relearn', b, workloadId, { fromVersion: from, version: b.meta.version });
      return summary(b);
    });
  }

  lock(actor: Actor, workloadId: string, container: string | undefined, locked: boolean, summary: (b: Baseline) => ContainerSummary): ContainerSummary[] {
    return this.d.lookup.containersOf(workloadId, container).map((b) => {
      const was = b.meta.state;
      if (locked) lock(b, actor.name, this.d.now());
      else unlock(b, this.d.now());
      this.commit(actor, locked ? 'lock' : 'unlock', b, workloadId, { from: was, to: b.meta.state });
      return summary(b);
    });
  }

  alertStatus(actor: Actor, alertId: string, status: AlertStatus, note?: string): StoredAlert {
    const a = this.d.alerts?.get(alertId);
    if (!a) throw new HttpError(404, `alert ${alertId} not found`);
    this.d.alerts!.setStatus(alertId, status, actor.name, this.d.now(), note);
    if (status === 'resolved') this.d.forget?.(a.dedupKey);
    this.commit(actor, 'alert-status', null, a.workload.id, { alert: alertId, from: a.status, to: status, ...(note ? { note } : {}) });
    return this.d.alerts!.get(alertId)!;
  }
}

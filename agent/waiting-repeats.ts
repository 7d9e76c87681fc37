// Repeats of open alerts, committed in fewer, larger transactions under load.
//
// Under an exec storm every batch the pipeline judges is mostly one more occurrence of
// alerts already stored (their count and last time), and committing each batch cost more
// than judging it: an SQLite transaction, the alert's JSON body and its incident's, for a
// few dozen events. A batch whose outcome is only such repeats, and that carries no
// source offset to acknowledge, waits here — coalesced with the batches before it —
// until a later batch is judged WAIT_MS or more after the first one waited, or the
// pipeline's periodic tick (store.flushInterval); the next commit takes what waits,
// before its own updates. What never waits: a new alert, a new fan-out target, an
// incident opened or escalated, and any batch with an acknowledgement (a file source's
// offset moves only after everything judged before it is committed: at least once). A
// crash loses the repeat counts of alerts already stored since their last commit, as it
// loses baseline changes since the last flush; nothing new, no offset.
import { coalesce, type AlertUpdate } from '../models/alert.ts';
import type { IncidentUpdate } from '../models/incident.ts';

/** longest a repeat waits for its commit while batches keep coming (the periodic tick commits too) */
export const WAIT_MS = 250;

export interface Waiting {
  updates: AlertUpdate[];
  incidents: IncidentUpdate[];
  /** when the oldest waiting batch was accepted (performance.now(): the latency metric) */
  acceptedAt: number;
}

/** a repeat of a stored alert: nothing in it is new to anyone */
const plain = (u: AlertUpdate): boolean => !u.isNew && u.folded !== true;

/** several updates of one incident become its latest (only repeats wait: no change is lost) */
function latestIncidents(updates: IncidentUpdate[]): IncidentUpdate[] {
  if (updates.length < 2) return updates;
  const byId = new Map<string, IncidentUpdate>();
  for (const u of updates) byId.set(u.incident.id, u);
  return [...byId.values()];
}

export class WaitingRepeats {
  private w: Waiting | undefined;
  private since = 0;

  constructor(private readonly waitMs = WAIT_MS) {}

  get size(): number {
    return this.w === undefined ? 0 : this.w.updates.length;
  }

  /**
   * A judged batch's outcome: true when it waits here (only repeats, no acknowledgement,
   * and what waits is younger than waitMs); false when it must be committed now (it is
   * not added then) — take() gives what waited, to commit first.
   */
  hold(updates: AlertUpdate[], incidents: readonly IncidentUpdate[], hasAck: boolean, now: number, acceptedAt: number): boolean {
    if (hasAck || !updates.every(plain) || !incidents.every((i) => i.change === 'repeat')) return false;
    if (this.w === undefined) {
      if (updates.length === 0 && incidents.length === 0) return false;
      this.w = { updates: [], incidents: [], acceptedAt };
      this.since = now;
    } else if (now - this.since >= this.waitMs) return false; // due: this commit takes what waits
    this.w.updates = coalesce(this.w.updates.concat(updates));
    this.w.incidents = latestIncidents(this.w.incidents.concat(incidents));
    return true;
  }

  /** what waits, taken out (undefined when nothing does); give it back when its commit fails */
  take(): Waiting | undefined {
    const w = this.w;
    this.w = undefined;
    return w;
  }

  /** a taken batch whose commit did not happen: it waits again, before anything newer */
  giveBack(w: Waiting, now: number): void {
    if (this.w === undefined) {
      this.w = w;
      this.since = now;
      return;
    }
    this.w = { updates: coalesce(w.updates.concat(this.w.updates)), incidents: latestIncidents(w.incidents.concat(this.w.incidents)), acceptedAt: w.acceptedAt };
  }
}

/** what waited, then a commit's own updates: one commit, the later update of an alert winning */
export function after(w: Waiting | undefined, updates: AlertUpdate[], incidents: readonly IncidentUpdate[]): { updates: AlertUpdate[]; incidents: IncidentUpdate[] } {
  if (w === undefined) return { updates, incidents: incidents as IncidentUpdate[] };
  return { updates: coalesce(w.updates.concat(updates)), incidents: w.incidents.concat(incidents) };
}

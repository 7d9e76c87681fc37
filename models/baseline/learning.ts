// The learning state machine. All transitions take `now`; nothing here reads a clock.
//
//   learning ──(minLearning elapsed AND quiet period without new items)──▶ stable
//   any ──(new image)──▶ relearning (new version, seeded from the previous items)
//   learning/relearning ──(size budget exceeded)──▶ unstable
//   any ──(person: lock)──▶ locked ──(person: unlock)──▶ stable
//   any ──(person: relearn)──▶ relearning
import type { BaselineState } from '../alert.ts';
import type { Baseline, LearningConfig } from './baseline.ts';

export function tick(b: Baseline, now: number, cfg: LearningConfig): BaselineState | undefined {
  const m = b.meta;
  if (m.state !== 'learning' && m.state !== 'relearning') return undefined;
  if (now - m.learningSince >= cfg.minLearningMs && now - m.lastNewItemAt >= cfg.quietPeriodMs) {
    return setState(b, 'stable', now);
  }
  return undefined;
}

/** When it will become stable if nothing new arrives (for `baseline show`). */
export function stableEta(b: Pick<Baseline, 'meta'>, cfg: LearningConfig): number | null {
  const m = b.meta;
  if (m.state !== 'learning' && m.state !== 'relearning') return null;
  return Math.max(m.learningSince + cfg.minLearningMs, m.lastNewItemAt + cfg.quietPeriodMs);
}

export function setState(b: Baseline, state: BaselineState, now: number): BaselineState {
  const m = b.meta;
  m.state = state;
  if (state === 'stable') m.stableSince = now;
  if (state === 'learning' || state === 'relearning') {
    m.learningSince = now;
    m.lastNewItemAt = now;
    m.stableSince = null;
  }
  if (state !== 'locked') m.lockedBy = null;
  if (state !== 'unstable') m.unstableReason = null;
  b.metaDirty = true;
  return state;
}

/**
 * A container came up with a different image: start a new version seeded from the
 * previous items, so the new image only has to teach what changed.
 */
export function newImage(b: Baseline, image: string, now: number): void {
  const m = b.meta;
  b.archived.push(b.snapshot());
  m.version++;
  // the replicas still running the previous image (a rollout in progress, a canary)
  // belong to this version too: their events must not flip it back and forth
  if (m.image !== null) m.images = [m.image, ...(m.images ?? []).filter((i) => i !== m.image && i !== image)].slice(0, 8);
  m.image = image;
  if (m.state === 'locked') {
    // a locked baseline stays locked: a person decided, a rollout must not undo it
    b.metaDirty = true;
    return;
  }
  setState(b, 'relearning', now);
}

// A person's decisions (lock, unlock, relearn) record when they were made: across the
// cluster the latest decision about a baseline wins (models/baseline/cluster.ts).

export function lock(b: Baseline, actor: string, now: number): void {
  setState(b, 'locked', now);
  b.meta.lockedBy = actor;
  b.meta.decidedAt = now;
}

export function unlock(b: Baseline, now: number): void {
  setState(b, 'stable', now);
  b.meta.decidedAt = now;
}

/** Start learning again; `reset` drops the learned items (a fresh version). */
export function relearn(b: Baseline, now: number, reset: boolean): void {
  if (reset) {
    b.archived.push(b.snapshot());
    b.clear();
    b.meta.version++;
  }
  setState(b, 'relearning', now);
  b.meta.decidedAt = now;
}

// Readiness of the agent: started, and every source that attaches before it observes
// (bpftrace) is observing. A DaemonSet whose pod turns ready while its probes are not
// attached would roll on to the next node with this one blind.

export class Readiness {
  private started = false;
  private readonly waiting: Set<string>;
  /** other conditions that make the agent not ready: name → why (undefined: fine) */
  private readonly checks = new Map<string, () => string | undefined>();

  /** @param attaching sources that report when they observe (SourceDefinition.reportsObserving) */
  constructor(attaching: string[]) {
    this.waiting = new Set(attaching);
  }

  /** the pipeline runs (or stopped: false) */
  setStarted(ok: boolean): void {
    this.started = ok;
  }

  /** a source started (true) or stopped (false) observing */
  observing(source: string, ok: boolean): void {
    if (ok) this.waiting.delete(source);
    else this.waiting.add(source);
  }

  /** add a condition (e.g. `storage`): while it returns a reason the agent is not ready */
  check(name: string, why: () => string | undefined): void {
    this.checks.set(name, why);
  }

  get ready(): boolean {
    if (!this.started || this.waiting.size > 0) return false;
    for (const why of this.checks.values()) if (why() !== undefined) return false;
    return true;
  }

  /** the failing checks and their reasons, for /readyz */
  problems(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, why] of this.checks) {
      const w = why();
      if (w !== undefined) out[name] = w;
    }
    return out;
  }

  /** sources not observing yet, for /readyz */
  notObserving(): string[] {
    return [...this.waiting];
  }
}

// Readiness of the agent: started, and every source that attaches before it observes
// (bpftrace) is observing. A DaemonSet whose pod turns ready while its probes are not
// attached would roll on to the next node with this one blind.

export class Readiness {
  private started = false;
  private readonly waiting: Set<string>;

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

  get ready(): boolean {
    return this.started && this.waiting.size === 0;
  }

  /** sources not observing yet, for /readyz */
  notObserving(): string[] {
    return [...this.waiting];
  }
}

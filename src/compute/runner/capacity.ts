/**
 * The runner's one concurrency budget (`BOURSE_RUNNER_CONCURRENCY` units), shared by jobs and activities: a running
 * job holds a unit for its run, a live activity for its whole life (its workspace and any command it runs). A job
 * slot reserves a unit while it long-polls for a job; an activity arriving for a new workspace may take such a
 * reserved unit (the poll is aborted, and a job it claimed in that moment is handed back), so an idle runner serves
 * whichever comes first.
 */
export class Capacity {
  private busy = 0;
  private readonly polls = new Set<AbortController>();
  private readonly listeners = new Set<() => void>();

  constructor(readonly size: number) {}

  /** Units held by running jobs and live activities. */
  get inUse(): number {
    return this.busy;
  }

  /** Whether an activity may take a unit now (a free one, or one a job slot only reserved). */
  get open(): boolean {
    return this.busy < this.size;
  }

  /** A job slot's reservation while it polls (aborted when an activity takes it); undefined when none is free. */
  reserve(): AbortController | undefined {
    if (this.busy + this.polls.size >= this.size) return undefined;
    const reservation = new AbortController();
    this.polls.add(reservation);
    return reservation;
  }

  /** The polled job arrived: its reservation becomes a held unit. False when an activity took it meanwhile. */
  confirm(reservation: AbortController): boolean {
    if (!this.polls.delete(reservation)) return false;
    this.busy++;
    this.notify();
    return true;
  }

  /** The poll ended without a job. */
  cancel(reservation: AbortController): void {
    if (this.polls.delete(reservation)) this.notify();
  }

  /**
   * An activity takes a unit: a free one, else a polling job slot's. Beyond the budget only when an activity was
   * claimed in the moment the last unit went to a job (its poll is aborted as soon as the budget is full).
   */
  take(): void {
    if (this.busy + this.polls.size >= this.size) {
      const [reservation] = this.polls;
      if (reservation) {
        this.polls.delete(reservation);
        reservation.abort();
      }
    }
    this.busy++;
    this.notify();
  }

  release(): void {
    this.busy = Math.max(0, this.busy - 1);
    this.notify();
  }

  /** Calls `listener` at every change until the returned function is called. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves at the next change (or when `signal` aborts). */
  changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        unsubscribe();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const unsubscribe = this.subscribe(done);
      if (signal.aborted) done();
      else signal.addEventListener('abort', done, { once: true });
    });
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

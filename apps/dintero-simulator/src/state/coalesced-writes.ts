const ignore = (): void => undefined;

/**
 * Runs `write` at most once at a time, each call answered by a write that began after it: the calls made while one
 * runs share the next, which collects what they changed. A burst of changes costs the write running and one more,
 * not one each.
 */
export class CoalescedWrites {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(private readonly write: () => Promise<void>) {}

  /** Resolves once a write begun after this call is done; rejects with its error. */
  request(): Promise<void> {
    if (this.next) return this.next;
    if (!this.running) return this.start();
    this.next = this.running.then(ignore, ignore).then(() => {
      this.next = undefined;
      return this.start();
    });
    return this.next;
  }

  /** Whether a write runs or waits to. */
  busy(): boolean {
    return this.running !== undefined || this.next !== undefined;
  }

  /** Resolves once no write runs or waits to (whether they failed or not). */
  async idle(): Promise<void> {
    for (let pending = this.next ?? this.running; pending; pending = this.next ?? this.running)
      await pending.then(ignore, ignore);
  }

  private start(): Promise<void> {
    const run: Promise<void> = this.write().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}

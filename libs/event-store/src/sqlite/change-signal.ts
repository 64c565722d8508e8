/**
 * Wakes live subscriptions when the log has grown. A counter, not an event: a waiter that read the
 * log at version N resolves at once if the version has moved past N since, so no wake-up is missed
 * between a read and the wait that follows it.
 */
export class ChangeSignal {
  private version = 0;
  private waiters = new Set<() => void>();

  get current(): number {
    return this.version;
  }

  get hasWaiters(): boolean {
    return this.waiters.size > 0;
  }

  notify(): void {
    this.version += 1;
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  /** Resolves once the version is past `seen`, or when `signal` aborts. */
  waitPast(seen: number, signal: AbortSignal): Promise<void> {
    if (this.version !== seen || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        this.waiters.delete(wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      this.waiters.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }
}

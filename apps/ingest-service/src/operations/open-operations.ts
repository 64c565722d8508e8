import { asDomainEvent } from '@app/payment-domain';

interface Entry {
  dueAt: number;
  /** When the operation's hold on its terminal runs out by itself. */
  readonly expiresAt: number;
}

/**
 * The terminal operations not yet settled here, from the operation streams of the log, each with when to
 * look at it next: a recorded one a little after it was recorded (its request sends it at once; this is for
 * a request cut off before or while sending), a deferred one when Dintero said to try again, a dispatched
 * one every poll, and an ended one once more, to free its terminal if the run that ended it could not (while
 * its hold could still stand). Only operations not yet ended are kept: replaying the log's history at start
 * leaves the ended ones out.
 */
export class OpenOperations {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly settings: { readonly resendMs: number; readonly pollMs: number }) {}

  get size(): number {
    return this.entries.size;
  }

  apply(record: { streamName: string; type: string; data: unknown }, now: number): void {
    const known = asDomainEvent(record);
    if (known?.stream !== 'operation') return;
    const { event, id } = known;
    switch (event.type) {
      case 'OperationRequested':
        this.entries.set(id, { dueAt: now + this.settings.resendMs, expiresAt: Date.parse(event.data.expiresAt) });
        return;
      case 'OperationSubmitted':
        return this.schedule(id, now + this.settings.resendMs);
      case 'OperationCompleted':
      case 'OperationEnded': {
        const entry = this.entries.get(id);
        if (entry && entry.expiresAt > now) this.schedule(id, now + this.settings.resendMs);
        else this.entries.delete(id);
        return;
      }
      case 'OperationDeferred':
        return this.schedule(id, Date.parse(event.data.retryAt));
      case 'OperationDispatched':
        return this.schedule(id, now + this.settings.pollMs);
    }
  }

  /** Looks at a known operation again at `dueAt`. */
  schedule(operationId: string, dueAt: number): void {
    const entry = this.entries.get(operationId);
    if (entry) entry.dueAt = dueAt;
  }

  forget(operationId: string): void {
    this.entries.delete(operationId);
  }

  /** Those to look at now, at most `limit`, each pushed back a poll meanwhile. */
  takeDue(now: number, limit: number): string[] {
    const due: string[] = [];
    for (const [operationId, entry] of this.entries) {
      if (due.length >= limit) break;
      if (entry.dueAt > now) continue;
      entry.dueAt = now + this.settings.pollMs;
      due.push(operationId);
    }
    return due;
  }
}

import type { RecordedEvent } from '@app/event-store';

export interface DueSettings {
  /** After a session's expiry, how long Dintero's own report is waited for. */
  readonly graceMs: number;
  /** How long an unknown outcome, or an ended payment still holding its terminal, is left alone. */
  readonly unknownDelayMs: number;
  /** How long a requested refund may go without an outcome before Dintero is asked. */
  readonly refundWaitMs: number;
}

interface Entry {
  dueAt: number | undefined;
  ended: boolean;
  /** Terminal claims of this payment (its own, and its refunds') not yet released: claimId → terminalId. */
  readonly openClaims: Map<string, string>;
  readonly pendingRefunds: Set<string>;
}

const ENDINGS = new Set([
  'PaymentCaptured',
  'PaymentDeclined',
  'PaymentFailed',
  'PaymentCancelled',
  'PaymentExpired',
  'PaymentVoided',
  'SessionCreationRejected',
]);

/**
 * Which payments the reconciler must look at, and when: built from the log's payment and terminal events
 * (pure bookkeeping, no I/O). A payment is due when its session should have ended, when an outcome is
 * unknown, when a refund has no outcome, or when it ended but its terminal is still claimed. A payment
 * that ended with nothing left open is forgotten, so memory follows the open payments, not the log.
 */
export class DuePayments {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly settings: DueSettings) {}

  get size(): number {
    return this.entries.size;
  }

  apply(event: RecordedEvent, now: number): void {
    const data = event.data as Record<string, unknown>;
    if (event.streamName.startsWith('terminal-')) return this.applyTerminal(event.type, data);
    if (!event.streamName.startsWith('payment-')) return;
    const paymentId = event.streamName.slice('payment-'.length);
    const entry = this.entry(paymentId);
    const { graceMs, unknownDelayMs, refundWaitMs } = this.settings;
    switch (event.type) {
      case 'PaymentRequested':
      case 'SessionCreated':
        entry.dueAt = Date.parse(String(data.expiresAt)) + graceMs;
        break;
      case 'SessionCreationOutcomeUnknown':
      case 'TransactionOutcomeUnknown':
      case 'RefundOutcomeUnknown':
        this.bringForward(entry, now + unknownDelayMs);
        break;
      case 'RefundRequested':
        // Only a captured payment is refunded: it has ended, whatever this index had forgotten of it.
        entry.ended = true;
        entry.pendingRefunds.add(String(data.refundId));
        this.bringForward(entry, now + refundWaitMs);
        break;
      case 'RefundSucceeded':
      case 'RefundFailed':
        entry.pendingRefunds.delete(String(data.refundId));
        break;
      default:
        if (ENDINGS.has(event.type)) {
          entry.ended = true;
          entry.dueAt = entry.openClaims.size > 0 ? now + unknownDelayMs : undefined;
        }
    }
    this.forgetIfSettled(paymentId, entry);
  }

  /** Up to `max` payments due at `now`, earliest first; each is taken off until rescheduled. */
  takeDue(now: number, max: number): string[] {
    const due = [...this.entries]
      .filter(([, entry]) => entry.dueAt !== undefined && entry.dueAt <= now)
      .sort(([, a], [, b]) => a.dueAt! - b.dueAt!)
      .slice(0, max)
      .map(([paymentId]) => paymentId);
    for (const paymentId of due) this.entries.get(paymentId)!.dueAt = undefined;
    return due;
  }

  schedule(paymentId: string, at: number): void {
    const entry = this.entries.get(paymentId);
    if (entry) entry.dueAt = at;
  }

  /** The claims still held for this payment (its own and its refunds'), as the log last said. */
  openClaims(paymentId: string): ReadonlyMap<string, string> {
    return this.entries.get(paymentId)?.openClaims ?? new Map();
  }

  pendingRefunds(paymentId: string): ReadonlySet<string> {
    return this.entries.get(paymentId)?.pendingRefunds ?? new Set();
  }

  private applyTerminal(type: string, data: Record<string, unknown>): void {
    const paymentId = String(data.paymentId);
    if (type === 'TerminalClaimed') {
      const entry = this.entry(paymentId);
      entry.openClaims.set(String(data.claimId), String(data.terminalId));
      // A claim whose payment is never requested (a crash in between) must not hold the terminal forever.
      if (entry.dueAt === undefined) entry.dueAt = Date.parse(String(data.expiresAt));
    } else if (type === 'TerminalReleased') {
      const entry = this.entries.get(paymentId);
      if (!entry) return;
      entry.openClaims.delete(String(data.claimId));
      this.forgetIfSettled(paymentId, entry);
    }
  }

  private entry(paymentId: string): Entry {
    let entry = this.entries.get(paymentId);
    if (!entry) {
      entry = { dueAt: undefined, ended: false, openClaims: new Map(), pendingRefunds: new Set() };
      this.entries.set(paymentId, entry);
    }
    return entry;
  }

  private bringForward(entry: Entry, at: number): void {
    if (entry.dueAt === undefined || at < entry.dueAt) entry.dueAt = at;
  }

  private forgetIfSettled(paymentId: string, entry: Entry): void {
    if (entry.ended && entry.openClaims.size === 0 && entry.pendingRefunds.size === 0) this.entries.delete(paymentId);
  }
}

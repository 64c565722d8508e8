import type { RecordedEvent } from '@app/event-store';
import { endsPayment, followsPaymentEnd, isReviewEvent, reviewSaysEnded } from '@app/payment-domain';

export interface DueSettings {
  /** After a session's expiry, how long Dintero's own report is waited for. */
  readonly graceMs: number;
  /** How long an unknown outcome, or an ended payment still holding its terminal, is left alone. */
  readonly unknownDelayMs: number;
  /** How long a requested refund may go without an outcome before Dintero is asked. */
  readonly refundWaitMs: number;
  /**
   * How long a terminal claim may go with no payment or refund recorded behind it (the command service
   * stopped in between, or the command was refused and could not release) before it is released.
   */
  readonly orphanClaimMs: number;
}

export interface OpenClaim {
  readonly terminalId: string;
  /** The store the claim names (claims before stores were named in them have none). */
  readonly storeId?: string;
  /** A terminal operation's claim (its id is the operation's): absent for a payment's or a refund's. */
  readonly operation?: true;
  /** Epoch ms of the claim, and of its lapse. */
  readonly claimedAt: number;
  readonly expiresAt: number;
}

interface Entry {
  dueAt: number | undefined;
  ended: boolean;
  /** A payment event was seen: without one, the entry is only claims (perhaps of a payment never recorded). */
  known: boolean;
  /** How many times the reconciler looked and found the payment still open: the back-off's exponent. */
  attempts: number;
  /**
   * Dintero called the payment's transaction UNKNOWN, and nothing it said since tells otherwise: a session recorded
   * after that (its answer came late) does not put the look off until the session's end.
   */
  transactionUnknown: boolean;
  /**
   * The POS asked to cancel the payment: its session, once recorded, is asked to cancel again if the payment is
   * still open after `unknownDelayMs` (a session created after the cancel came is cancelled by the run that
   * created it, which may not reach Dintero either).
   */
  cancelling: boolean;
  /** Terminal claims of this payment (its own, and its refunds') not yet released, by claim id. */
  readonly openClaims: Map<string, OpenClaim>;
  readonly pendingRefunds: Set<string>;
  /**
   * Taken by `takeDue` and not rescheduled yet: a look at it is under way. Not saved: a payment taken is saved as due.
   */
  taken: boolean;
  /**
   * The earliest time an event brought the payment forward to while it was taken: its look began before the event
   * and did not see it, so the time the look sets (`schedule`, `retry`) must not put it off past this.
   */
  broughtForwardTo: number | undefined;
}

/**
 * Which payments the reconciler must look at, and when: built from the log's payment and terminal events
 * (pure bookkeeping, no I/O). A payment is due when its session should have ended, when an outcome is
 * unknown, when a refund has no outcome, when it ended but its terminal is still claimed, or when a claim
 * names it and nothing was recorded behind the claim. A payment that ended with nothing left open is
 * forgotten, so memory follows the open payments, not the log.
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
    const forgotten = !entry.known;
    entry.known = true;
    const { graceMs, unknownDelayMs, refundWaitMs } = this.settings;
    switch (event.type) {
      case 'PaymentRequested':
        entry.dueAt = Date.parse(String(data.expiresAt)) + graceMs;
        break;
      case 'SessionCreated': {
        const sessionOver = Date.parse(String(data.expiresAt)) + graceMs;
        entry.dueAt = entry.transactionUnknown ? Math.min(entry.dueAt ?? sessionOver, sessionOver) : sessionOver;
        if (entry.cancelling) this.bringForward(entry, now + unknownDelayMs);
        break;
      }
      case 'TransactionOutcomeUnknown':
        entry.transactionUnknown = true;
        this.bringForward(entry, now + unknownDelayMs);
        break;
      case 'TransactionStarted':
      case 'PaymentOnHold':
      case 'PaymentAuthorized':
        entry.transactionUnknown = false;
        break;
      case 'CancellationRequested':
        // The command service asks Dintero at once; if Dintero did not answer, the reconciler asks again
        // (`PaymentSettler.cancelAsRequested`) rather than leave the terminal prompting until the session's end.
        entry.cancelling = true;
        this.bringForward(entry, now + unknownDelayMs);
        break;
      case 'SessionCreationOutcomeUnknown':
      case 'RefundOutcomeUnknown':
        this.bringForward(entry, now + unknownDelayMs);
        break;
      case 'RefundRequested':
        // Only a payment that has ended is refunded (its sale, or money captured late): whatever this index had
        // forgotten of it.
        entry.ended = true;
        entry.pendingRefunds.add(String(data.refundId));
        this.bringForward(entry, now + refundWaitMs);
        break;
      case 'RefundSucceeded':
      case 'RefundFailed':
      case 'LateRefundRecorded':
        entry.ended = true;
        entry.pendingRefunds.delete(String(data.refundId));
        break;
      case 'RefundAccepted':
        entry.ended = true;
        // Followed again when Dintero took it after it was failed for its silence: Dintero may yet make it.
        entry.pendingRefunds.add(String(data.refundId));
        // Brought forward for one followed all along too: a look while its call to Dintero was under way found no trace
        // of it and put the next look off until its silence could be a no (the call's longest, about a minute), and
        // with every delivery lost nothing else would ask. Accepted, it is asked about after its wait.
        this.bringForward(entry, now + refundWaitMs);
        break;
      default:
        if (endsPayment(event.type)) {
          entry.ended = true;
          entry.dueAt = entry.openClaims.size > 0 ? now + unknownDelayMs : undefined;
        } else if (followsPaymentEnd(event.type)) {
          // Money after the end (a late or further capture, a late refund), of a payment this index may have
          // forgotten: it had ended, and is forgotten again.
          entry.ended = true;
        } else if (isReviewEvent(event.type) && reviewSaysEnded(event.type, { forgotten })) {
          // A refund's review, or the payment's own of a payment this index had forgotten (a captured one, whose
          // further capture in another currency was handed to a person, or whose review a person resolved): it had
          // ended, and is forgotten again. An open payment's own stays followed: Dintero is still asked.
          entry.ended = true;
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
    for (const paymentId of due) {
      const entry = this.entries.get(paymentId)!;
      entry.dueAt = undefined;
      entry.taken = true;
      entry.broughtForwardTo = undefined;
    }
    return due;
  }

  /** When the payment is next due; undefined when it is not (settled, or taken and not rescheduled). */
  dueAt(paymentId: string): number | undefined {
    return this.entries.get(paymentId)?.dueAt;
  }

  /** When to look next; for a payment taken, no later than an event seen during its look brought it forward to. */
  schedule(paymentId: string, at: number): void {
    const entry = this.entries.get(paymentId);
    if (entry) entry.dueAt = this.afterLook(entry, at);
  }

  /**
   * Looks again after a pause that doubles each time the payment is found still open (from `baseMs`, at
   * most `maxMs`), and never before `notBefore`: an outcome Dintero keeps calling UNKNOWN is asked about
   * less and less often, not every second for good.
   */
  retry(paymentId: string, now: number, { baseMs, maxMs, notBefore = 0 }: RetrySettings): number | undefined {
    const entry = this.entries.get(paymentId);
    if (!entry) return undefined;
    const pause = Math.min(maxMs, baseMs * 2 ** Math.min(entry.attempts, 30));
    entry.attempts += 1;
    entry.dueAt = this.afterLook(entry, Math.max(notBefore, now + pause));
    return entry.dueAt;
  }

  /** The claims still held for this payment (its own and its refunds'), as the log last said. */
  openClaims(paymentId: string): ReadonlyMap<string, OpenClaim> {
    return this.entries.get(paymentId)?.openClaims ?? new Map();
  }

  pendingRefunds(paymentId: string): ReadonlySet<string> {
    return this.entries.get(paymentId)?.pendingRefunds ?? new Set();
  }

  /**
   * What is due, as plain JSON, for the reconciler's checkpoint. A payment being looked at right now (taken,
   * not yet rescheduled) is saved as due at `now`, so that a restart looks at it again rather than never.
   */
  snapshot(now: number): DueSnapshot {
    return [...this.entries].map(([paymentId, entry]) => ({
      paymentId,
      dueAt: entry.dueAt ?? now,
      ended: entry.ended,
      known: entry.known,
      attempts: entry.attempts,
      ...(entry.transactionUnknown ? { transactionUnknown: true } : {}),
      ...(entry.cancelling ? { cancelling: true } : {}),
      openClaims: [...entry.openClaims].map(([claimId, claim]) => ({ claimId, ...claim })),
      pendingRefunds: [...entry.pendingRefunds],
    }));
  }

  /** Replaces what is due with a snapshot's. */
  restore(snapshot: DueSnapshot): void {
    this.entries.clear();
    for (const {
      paymentId,
      openClaims,
      pendingRefunds,
      transactionUnknown = false,
      cancelling = false,
      ...entry
    } of snapshot) {
      this.entries.set(paymentId, {
        ...entry,
        transactionUnknown,
        cancelling,
        openClaims: new Map(openClaims.map(({ claimId, ...claim }) => [claimId, claim])),
        pendingRefunds: new Set(pendingRefunds),
        taken: false,
        broughtForwardTo: undefined,
      });
    }
  }

  private applyTerminal(type: string, data: Record<string, unknown>): void {
    const paymentId = String(data.paymentId);
    if (type === 'TerminalClaimed') {
      // The registry's hold while it changes a terminal's device: ended by the registry, or lapsing by itself.
      if (data.kind === 'device-change') return;
      const entry = this.entry(paymentId);
      const claimedAt = Date.parse(String(data.claimedAt));
      const expiresAt = Date.parse(String(data.expiresAt));
      // An operation's claim is looked at here only for the case of no operation recorded behind it: the
      // operations reconciler settles every operation that was.
      const operation = data.kind === 'operation' ? { operation: true as const } : {};
      entry.openClaims.set(String(data.claimId), {
        terminalId: String(data.terminalId),
        ...(typeof data.storeId === 'string' ? { storeId: data.storeId } : {}),
        claimedAt,
        expiresAt,
        ...operation,
      });
      // A claim with nothing recorded behind it must not hold the terminal for long: looked at after a
      // short grace (a payment's request, recorded right after its claim, moves this to its session's end).
      this.bringForward(entry, claimedAt + this.settings.orphanClaimMs);
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
      entry = {
        dueAt: undefined,
        ended: false,
        known: false,
        attempts: 0,
        transactionUnknown: false,
        cancelling: false,
        openClaims: new Map(),
        pendingRefunds: new Set(),
        taken: false,
        broughtForwardTo: undefined,
      };
      this.entries.set(paymentId, entry);
    }
    return entry;
  }

  private bringForward(entry: Entry, at: number): void {
    if (entry.dueAt === undefined || at < entry.dueAt) entry.dueAt = at;
    if (entry.taken) entry.broughtForwardTo = Math.min(entry.broughtForwardTo ?? at, at);
  }

  /**
   * The time a look sets, at the look's end. An event that brought the payment forward while it was being looked at
   * (an unknown outcome recorded by the command service, a cancel asked for, a refund accepted) is not in what the
   * look read: overwritten by the look's own time (a refund's silence, a session's end), it would go unasked about
   * until then, with nothing else to ask if every delivery is lost.
   */
  private afterLook(entry: Entry, at: number): number {
    const brought = entry.taken ? entry.broughtForwardTo : undefined;
    entry.taken = false;
    entry.broughtForwardTo = undefined;
    return brought === undefined ? at : Math.min(at, brought);
  }

  /** A claim that is someone else's to settle (an operation recorded behind it): no longer watched here. */
  forgetClaim(paymentId: string, claimId: string): void {
    const entry = this.entries.get(paymentId);
    if (!entry) return;
    entry.openClaims.delete(claimId);
    this.forgetIfSettled(paymentId, entry);
  }

  private forgetIfSettled(paymentId: string, entry: Entry): void {
    const settled = entry.ended || !entry.known;
    if (settled && entry.openClaims.size === 0 && entry.pendingRefunds.size === 0) this.entries.delete(paymentId);
  }
}

/**
 * `DuePayments` as JSON: one entry per payment still to be looked at. A field added here raises `CHECKPOINT_VERSION`
 * (reconciler-checkpoints.ts): a snapshot saved before it was kept lacks it for every payment it concerns.
 */
export type DueSnapshot = readonly {
  readonly paymentId: string;
  readonly dueAt: number;
  readonly ended: boolean;
  readonly known: boolean;
  readonly attempts: number;
  /** Left out when false. */
  readonly transactionUnknown?: boolean;
  /** Left out when false. */
  readonly cancelling?: boolean;
  readonly openClaims: readonly (OpenClaim & { readonly claimId: string })[];
  readonly pendingRefunds: readonly string[];
}[];

export interface RetrySettings {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly notBefore?: number;
}

import type { Logger } from '@nestjs/common';
import { DinteroRejectedError, sessionError, type DinteroClient, type DinteroSession } from '@app/dintero';
import { readState, type EventStore } from '@app/event-store';
import {
  isOpen,
  operationDecider,
  operationStream,
  knownClaims,
  instantOf,
  paymentDecider,
  paymentStream,
  type DinteroErrorKind,
  type OpenPayment,
  type PaymentState,
} from '@app/payment-domain';
import { releaseClaim, type PaymentMetrics } from '@app/platform';
import type { PaymentFacts } from '../facts/payment-facts.service';
import type { DuePayments } from './due-payments';
import { nextLook, type LookSettings } from './next-look';
import { CONTEXT, logIds } from './reconciler-context';
import type { RefundLooks } from './refund-looks';
import type { ReviewFlags } from './review-flags';

/** What a look at a due payment reads of the configuration. */
export interface SettleSettings extends LookSettings {
  /** How old a claim with nothing recorded behind it is before it is released (`RECONCILER_ORPHAN_CLAIM_SECONDS`). */
  readonly orphanClaimMs: number;
}

/**
 * The reconciler's look at one due payment: Dintero asked (the session, then its transaction, or transactions by our
 * reference) and its answer recorded through the same path as callbacks; the refunds without an outcome looked at;
 * the terminal released when the payment's part on it is over, and claims with nothing behind them; and when the
 * payment is due to be looked at again.
 */
export class PaymentSettler {
  constructor(
    private readonly settings: () => SettleSettings,
    private readonly store: EventStore,
    private readonly dintero: DinteroClient,
    private readonly facts: PaymentFacts,
    private readonly due: DuePayments,
    private readonly refunds: RefundLooks,
    private readonly flags: ReviewFlags,
    private readonly metrics: PaymentMetrics,
    private readonly logger: Logger,
  ) {}

  async settle(paymentId: string): Promise<void> {
    const { state } = await readState(this.store, paymentStream(paymentId), paymentDecider);
    const { state: settled, sessionEnded } =
      state.status === 'none'
        ? { state, sessionEnded: false }
        : isOpen(state)
          ? await this.settleOpen(state)
          : { state: await this.refunds.settle(state), sessionEnded: false };
    await this.facts.releaseEnded(settled, CONTEXT);
    const orphansDueAt = await this.releaseOrphanClaims(paymentId, settled);
    if (isOpen(settled)) {
      this.metrics.reconciler.inc({ result: 'still_open' });
      await this.releaseUnknown(settled, sessionEnded);
      await this.flags.flagIfDue(settled);
      this.logger.log(logIds(settled), 'still open at Dintero');
      this.due.retry(paymentId, Date.now(), nextLook(settled, Date.now(), this.settings()));
      return;
    }
    if (settled.status !== 'none') this.metrics.reconciler.inc({ result: 'settled' });
    // What is not due yet (a refund still within its wait, a claim within its grace) is looked at then.
    const next = [orphansDueAt, this.refunds.dueAt(settled)].filter((at): at is number => at !== undefined);
    if (next.length > 0) this.due.schedule(paymentId, Math.min(...next));
  }

  /**
   * A transaction Dintero reports as UNKNOWN: the terminal is released once Dintero's session has ended,
   * so that the next customer can pay. Dintero is still asked, less and less often, until it says what happened.
   */
  private async releaseUnknown(payment: OpenPayment, sessionEnded: boolean): Promise<void> {
    if (payment.status !== 'outcome_unknown' || payment.unknownSince === undefined || !sessionEnded) return;
    await this.release(payment.paymentId, payment.terminalId, payment.claimId, payment.storeId);
  }

  /** Asks Dintero: the session and its transaction, or, without a session, transactions by our reference. */
  private async settleOpen(state: OpenPayment): Promise<{ state: PaymentState; sessionEnded: boolean }> {
    const { paymentId } = state;
    let transactionId: string | undefined;
    let refused: DinteroErrorKind | undefined;
    const session =
      (await this.cancelAsRequested(state)) ??
      (state.sessionId ? await this.dintero.findSession(state.sessionId) : undefined);
    if (session) {
      transactionId = session.transaction_id ?? state.transactionId;
      // Cancelled, declined or failed with no transaction: what the callback that never came would have said.
      refused = sessionError(session);
    } else if (state.transactionId) {
      // A transaction a callback or webhook already named: asked about by its id, not searched for.
      transactionId = state.transactionId;
    } else {
      // By our payment id, Dintero's `merchant_reference_2` filter: the POS's reference may repeat, and a
      // terminal's newest hundred transactions with it need not hold this one (then taken for expired).
      const candidates = await this.dintero.listTransactions({
        merchantReference2: paymentId,
        storeId: [state.storeId],
        limit: 100,
      });
      transactionId = candidates.find((tx) => tx.merchant_reference_2 === paymentId)?.id;
    }
    if (transactionId) {
      await this.facts.recordTransactionById(paymentId, transactionId, CONTEXT);
      // The payment's own transaction Dintero could not tell of, where the session names another since (a later try):
      // asked about too, after, so that a later try captured is the payment's end whatever became of the first. Asked
      // while the payment still waits on it (the later try's refusal does not end it), or once it has ended (a
      // capture of the first is then money taken twice, recorded as a late capture), not while a later try runs.
      const own = state.status === 'outcome_unknown' ? state.transactionId : undefined;
      if (own !== undefined && own !== transactionId) {
        const now = (await readState(this.store, paymentStream(paymentId), paymentDecider)).state;
        const waitsOnIt = now.status === 'outcome_unknown' && now.transactionId === own;
        if (waitsOnIt) await this.facts.recordTransactionById(paymentId, own, CONTEXT);
        else if (now.status !== 'none' && !isOpen(now))
          // The payment has its end: not reaching the first try changes nothing of it (a webhook may still bring it).
          await this.facts
            .recordTransactionById(paymentId, own, CONTEXT)
            .catch((error: unknown) =>
              this.logger.warn(
                { ...logIds(state), err: error, transactionId: own },
                'could not ask Dintero about the first try of a payment ended on a later one',
              ),
            );
      }
    } else if (refused) await this.facts.recordError(paymentId, refused, CONTEXT, session);
    else if (Date.now() >= Date.parse(state.expiresAt)) await this.facts.expire(paymentId, CONTEXT);
    // The terminal's part is over once the session has a transaction (the card was presented and the
    // terminal answered), was cancelled or refused, or has expired.
    const expiresAt = instantOf(session?.expires_at) ?? state.expiresAt;
    const sessionEnded = transactionId !== undefined || refused !== undefined || Date.now() >= Date.parse(expiresAt);
    return { state: (await readState(this.store, paymentStream(paymentId), paymentDecider)).state, sessionEnded };
  }

  /**
   * A cancel the POS asked for that Dintero has not confirmed (its answer to the command service was lost, or never
   * came): asked again while the session runs, so that the terminal stops prompting and a card presented later is
   * not charged for a sale the POS cancelled. Dintero answers with the session (`cancelled_at`, or the transaction it
   * voided); undefined when it refuses (a transaction past authorisation: the session is then read as usual). Not
   * reached, Dintero is asked again at the next look (`ReconcilerRound`'s retry).
   */
  private async cancelAsRequested(state: OpenPayment): Promise<DinteroSession | undefined> {
    if (!state.cancellationRequested || !state.sessionId || Date.now() >= Date.parse(state.expiresAt)) return undefined;
    const { sessionId } = state;
    this.logger.log(logIds(state), 'asking Dintero again to cancel the session the POS cancelled');
    try {
      return await this.dintero.cancelSession(sessionId);
    } catch (error) {
      if (error instanceof DinteroRejectedError) return undefined;
      throw error;
    }
  }

  /** Releases a claim the reconciler found to be over (its session ended, or nothing was recorded behind it). */
  private release(paymentId: string, terminalId: string, claimId: string, storeId?: string): Promise<void> {
    const at = new Date().toISOString();
    return releaseClaim(
      this.store,
      { terminalId, claimId, reason: 'reconciled', at },
      { correlationId: CONTEXT.correlationId, occurredAt: at, paymentId, terminalId, ...(storeId ? { storeId } : {}) },
    );
  }

  /**
   * Claims that name this payment with nothing recorded behind them: a payment never requested, or a
   * refund never recorded (the command service stopped in between, or a refused command whose release
   * failed). Each is released once it is older than the grace; the rim's `TerminalReleased` carries the
   * claim's store, so the read models free the terminal too. Returns when the next such claim is due.
   */
  private async releaseOrphanClaims(paymentId: string, state: PaymentState): Promise<number | undefined> {
    const known = knownClaims(state);
    const now = Date.now();
    let next: number | undefined;
    for (const [claimId, { terminalId, storeId, claimedAt, operation }] of [...this.due.openClaims(paymentId)]) {
      if (known.has(claimId)) continue;
      if (
        operation &&
        (await readState(this.store, operationStream(claimId), operationDecider)).state.status !== 'none'
      ) {
        this.due.forgetClaim(paymentId, claimId);
        continue;
      }
      const dueAt = claimedAt + this.settings().orphanClaimMs;
      if (dueAt > now) {
        next = Math.min(next ?? dueAt, dueAt);
        continue;
      }
      await this.release(paymentId, terminalId, claimId, storeId);
      this.logger.warn(
        { correlationId: CONTEXT.correlationId, paymentId, storeId, terminalId, claimId },
        'released a claim with nothing recorded behind it',
      );
    }
    return next;
  }
}

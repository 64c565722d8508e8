import type { Logger } from '@nestjs/common';
import type { DinteroClient } from '@app/dintero';
import { readState, type EventStore } from '@app/event-store';
import {
  isOpen,
  paymentDecider,
  paymentStream,
  refundFollowed,
  refundSettled,
  refundsOf,
  refundTransactionOf,
  refundUnfinishedAtDintero,
  type EndedOrCapturedPayment,
  type PaymentState,
  type Refund,
} from '@app/payment-domain';
import type { PaymentMetrics } from '@app/platform';
import type { PaymentFacts } from '../facts/payment-facts.service';
import type { DuePayments } from './due-payments';
import { unansweredAskedAgainAt, type LookSettings } from './next-look';
import { CONTEXT, logIds } from './reconciler-context';

/** Between a refund recorded as sent (`submittedAt`) and its call to Dintero beginning: the commit's answer. */
const SEND_START_MARGIN_MS = 5_000;

/** What the reconciler's looks at refunds read of the configuration. */
export interface RefundLookSettings extends LookSettings {
  /** How long a refund may go without an outcome before Dintero's silence is taken as a no. */
  readonly refundWaitMs: number;
}

/**
 * The reconciler's looks at the refunds of an ended or captured payment that have no outcome: asked of Dintero by
 * their transaction, failed for Dintero's silence once that is a no, handed to a person when Dintero took one and does
 * not finish it, and when each is due to be looked at again.
 */
export class RefundLooks {
  constructor(
    private readonly settings: () => RefundLookSettings,
    private readonly store: EventStore,
    private readonly dintero: DinteroClient,
    private readonly facts: PaymentFacts,
    private readonly due: DuePayments,
    private readonly metrics: PaymentMetrics,
    private readonly logger: Logger,
  ) {}

  /**
   * Refunds without an outcome, looked up as the specification lets: the transaction's events carry our
   * refund id as `event_reference`, and the result of one Dintero accepted with 202 carries its request id
   * as `correlation_request_id`. A refund Dintero has no trace of at all (no `REFUND`, no `INITIATE_REFUND`)
   * once its own wait is over and its terminal claim has lapsed did not happen, and is recorded as failed.
   * One Dintero accepted is never failed for silence: it is asked about until Dintero records its result.
   */
  async settle(state: EndedOrCapturedPayment): Promise<PaymentState> {
    const followed = Object.values(state.refunds).filter(refundFollowed);
    if (followed.length === 0) return state;
    // Each transaction a refund gives back from: the sale's, or one captured after the payment had ended.
    const transactions = new Set(followed.map((refund) => refundTransactionOf(state, refund)));
    for (const transactionId of transactions)
      if (transactionId !== undefined) await this.facts.recordTransactionById(state.paymentId, transactionId, CONTEXT);
    let { state: after } = await readState(this.store, paymentStream(state.paymentId), paymentDecider);
    if (after.status === 'none' || isOpen(after)) return after;
    const now = Date.now();
    const failed = new Set<string | undefined>();
    for (const refund of Object.values(after.refunds)) {
      if (!refundSettled(refund) && now >= this.silenceIsNoAt(state.paymentId, refund)) {
        const { recorded } = await this.facts.failRefundForSilence(state.paymentId, refund.refundId, CONTEXT);
        if (recorded.length > 0) failed.add(refundTransactionOf(after, refund));
      } else if (refundUnfinishedAtDintero(refund) && now >= this.reviewAt(state.paymentId, refund))
        await this.flag(after, refund);
    }
    // A refund made elsewhere on that transaction (Dintero's Backoffice) was held back while ours might have been it:
    // read once more, now that ours is failed, it is recorded. Dintero sends nothing more of a transaction that does
    // not change, and nothing else asks about an ended payment with no refund of ours under way. Dintero not answering
    // now does not hold up the release of the failed refund's terminal.
    for (const transactionId of failed)
      if (transactionId !== undefined)
        await this.facts
          .recordTransactionById(state.paymentId, transactionId, CONTEXT)
          .catch((error: unknown) =>
            this.logger.warn(
              { ...logIds(state), transactionId, err: error },
              'refunds made elsewhere not read after a refund failed for silence: left to the next word of the transaction',
            ),
          );
    ({ state: after } = await readState(this.store, paymentStream(state.paymentId), paymentDecider));
    return after;
  }

  /**
   * When a refund still without an outcome is due for a person: `RECONCILER_REVIEW_AFTER_SECONDS` after its own wait
   * and its hold on the terminal are over. Never again once it is flagged.
   */
  reviewAt(paymentId: string, refund: Refund): number {
    if (refund.flaggedForReviewAt !== undefined || !refundFollowed(refund)) return Number.POSITIVE_INFINITY;
    const { refundWaitMs, reviewAfterMs } = this.settings();
    const claim = this.due.openClaims(paymentId).get(refund.claimId);
    // One taken by Dintero after it was failed for its silence waits from then: Dintero has only just begun it.
    const from = Date.parse(refund.acceptedLateAt ?? refund.requestedAt);
    const waited = Math.max(from + refundWaitMs, claim?.expiresAt ?? 0);
    return waited + reviewAfterMs;
  }

  /**
   * Hands a refund to a person, once (the domain decides): one Dintero accepted and has not finished, or, with
   * `problem`, one the reconciler cannot settle. Its amount stays committed, and Dintero is still asked.
   */
  async flag(payment: EndedOrCapturedPayment, refund: Refund, problem?: string): Promise<void> {
    const { paymentId, storeId } = payment;
    const { refundId, terminalId, status } = refund;
    const { recorded } = await this.facts.flagRefundForReview(paymentId, refundId, CONTEXT, problem);
    if (recorded.length === 0) return;
    this.metrics.flaggedForReview.inc();
    this.logger.warn(
      {
        correlationId: CONTEXT.correlationId,
        paymentId,
        refundId,
        storeId,
        terminalId,
        status,
        requestedAt: refund.requestedAt,
        ...(problem ? { problem } : {}),
      },
      problem === undefined
        ? 'Dintero accepted the refund and has not finished it: flagged for a person'
        : 'the reconciler cannot settle the refund with Dintero: flagged for a person',
    );
  }

  /** When the earliest refund still without an outcome is due to be asked about again. */
  dueAt(state: PaymentState): number | undefined {
    if (state.status === 'none') return undefined;
    const { retryMs } = this.settings();
    const due = Object.values(refundsOf(state))
      .filter(refundFollowed)
      .map((refund) =>
        refundUnfinishedAtDintero(refund)
          ? Math.min(
              Date.now() + this.acceptedRefundPause(refund),
              Math.max(this.reviewAt(state.paymentId, refund), Date.now() + retryMs),
            )
          : this.unsettledRefundDueAt(state.paymentId, refund),
      );
    return due.length > 0 ? Math.min(...due) : undefined;
  }

  /**
   * A refund with no outcome, not accepted: looked at when its silence becomes a no (not sooner than the retry pause).
   * One whose call went unanswered (`unknown`) is asked about before that too, with a growing pause
   * (`unansweredAskedAgainAt`), and its last look is at that deadline, not a retry pause past it. Other refunds
   * without an outcome are brought forward by the command service's answer (`DuePayments`).
   */
  private unsettledRefundDueAt(paymentId: string, refund: Refund): number {
    const now = Date.now();
    const silence = this.silenceIsNoAt(paymentId, refund);
    if (refund.status !== 'unknown') return Math.max(silence, now + this.settings().retryMs);
    const sentAt = Date.parse(refund.submittedAt ?? refund.requestedAt);
    return unansweredAskedAgainAt(sentAt, silence, now, this.settings());
  }

  /**
   * How long before Dintero is asked again about a refund it accepted and has not finished: a quarter of its
   * age, between the retry pause and five minutes, so that one left unfinished for days costs little.
   */
  private acceptedRefundPause(refund: Refund): number {
    const { retryMs, maxRetryMs } = this.settings();
    const age = Date.now() - Date.parse(refund.acceptedLateAt ?? refund.requestedAt);
    return Math.min(Math.max(age / 4, retryMs), maxRetryMs);
  }

  /**
   * When Dintero's silence about a refund becomes a no: after the refund's wait, and not before its terminal
   * claim has lapsed, since the cardholder may be at the terminal until then and a refund made later would
   * otherwise be booked as failed.
   */
  private silenceIsNoAt(paymentId: string, refund: Refund): number {
    if (refund.status === 'accepted') return Number.POSITIVE_INFINITY;
    const claim = this.due.openClaims(paymentId).get(refund.claimId);
    // A refund sent moments ago may be on its way to Dintero still: not before the sender's call has ended.
    const sent =
      refund.submittedAt === undefined
        ? 0
        : Date.parse(refund.submittedAt) + SEND_START_MARGIN_MS + this.dintero.longestUnsafeCallMs;
    return Math.max(Date.parse(refund.requestedAt) + this.settings().refundWaitMs, claim?.expiresAt ?? 0, sent);
  }
}

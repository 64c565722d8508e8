import type { Logger } from '@nestjs/common';
import { HttpException } from '@nestjs/common';
import { readState, type EventStore } from '@app/event-store';
import {
  isOpen,
  MAX_PROBLEM_LENGTH,
  paymentDecider,
  paymentStream,
  refundFollowed,
  type EndedOrCapturedPayment,
  type OpenPayment,
  type PaymentState,
} from '@app/payment-domain';
import type { PaymentMetrics } from '@app/platform';
import type { PaymentFacts } from '../facts/payment-facts.service';
import { reviewAtOf, sessionReviewAt, type LookSettings } from './next-look';
import { CONTEXT, logIds } from './reconciler-context';
import type { RefundLooks } from './refund-looks';

/**
 * The reconciler's hand-overs to a person: a payment due for review (Dintero still UNKNOWN, or a session over with its
 * transaction not ended), and a payment or its refunds the reconciler has failed to settle for long. It keeps since
 * when each payment's looks have failed, one after another.
 */
export class ReviewFlags {
  /** Since when each payment's looks have failed, one after another (a look that settles clears it). */
  private readonly failingSince = new Map<string, number>();

  constructor(
    private readonly settings: () => LookSettings,
    private readonly store: EventStore,
    private readonly facts: PaymentFacts,
    private readonly refunds: RefundLooks,
    private readonly metrics: PaymentMetrics,
    private readonly logger: Logger,
  ) {}

  /** A look that settled the payment: its failures are over. */
  settled(paymentId: string): void {
    this.failingSince.delete(paymentId);
  }

  /** Forgets the failures of payments no longer due (settled by a delivery since): memory follows the open ones. */
  forgetUnless(due: (paymentId: string) => boolean): void {
    for (const paymentId of this.failingSince.keys()) if (!due(paymentId)) this.failingSince.delete(paymentId);
  }

  /** Hands a payment due for a person (`reviewAt`) to one, once. The payment stays open, and Dintero is still asked. */
  async flagIfDue(payment: OpenPayment): Promise<void> {
    const reviewAt = reviewAtOf(payment, this.settings());
    if (reviewAt === undefined || payment.flaggedForReviewAt !== undefined || Date.now() < reviewAt) return;
    const { recorded } = await this.facts.flagForReview(payment.paymentId, CONTEXT);
    if (recorded.length === 0) return;
    this.metrics.flaggedForReview.inc();
    const { transactionId, status } = payment;
    if (status === 'outcome_unknown')
      this.logger.warn(
        { ...logIds(payment), transactionId, since: payment.unknownSince },
        'outcome still unknown at Dintero: flagged for a person',
      );
    else
      this.logger.warn(
        { ...logIds(payment), transactionId, status, expiredAt: payment.expiresAt },
        'the session is over but Dintero has not ended its transaction: flagged for a person',
      );
  }

  /**
   * A look that failed (noted as failing since now, if it was not), said with the payment's store and terminal when
   * the log can tell them. An open payment the
   * reconciler has failed to settle for three pauses or more, `RECONCILER_REVIEW_AFTER_SECONDS` after its session
   * (and the grace) ended, is handed to a person, once: Dintero answers with a status this engine does not know, a
   * transaction that names another payment, no such transaction; or cannot be reached. Each would otherwise be
   * asked about for good, with nobody told.
   */
  async failed(paymentId: string, error: unknown): Promise<void> {
    if (!this.failingSince.has(paymentId)) this.failingSince.set(paymentId, Date.now());
    let state: PaymentState | undefined;
    try {
      ({ state } = await readState(this.store, paymentStream(paymentId), paymentDecider));
    } catch {
      // The log out of reach too: said without the payment's store and terminal, and flagged at a later look.
    }
    const ids = state && state.status !== 'none' ? { storeId: state.storeId, terminalId: state.terminalId } : {};
    this.logger.warn(
      { correlationId: CONTEXT.correlationId, err: error, paymentId, ...ids },
      'could not settle the payment yet',
    );
    if (state && state.status !== 'none' && !isOpen(state) && Object.values(state.refunds).some(refundFollowed))
      await this.flagRefundsIfUnsettleable(state, error);
    else if (state && !isOpen(state)) this.failingSince.delete(paymentId);
    if (state && isOpen(state)) await this.flagIfUnsettleable(state, error);
  }

  /**
   * The refunds without an outcome of a payment the reconciler has failed to settle for three pauses or more, each
   * past its review deadline (`RefundLooks.reviewAt`): handed to a person, once, with what stopped the reconciler.
   */
  private async flagRefundsIfUnsettleable(payment: EndedOrCapturedPayment, error: unknown): Promise<void> {
    if (!this.failingForLong(payment.paymentId)) return;
    for (const refund of Object.values(payment.refunds)) {
      if (Date.now() < this.refunds.reviewAt(payment.paymentId, refund)) continue;
      try {
        await this.refunds.flag(payment, refund, problemOf(error));
      } catch (flagError) {
        const { paymentId, storeId } = payment;
        this.logger.warn(
          {
            correlationId: CONTEXT.correlationId,
            err: flagError,
            paymentId,
            refundId: refund.refundId,
            storeId,
            terminalId: refund.terminalId,
          },
          'could not flag an unsettleable refund yet',
        );
      }
    }
  }

  /**
   * Whether the payment's looks have failed for three retry pauses or more, not once: a single refusal past a review
   * deadline (a 503, a busy log) would give the payment or refund the reason `not_settleable` for good, where its
   * next look might have flagged it for what it is.
   */
  private failingForLong(paymentId: string): boolean {
    return Date.now() - (this.failingSince.get(paymentId) ?? Date.now()) >= 3 * this.settings().retryMs;
  }

  private async flagIfUnsettleable(state: OpenPayment, error: unknown): Promise<void> {
    const { paymentId } = state;
    try {
      if (state.flaggedForReviewAt !== undefined) return;
      const reviewAt = sessionReviewAt(state, this.settings());
      if (Date.now() < reviewAt || !this.failingForLong(paymentId)) return;
      const problem = problemOf(error);
      const { recorded } = await this.facts.flagForReview(paymentId, CONTEXT, problem);
      if (recorded.length === 0) return;
      this.metrics.flaggedForReview.inc();
      const { transactionId, status } = state;
      this.logger.warn(
        { ...logIds(state), transactionId, status, expiredAt: state.expiresAt, problem },
        'the reconciler cannot settle the payment with Dintero: flagged for a person',
      );
    } catch (flagError) {
      this.logger.warn({ ...logIds(state), err: flagError }, 'could not flag an unsettleable payment yet');
    }
  }
}

/**
 * What stopped the reconciler, in a line for a person: a refusal's own detail (the engine's HTTP errors carry it in
 * their body), else the error's message. Dintero's error texts reach here scrubbed of credentials (`@app/dintero`).
 */
function problemOf(error: unknown): string {
  const detail = error instanceof HttpException ? (error.getResponse() as { detail?: unknown }).detail : undefined;
  const text = typeof detail === 'string' ? detail : error instanceof Error ? error.message : String(error);
  return text.length > MAX_PROBLEM_LENGTH ? `${text.slice(0, MAX_PROBLEM_LENGTH - 1)}…` : text || 'no answer';
}

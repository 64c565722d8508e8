import type { Logger } from '@nestjs/common';
import { externalRefunds, type DinteroClient } from '@app/dintero';
import { handleCommand, type EventStore } from '@app/event-store';
import {
  existingPayment,
  paymentDecider,
  paymentStream,
  refundOf as recordedRefund,
  refundSettled,
  refundTransactionOf,
  type PaymentState,
  type Refund,
} from '@app/payment-domain';
import { releaseClaim } from '@app/platform';
import { now } from '../../clock';
import type { FaultPoints } from '../../fault-points';
import { refundAtDintero, type RecordRefundOutcome } from './refund-at-dintero';
import { refundView, type RefundView } from './refund.view';

/** The refund in the payment's state, which the steps before have recorded. */
export function refundOf(state: PaymentState, paymentId: string, refundId: string): Refund {
  const refund = recordedRefund(state, refundId);
  if (!refund) throw new Error(`Refund ${refundId} of payment ${paymentId} is not in its stream`);
  return refund;
}

/**
 * A refund recorded as requested, from there on: sent to Dintero, its outcome recorded, its terminal freed once the
 * outcome is known, and refunds made elsewhere recorded when Dintero refuses it. Used by the handler's first run and
 * by a run that resumes it.
 */
export class RefundSubmission {
  constructor(
    private readonly store: EventStore,
    private readonly dintero: DinteroClient,
    private readonly faults: FaultPoints,
    private readonly logger: Logger,
  ) {}

  /**
   * Sends the refund to Dintero once: the first to record that it is sent makes the call. One that finds it
   * sent and unanswered does not know Dintero's answer, and records that. Then the outcome, and the terminal
   * freed when the outcome is known.
   */
  async submit(
    paymentId: string,
    refundId: string,
    metadata: Readonly<Record<string, string>>,
    reason?: string,
  ): Promise<RefundView> {
    const stream = paymentStream(paymentId);
    const submitted = await handleCommand(
      this.store,
      stream,
      paymentDecider,
      { type: 'SubmitRefund', data: { refundId, at: now() } },
      { metadata },
    );
    const current = refundOf(submitted.state, paymentId, refundId);
    // The sale's transaction, or the one captured late that the refund gives back from.
    const transactionId = refundTransactionOf(existingPayment(submitted.state, paymentId), current) ?? '';
    let outcome: RecordRefundOutcome['data'] | undefined;
    if (submitted.events.length > 0) {
      outcome = await refundAtDintero(this.dintero, transactionId, { ...current, ...(reason ? { reason } : {}) });
      this.faults.reach('refund:after-dintero');
    } else if (current.status === 'pending')
      outcome = {
        refundId,
        outcome: 'unknown',
        reason: 'the request sending the refund was interrupted',
        source: 'command-service',
        at: now(),
      };
    const { state } = outcome
      ? await handleCommand(
          this.store,
          stream,
          paymentDecider,
          { type: 'RecordRefundOutcome', data: outcome },
          { metadata },
        )
      : submitted;
    // A callback may have settled it first: what is recorded, not what this call heard, is the answer.
    const refund = refundOf(state, paymentId, refundId);
    if (outcome?.outcome === 'failed' && refund.status === 'failed')
      await this.recordRefundsMadeElsewhere(paymentId, transactionId, state, metadata);
    // An unknown or accepted refund keeps the terminal: the cardholder may still be at it. The result of an
    // accepted one comes as a transaction event (callback, webhook or reconciler), which releases it.
    await this.releaseIfSettled(refund, metadata);
    this.logger.log(
      {
        paymentId,
        refundId,
        terminalId: refund.terminalId,
        storeId: metadata.storeId,
        correlationId: metadata.correlationId,
        outcome: outcome?.outcome,
        status: refund.status,
      },
      'refund',
    );
    return refundView(existingPayment(state, paymentId), refund);
  }

  /** A refund with its outcome holds its terminal no longer. */
  async releaseIfSettled(refund: Refund, metadata: Readonly<Record<string, string>>): Promise<void> {
    if (!refundSettled(refund)) return;
    await releaseClaim(
      this.store,
      { terminalId: refund.terminalId, claimId: refund.claimId, reason: 'finished', at: now() },
      metadata,
    );
  }

  /**
   * Refunds Dintero shows made on the transaction by none of ours (in its Backoffice, say), held back while this
   * refund might have been one of them: recorded now that Dintero refused it (or it never reached Dintero, or a
   * resumed run failed it as never sent), since
   * Dintero sends nothing more of a transaction its refusal left as it was, and nothing else asks about it. Its
   * Backoffice taking the money is what makes Dintero refuse ours. The POS's answer is given whatever comes of this.
   */
  async recordRefundsMadeElsewhere(
    paymentId: string,
    transactionId: string,
    state: PaymentState,
    metadata: Readonly<Record<string, string>>,
  ): Promise<void> {
    const { storeId, terminalId, correlationId } = metadata;
    const about = { paymentId, storeId, terminalId, transactionId, correlationId };
    try {
      const command = externalRefunds(
        await this.dintero.getTransaction(transactionId),
        state,
        'command-service',
        now(),
      );
      if (command === undefined) return;
      const { events } = await handleCommand(this.store, paymentStream(paymentId), paymentDecider, command, {
        metadata,
      });
      if (events.length > 0)
        this.logger.warn(
          { ...about, recorded: events.map((e) => e.type) },
          'money moved after the payment or refund was booked ended',
        );
    } catch (error) {
      this.logger.warn(
        { ...about, err: error },
        'refunds made elsewhere not read after the refund failed: left to the next word of the transaction',
      );
    }
  }
}

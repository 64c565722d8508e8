import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DINTERO_CLIENT, type DinteroClient } from '@app/dintero';
import { tokenForDintero } from '../../dintero-unreachable';
import { EVENT_STORE, handleCommand, readState, type EventStore } from '@app/event-store';
import {
  asDomainEvent,
  existingPayment,
  lateCurrencyOf,
  paymentDecider,
  paymentStream,
  refundOf as recordedRefund,
  refundedSourceOf,
  refundTransactionOf,
  terminalDecider,
  terminalStream,
  type PaymentCommand,
  type Refund,
} from '@app/payment-domain';
import { aimedAt, claimTerminal, deviceUnderClaim, recordUnderClaim } from '@app/platform';
import { COMMAND_CONFIG, type CommandServiceConfig } from '../../command-service.config';
import type { RefundTerminalPaymentDto } from './refund-terminal-payment.dto';
import { refundView, type RefundView } from './refund.view';
import { now } from '../../clock';
import { FaultPoints } from '../../fault-points';
import { UsableTerminals } from '../../registry/usable-terminals.service';
import type { IdempotentSteps } from '../../idempotency/idempotent-requests.service';
import { commandMetadata, type CommandContext } from '../command-context';
import { visiblePayment } from '../visible-payment';
import { RefundSubmission, refundOf } from './refund-submission';
import { usableRefundTerminal } from './usable-refund-terminal';

export interface PreparedRefund {
  readonly paymentId: string;
  /** The store of the terminal where the refund happens (the claim is that store's). */
  readonly terminalStoreId: string;
  readonly request: PaymentCommand & { type: 'RequestRefund' };
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * The refund's answer to the POS: 201 once its outcome is known (`succeeded` or `failed`), 202 while it
 * is not (`pending`: Dintero is doing it at the terminal; `unknown`: Dintero did not answer).
 */
export const refundAnswer = (view: RefundView) => ({ status: view.final ? 201 : 202, body: view });

/**
 * Refund on the terminal where the cardholder is: checked against what was captured before anything
 * is written, the terminal claimed for the refund, the request recorded, Dintero asked, the outcome
 * recorded (unknown when Dintero does not answer: then the amount stays committed, so that it can never
 * be refunded twice).
 */
@Injectable()
export class RefundTerminalPaymentHandler {
  private readonly logger = new Logger(RefundTerminalPaymentHandler.name);
  /** Sending to Dintero and what follows, shared by the first run and a resumed one. */
  private readonly submission: RefundSubmission;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DINTERO_CLIENT) private readonly dintero: DinteroClient,
    @Inject(COMMAND_CONFIG) private readonly config: CommandServiceConfig,
    private readonly faults: FaultPoints,
    private readonly terminals: UsableTerminals,
  ) {
    this.submission = new RefundSubmission(store, dintero, faults, this.logger);
  }

  async prepare(
    paymentId: string,
    body: RefundTerminalPaymentDto,
    context: CommandContext,
    refundId: string = randomUUID(),
  ): Promise<PreparedRefund> {
    const state = visiblePayment(
      (await readState(this.store, paymentStream(paymentId), paymentDecider)).state,
      paymentId,
      context.client,
    );
    // The currency the refund gives back in: a late capture's own, which need not be the payment's.
    const source = refundedSourceOf(state, body.transactionId)?.transactionId;
    const currency = source === undefined ? state.currency : lateCurrencyOf(state, source);
    const { storeId: terminalStoreId, dinteroTerminalId } = await usableRefundTerminal(
      this.store,
      this.terminals,
      body.terminalId,
      { currency, payoutDestinationId: state.payoutDestinationId },
      context,
    );
    const request = {
      type: 'RequestRefund' as const,
      data: {
        refundId,
        amount: body.amount,
        ...(body.transactionId === undefined ? {} : { transactionId: body.transactionId }),
        ...(body.currency === undefined ? {} : { currency: body.currency }),
        terminalId: body.terminalId,
        // Always, as on `PaymentRequested`: the device's batch the refund counts in.
        dinteroTerminalId,
        claimId: refundId,
        ...(body.reason ? { reason: body.reason } : {}),
        by: context.client.id,
        at: now(),
      },
    };
    // NOT_REFUNDABLE and REFUND_EXCEEDS_CAPTURED before anything is written.
    paymentDecider.decide(request, state);
    await tokenForDintero(this.dintero, 'getting a token to send the refund');
    const metadata = commandMetadata(
      context,
      { paymentId, refundId, storeId: state.storeId, terminalId: body.terminalId },
      now(),
    );
    return { paymentId, terminalStoreId, request, metadata };
  }

  /** The refund as idempotent steps (see `IdempotentRequests`), the same over HTTP and NATS. */
  steps(paymentId: string, body: RefundTerminalPaymentDto, context: CommandContext): IdempotentSteps<PreparedRefund> {
    return {
      admit: async () => {
        visiblePayment(
          (await readState(this.store, paymentStream(paymentId), paymentDecider)).state,
          paymentId,
          context.client,
        );
      },
      prepare: (refundId) => this.prepare(paymentId, body, context, refundId),
      execute: async (prepared) => refundAnswer(await this.execute(prepared)),
      resume: async (refundId) =>
        refundAnswer(
          await this.resume(paymentId, refundId, () => this.prepare(paymentId, body, context, refundId), context),
        ),
      beforeAnswer: 'refund:before-answer',
    };
  }

  async execute(prepared: PreparedRefund): Promise<RefundView> {
    const { paymentId, terminalStoreId, request, metadata } = prepared;
    const { refundId, terminalId } = request.data;
    const claimedAt = new Date();
    await claimTerminal(
      this.store,
      {
        terminalId,
        claimId: refundId,
        kind: 'refund',
        paymentId,
        storeId: terminalStoreId,
        claimedAt: claimedAt.toISOString(),
        expiresAt: new Date(
          claimedAt.getTime() + (this.config.sessionTtlSeconds + this.config.claimMarginSeconds) * 1000,
        ).toISOString(),
      },
      metadata,
    );
    this.faults.reach('refund:after-claim');
    // Another refund may have taken what was left since `prepare` checked: the domain then refuses this one
    // here, and the claim just taken is released with the refusal.
    await recordUnderClaim(this.store, { terminalId, claimId: refundId }, metadata, async () => {
      // The device the name has now that the terminal is held: a device change since `prepare` looked goes first.
      const device = await deviceUnderClaim(this.store, terminalStoreId, terminalId);
      const onDevice = { ...request, data: aimedAt(request.data, device) };
      return handleCommand(this.store, paymentStream(paymentId), paymentDecider, onDevice, { metadata });
    });
    this.faults.reach('refund:after-request');
    return this.submission.submit(paymentId, refundId, metadata, request.data.reason);
  }

  /**
   * The same refund, taken over after its first run died (the key's lease ran out): from the last step the
   * log shows. Nothing recorded: the whole refund again with the same id. Recorded but not yet sent: sent
   * now. Sent with no answer recorded: unknown (never sent twice; the reconciler settles it). Further on:
   * the refund as it stands.
   */
  async resume(
    paymentId: string,
    refundId: string,
    prepareAgain: () => Promise<PreparedRefund>,
    context: CommandContext,
  ): Promise<RefundView> {
    const { state } = await readState(this.store, paymentStream(paymentId), paymentDecider);
    const refund = recordedRefund(state, refundId);
    if (!refund) return this.execute(await prepareAgain());
    const payment = existingPayment(state, paymentId);
    const metadata = commandMetadata(
      context,
      { paymentId, refundId, storeId: payment.storeId, terminalId: refund.terminalId },
      now(),
    );
    this.logger.log(
      {
        paymentId,
        refundId,
        storeId: payment.storeId,
        terminalId: refund.terminalId,
        status: refund.status,
        correlationId: context.correlationId,
      },
      'resuming an interrupted refund',
    );
    if (refund.status === 'pending' && refund.submittedAt === undefined && !(await this.stillHeld(refund))) {
      // Never sent, and its hold on the terminal lapsed (or is about to): the cardholder is gone, and the
      // reconciler may take Dintero's silence as a no at any moment. Not sent now: failed, and said so.
      const { state: after } = await handleCommand(
        this.store,
        paymentStream(paymentId),
        paymentDecider,
        {
          type: 'RecordRefundOutcome',
          data: {
            refundId,
            outcome: 'failed',
            reason: 'not sent: its hold on the terminal lapsed before it could be resumed',
            // A guess should the first run send it meanwhile (it was only paused): then the refund stays marked
            // as failed for silence, which Dintero may yet show made (the decider marks it only once sent).
            noTrace: true,
            source: 'command-service',
            at: now(),
          },
        },
        { metadata },
      );
      // Failed, it holds the terminal no longer (the claim may still run for up to a lease).
      const failed = refundOf(after, paymentId, refundId);
      // A refund made elsewhere held back while this one was unsettled is recorded now, as when Dintero refuses one.
      if (failed.status === 'failed') {
        const transactionId = refundTransactionOf(existingPayment(after, paymentId), failed);
        if (transactionId !== undefined)
          await this.submission.recordRefundsMadeElsewhere(paymentId, transactionId, after, metadata);
      }
      await this.submission.releaseIfSettled(failed, metadata);
      return refundView(existingPayment(after, paymentId), failed);
    }
    return this.submission.submit(paymentId, refundId, metadata, await this.requestedReason(paymentId, refundId));
  }

  /** The POS's reason for a refund, which the payment's state does not keep: from its `RefundRequested`. */
  private async requestedReason(paymentId: string, refundId: string): Promise<string | undefined> {
    for (const recorded of await this.store.readStream(paymentStream(paymentId))) {
      const typed = asDomainEvent(recorded);
      if (
        typed?.stream === 'payment' &&
        typed.event.type === 'RefundRequested' &&
        typed.event.data.refundId === refundId
      )
        return typed.event.data.reason;
    }
    return undefined;
  }

  /** The refund's claim on its terminal holds for longer than a call to Dintero can take. */
  private async stillHeld(refund: Refund): Promise<boolean> {
    const { state } = await readState(this.store, terminalStream(refund.terminalId), terminalDecider);
    return (
      state.status === 'claimed' &&
      state.claim.claimId === refund.claimId &&
      Date.parse(state.claim.expiresAt) - Date.now() > this.config.idempotencyLeaseSeconds * 1000
    );
  }
}

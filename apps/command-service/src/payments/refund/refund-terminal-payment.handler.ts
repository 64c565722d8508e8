import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  DINTERO_CLIENT,
  DinteroRejectedError,
  DinteroUnavailableError,
  externalRefunds,
  refundOutcome,
  type DinteroClient,
} from '@app/dintero';
import { tokenForDintero } from '../../dintero-unreachable';
import { EVENT_STORE, handleCommand, readState, type EventStore } from '@app/event-store';
import {
  assertAcceptedCurrency,
  existingPayment,
  DomainError,
  dinteroTerminalOf,
  lateCurrencyOf,
  paymentDecider,
  paymentStream,
  refundOf as recordedRefund,
  refundedSourceOf,
  refundSettled,
  refundTransactionOf,
  terminalDecider,
  terminalStream,
  type PaymentCommand,
  type PaymentState,
  type Refund,
} from '@app/payment-domain';
import { aimedAt, claimTerminal, deviceUnderClaim, recordUnderClaim, releaseClaim } from '@app/platform';
import { COMMAND_CONFIG, type CommandServiceConfig } from '../../command-service.config';
import type { RefundTerminalPaymentDto } from './refund-terminal-payment.dto';
import { refundView, type RefundView } from './refund.view';
import { now } from '../../clock';
import { FaultPoints } from '../../fault-points';
import { UsableTerminals } from '../../registry/usable-terminals.service';
import type { IdempotentSteps } from '../../idempotency/idempotent-requests.service';
import { commandMetadata, type CommandContext } from '../command-context';
import { visiblePayment } from '../visible-payment';

type RecordRefundOutcome = Extract<PaymentCommand, { type: 'RecordRefundOutcome' }>;

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
/** The refund in the payment's state, which the steps before have recorded. */
function refundOf(state: PaymentState, paymentId: string, refundId: string): Refund {
  const refund = recordedRefund(state, refundId);
  if (!refund) throw new Error(`Refund ${refundId} of payment ${paymentId} is not in its stream`);
  return refund;
}

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

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DINTERO_CLIENT) private readonly dintero: DinteroClient,
    @Inject(COMMAND_CONFIG) private readonly config: CommandServiceConfig,
    private readonly faults: FaultPoints,
    private readonly terminals: UsableTerminals,
  ) {}

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
    const { storeId: terminalStoreId, dinteroTerminalId } = await this.usableRefundTerminal(
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
        ...(dinteroTerminalId === body.terminalId ? {} : { dinteroTerminalId }),
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

  /**
   * The cardholder may be at another store of the chain: the refund terminal must be registered and active in a
   * store this key may use, that store's terminals must take the refund's currency (the payment's, or a late
   * capture's own: a refund in NOK at a terminal of a Swedish store is refused here, not by the terminal), and the
   * store must pay out to the payment's payout destination: Dintero approves an in-person refund only on a terminal
   * of the original transaction's (a chain of franchises on separate legal entities has several).
   */
  private async usableRefundTerminal(
    terminalId: string,
    payment: { readonly currency: string; readonly payoutDestinationId: string },
    context: CommandContext,
  ): Promise<{ storeId: string; dinteroTerminalId: string }> {
    const { storeId } = (await readState(this.store, terminalStream(terminalId), terminalDecider)).state;
    // A terminal of a store the key may not use is answered as a name never registered: a 403 would tell the key
    // that the name is another store's terminal.
    if (storeId === undefined || !context.client.mayUse(storeId))
      throw new DomainError('UNKNOWN_TERMINAL', `Terminal ${terminalId} is not registered`, { terminalId });
    const { store, dinteroTerminalId } = await this.terminals.usable(storeId, terminalId);
    assertAcceptedCurrency(store, payment.currency);
    if (store.payoutDestinationId !== payment.payoutDestinationId)
      throw new DomainError(
        'REFUND_TERMINAL_OTHER_PAYOUT_DESTINATION',
        `Terminal ${terminalId} is of a store that pays out to another payout destination than the payment's: ` +
          'Dintero refunds only at a terminal of the same payout destination',
        { terminalId, payoutDestinationId: payment.payoutDestinationId },
      );
    return { storeId, dinteroTerminalId };
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
    return this.submit(paymentId, refundId, metadata, request.data.reason);
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
          await this.recordRefundsMadeElsewhere(paymentId, transactionId, after, metadata);
      }
      await this.releaseIfSettled(failed, metadata);
      return refundView(existingPayment(after, paymentId), failed);
    }
    return this.submit(paymentId, refundId, metadata, await this.requestedReason(paymentId, refundId));
  }

  /** The POS's reason for a refund, which the payment's state does not keep: from its `RefundRequested`. */
  private async requestedReason(paymentId: string, refundId: string): Promise<string | undefined> {
    const events = await this.store.readStream(paymentStream(paymentId));
    const requested = events.find(
      (event) => event.type === 'RefundRequested' && (event.data as { refundId?: unknown }).refundId === refundId,
    );
    const reason = (requested?.data as { reason?: unknown } | undefined)?.reason;
    return typeof reason === 'string' ? reason : undefined;
  }

  /** A refund with its outcome holds its terminal no longer. */
  private async releaseIfSettled(refund: Refund, metadata: Readonly<Record<string, string>>): Promise<void> {
    if (!refundSettled(refund)) return;
    await releaseClaim(
      this.store,
      { terminalId: refund.terminalId, claimId: refund.claimId, reason: 'finished', at: now() },
      metadata,
    );
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

  /**
   * Sends the refund to Dintero once: the first to record that it is sent makes the call. One that finds it
   * sent and unanswered does not know Dintero's answer, and records that. Then the outcome, and the terminal
   * freed when the outcome is known.
   */
  private async submit(
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
      outcome = await this.askDintero(transactionId, { ...current, ...(reason ? { reason } : {}) });
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

  /**
   * Refunds Dintero shows made on the transaction by none of ours (in its Backoffice, say), held back while this
   * refund might have been one of them: recorded now that Dintero refused it (or it never reached Dintero, or a
   * resumed run failed it as never sent), since
   * Dintero sends nothing more of a transaction its refusal left as it was, and nothing else asks about it. Its
   * Backoffice taking the money is what makes Dintero refuse ours. The POS's answer is given whatever comes of this.
   */
  private async recordRefundsMadeElsewhere(
    paymentId: string,
    transactionId: string,
    state: PaymentState,
    metadata: Readonly<Record<string, string>>,
  ): Promise<void> {
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
          { paymentId, transactionId, correlationId: metadata.correlationId, recorded: events.map((e) => e.type) },
          'money moved after the payment or refund was booked ended',
        );
    } catch (error) {
      this.logger.warn(
        { paymentId, transactionId, correlationId: metadata.correlationId, err: error },
        'refunds made elsewhere not read after the refund failed: left to the next word of the transaction',
      );
    }
  }

  /**
   * Dintero's answer as the refund's outcome: a 200 carries the transaction, whose `REFUND` event for our
   * reference says how it went and when; a 202 means Dintero is doing it at the terminal, its result to
   * come as the event whose `correlation_request_id` is the answer's `event-request-id`.
   */
  private async askDintero(
    transactionId: string,
    refund: Pick<Refund, 'refundId' | 'amount' | 'terminalId' | 'dinteroTerminalId'> & { reason?: string },
  ): Promise<RecordRefundOutcome['data']> {
    const { refundId, amount, reason } = refund;
    try {
      const answer = await this.dintero.refund(transactionId, {
        amount,
        terminalId: dinteroTerminalOf(refund),
        refundReference: refundId,
        ...(reason ? { reason } : {}),
      });
      const requestId = answer.kind === 'accepted' ? answer.requestId : undefined;
      const told =
        answer.transaction &&
        refundOutcome(answer.transaction, { refundId, dinteroRequestId: requestId }, 'command-service', now())?.data;
      if (told && (told.outcome !== 'accepted' || answer.kind === 'done')) return told;
      if (answer.kind === 'accepted') {
        // The header's id, or, without one, the request id Dintero's INITIATE_REFUND event carries.
        const acceptedAs = requestId ?? told?.requestId;
        return {
          refundId,
          outcome: 'accepted',
          ...(acceptedAs ? { requestId: acceptedAs } : {}),
          source: 'command-service',
          at: now(),
        };
      }
      // Done, and the transaction shows no event of ours: Dintero said it refunded.
      return { refundId, outcome: 'succeeded', source: 'command-service', at: now() };
    } catch (error) {
      const at = now();
      if (error instanceof DinteroRejectedError)
        return { refundId, outcome: 'failed', reason: error.code, source: 'command-service', at };
      // No connection could be made: the refund never reached Dintero, and nothing will come of it.
      if (error instanceof DinteroUnavailableError && error.notSent)
        return { refundId, outcome: 'failed', reason: 'DINTERO_UNAVAILABLE', source: 'command-service', at };
      if (error instanceof DinteroUnavailableError)
        return { refundId, outcome: 'unknown', reason: error.message, source: 'command-service', at };
      throw error;
    }
  }
}

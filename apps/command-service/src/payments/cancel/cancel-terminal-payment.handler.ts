import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  DINTERO_CLIENT,
  DinteroRejectedError,
  DinteroUnavailableError,
  UnrecognisedTransactionStatusError,
  sessionErrorTime,
  transactionFact,
  transactionStatus,
  type DinteroClient,
  type DinteroSession,
} from '@app/dintero';
import { EVENT_STORE, handleCommand, readState, type EventStore } from '@app/event-store';
import {
  capturedBeforeCancel,
  endedClaims,
  existingPayment,
  DomainError,
  isDinteroTransactionStatus,
  isOpen,
  paymentDecider,
  paymentStream,
  type PaymentCommand,
  type OpenPayment,
  type PaymentState,
} from '@app/payment-domain';
import { releaseClaim } from '@app/platform';
import { paymentView, type PaymentView } from '../payment.view';
import { now } from '../../clock';
import type { CommandContext } from '../command-context';
import { visiblePayment } from '../visible-payment';

export type CancelOutcome = { readonly kind: 'cancelled' | 'ended' | 'pending'; readonly payment: PaymentView };

/**
 * Cancel: record the request, ask Dintero to cancel the session, record what Dintero says. A capture
 * that won the race is recorded as a capture and answered as `PAYMENT_FINISHED`; if Dintero does not
 * answer, the cancellation stays requested and ingest or the reconciler settle it.
 */
@Injectable()
export class CancelTerminalPaymentHandler {
  private readonly logger = new Logger(CancelTerminalPaymentHandler.name);

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DINTERO_CLIENT) private readonly dintero: DinteroClient,
  ) {}

  async cancel(paymentId: string, context: CommandContext): Promise<CancelOutcome> {
    const stream = paymentStream(paymentId);
    const current = visiblePayment(
      (await readState(this.store, stream, paymentDecider)).state,
      paymentId,
      context.client,
    );
    const metadata = {
      correlationId: context.correlationId,
      causationId: context.correlationId,
      occurredAt: now(),
      paymentId,
      storeId: current.storeId,
      terminalId: current.terminalId,
      posClientId: context.client.id,
    };
    const state = await this.record(
      paymentId,
      { type: 'RequestCancellation', data: { by: context.client.id, at: now() } },
      metadata,
    ).catch(async (error: unknown) => {
      // Captured already (recorded before this cancel came): the refusal carries the payment, as when the capture
      // wins the race at Dintero below.
      if (!(error instanceof DomainError) || error.code !== 'PAYMENT_FINISHED') throw error;
      const captured = existingPayment((await readState(this.store, stream, paymentDecider)).state);
      throw new DomainError('PAYMENT_FINISHED', error.message, { ...error.details, payment: paymentView(captured) });
    });
    if (!isOpen(state)) return { kind: 'ended', payment: paymentView(existingPayment(state)) };
    // No session yet: the run creating it cancels it once Dintero has answered (`cancelRequestedSession`).
    if (!state.sessionId) return { kind: 'pending', payment: paymentView(state) };
    return this.cancelSession(state, state.sessionId, metadata);
  }

  /**
   * A session created after the POS asked to cancel its payment (the cancel came while Dintero was creating it):
   * cancelled now, so that the terminal stops prompting. The start's answer is the payment as it then stands.
   */
  async cancelRequestedSession(
    payment: PaymentState,
    metadata: Readonly<Record<string, string>>,
  ): Promise<PaymentView | undefined> {
    if (!isOpen(payment) || !payment.cancellationRequested || !payment.sessionId) return undefined;
    const { paymentId, storeId, terminalId } = payment;
    this.logger.log(
      { paymentId, storeId, terminalId, correlationId: metadata.correlationId },
      'the POS asked to cancel while the session was being created: cancelling it now',
    );
    try {
      return (await this.cancelSession(payment, payment.sessionId, metadata)).payment;
    } catch (error) {
      // A capture that won the race: the payment as recorded is the start's answer.
      if (error instanceof DomainError && error.code === 'PAYMENT_FINISHED')
        return paymentView(
          existingPayment((await readState(this.store, paymentStream(paymentId), paymentDecider)).state),
        );
      // The session exists and is recorded: the start still answers with it, and the cancel stays requested.
      this.logger.warn(
        { paymentId, storeId, terminalId, correlationId: metadata.correlationId, err: error },
        'could not cancel the session the POS asked to cancel: the cancellation stays requested',
      );
      return undefined;
    }
  }

  /** Asks Dintero to cancel the session, and records what Dintero says. */
  private async cancelSession(
    payment: OpenPayment,
    sessionId: string,
    metadata: Readonly<Record<string, string>>,
  ): Promise<CancelOutcome> {
    const { paymentId } = payment;
    const record = (command: PaymentCommand) => this.record(paymentId, command, metadata);
    let state: PaymentState = payment;
    try {
      const cancelled = await this.dintero.cancelSession(sessionId);
      // A session with a transaction (initiated or authorised) ends as that transaction does, which Dintero voided
      // with the cancel: recorded as an error without a transaction, the decider ignores it for a payment that has
      // one, and the payment stayed open.
      state = cancelled.transaction_id
        ? await this.recordTransaction(cancelled.transaction_id, record, state)
        : await record(cancelledBy(cancelled));
    } catch (error) {
      if (!(error instanceof DinteroRejectedError)) return this.notSettledYet(error, state, metadata);
      // Dintero refuses to cancel a session whose transaction is past authorisation: find out what happened.
      try {
        state = await this.recordTransactionOf(sessionId, record, state);
      } catch (lookError) {
        return this.notSettledYet(lookError, state, metadata);
      }
    }
    // Dintero refused to cancel but its transaction says nothing final yet (ON_HOLD, UNKNOWN): ingest or
    // the reconciler will record the end; until then the cancellation is pending.
    if (isOpen(state)) return { kind: 'pending', payment: paymentView(state) };
    await this.releaseIfEnded(state, metadata);
    if (state.status === 'captured') {
      throw new DomainError('PAYMENT_FINISHED', capturedBeforeCancel(paymentId), {
        paymentId,
        paymentStatus: 'captured',
        payment: paymentView(state),
      });
    }
    return { kind: state.status === 'cancelled' ? 'cancelled' : 'ended', payment: paymentView(existingPayment(state)) };
  }

  /**
   * Dintero could not say how the cancel went: no answer, a refusal of the look at its session or transaction, or a
   * transaction this engine cannot book (a status it does not know, money of unknown size, another currency than the
   * payment's). The cancellation stays requested (`202`): the reconciler asks Dintero again and records the end, or
   * hands the payment to a person. Any other error is the engine's own.
   */
  private notSettledYet(
    error: unknown,
    state: PaymentState,
    metadata: Readonly<Record<string, string>>,
  ): CancelOutcome {
    const fromDintero =
      error instanceof DinteroUnavailableError ||
      error instanceof DinteroRejectedError ||
      error instanceof UnrecognisedTransactionStatusError ||
      (error instanceof DomainError && error.code === 'TRANSACTION_IN_OTHER_CURRENCY');
    if (!fromDintero) throw error;
    const payment = existingPayment(state);
    this.logger.warn(
      {
        paymentId: payment.paymentId,
        storeId: payment.storeId,
        terminalId: payment.terminalId,
        correlationId: metadata.correlationId,
        reason: error.message,
      },
      'cancel outcome unknown: the cancellation stays requested',
    );
    return { kind: 'pending', payment: paymentView(payment) };
  }

  /** Records a command on the payment's stream; the payment as it then stands. */
  private async record(
    paymentId: string,
    command: PaymentCommand,
    metadata: Readonly<Record<string, string>>,
  ): Promise<PaymentState> {
    return (await handleCommand(this.store, paymentStream(paymentId), paymentDecider, command, { metadata })).state;
  }

  private async recordTransactionOf(
    sessionId: string,
    record: (command: PaymentCommand) => Promise<PaymentState>,
    state: PaymentState,
  ): Promise<PaymentState> {
    const session = await this.dintero.getSession(sessionId);
    // Cancelled before any transaction: by an earlier cancel whose answer was lost (Dintero does not say that it
    // answers a second cancel as it did the first), or at Dintero itself.
    if (!session.transaction_id && session.cancelled_at !== undefined) return record(cancelledBy(session));
    if (!session.transaction_id) return state;
    return this.recordTransaction(session.transaction_id, record, state);
  }

  /** The transaction as Dintero has it now, recorded; the payment as it was when its status is one not known yet. */
  private async recordTransaction(
    transactionId: string,
    record: (command: PaymentCommand) => Promise<PaymentState>,
    state: PaymentState,
  ): Promise<PaymentState> {
    const tx = await this.dintero.getTransaction(transactionId);
    // A status this engine does not know yet: the cancel stays pending, and ingest answers Dintero 5xx.
    if (!isDinteroTransactionStatus(transactionStatus(tx))) return state;
    // The same mapping as callbacks, webhooks and the reconciler: the card and Dintero's time included.
    return record({
      type: 'RecordDinteroTransaction',
      data: { transaction: transactionFact(tx), source: 'command-service', at: now() },
    });
  }

  private async releaseIfEnded(state: PaymentState, metadata: Readonly<Record<string, string>>): Promise<void> {
    for (const claim of endedClaims(state))
      await releaseClaim(this.store, { ...claim, reason: 'finished', at: now() }, metadata);
  }
}

/** The session's cancel as the domain records it, dated by Dintero's time of it when the session gives one. */
function cancelledBy(session: DinteroSession): PaymentCommand {
  const dinteroAt = sessionErrorTime(session, 'cancelled');
  return {
    type: 'RecordDinteroError',
    data: { error: 'cancelled', source: 'command-service', at: now(), ...(dinteroAt ? { dinteroAt } : {}) },
  };
}

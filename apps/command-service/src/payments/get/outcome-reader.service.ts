import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_STORE, readState, type EventStore } from '@app/event-store';
import {
  DomainError,
  existingPayment,
  operationDecider,
  operationFinished,
  operationStream,
  ownEntry,
  paymentDecider,
  paymentStream,
  type PaymentState,
} from '@app/payment-domain';
import type { PosClient } from '../../auth/pos-client';
import { ShutdownSignal } from '../../shutdown-signal';
import { paymentView, type PaymentView } from '../payment.view';
import { refundView, type RefundView } from '../refund/refund.view';
import type { GetPaymentQuery } from './get-payment.query';
import { PaymentNotifier } from './payment-notifier';
import { paymentFinal, refundFinal, waitForPayment, waitForStream } from './wait-for-final';
import { operationView, type TerminalOperationView } from '../../operations/terminal-operation.view';

/** The default of `timeout`, in seconds, when a POS asks to wait for the outcome. */
const DEFAULT_WAIT_SECONDS = 30;

/**
 * One payment, one refund of it, or one terminal operation, as a POS may see it: over HTTP
 * (`GET /v1/terminal-payments/{id}`, `GET /v1/terminal-operations/{id}`) and over NATS
 * (`payments.v1.query.payment|refund|operation`) alike. With `waitFor: 'final'` the answer is held until the
 * outcome is known, the timeout runs out, the caller is gone (`gone`) or the service stops; it answers the state
 * as it is.
 */
@Injectable()
export class OutcomeReader {
  private readonly logger = new Logger(OutcomeReader.name);

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly shutdown: ShutdownSignal,
    private readonly payments: PaymentNotifier,
  ) {}

  async payment(
    paymentId: string,
    query: GetPaymentQuery,
    client: PosClient,
    gone?: AbortSignal,
  ): Promise<PaymentView> {
    const payment = existingPayment(await this.read(paymentId, query, paymentFinal, gone, 'the payment'), paymentId);
    client.assertStore(payment.storeId);
    return paymentView(payment);
  }

  async refund(
    paymentId: string,
    refundId: string,
    query: GetPaymentQuery,
    client: PosClient,
    gone?: AbortSignal,
  ): Promise<RefundView> {
    const state = await this.read(paymentId, query, refundFinal(refundId), gone, 'the refund');
    const payment = existingPayment(state, paymentId);
    client.assertStore(payment.storeId);
    const refund = payment.status === 'captured' ? ownEntry(payment.refunds, refundId) : undefined;
    if (!refund)
      throw new DomainError('UNKNOWN_REFUND', `Payment ${paymentId} has no refund ${refundId}`, { refundId });
    return refundView(paymentId, refund);
  }

  async operation(
    operationId: string,
    query: GetPaymentQuery,
    client: PosClient,
    gone?: AbortSignal,
  ): Promise<TerminalOperationView> {
    const stream = operationStream(operationId);
    const state =
      query.waitFor === 'final'
        ? await waitForStream(
            this.store,
            this.payments.notifier,
            stream,
            operationDecider,
            (s) => s.status === 'none',
            operationFinished,
            this.waitMs(query, operationId, 'the operation'),
            this.ends(gone),
          )
        : (await readState(this.store, stream, operationDecider)).state;
    if (state.status === 'none')
      throw new DomainError('UNKNOWN_OPERATION', `No operation ${operationId}`, { operationId });
    client.assertStore(state.storeId);
    return operationView(state);
  }

  /** The payment as it is, or once `reached` holds when the POS asked to wait. */
  private async read(
    paymentId: string,
    query: GetPaymentQuery,
    reached: (state: PaymentState) => boolean,
    gone: AbortSignal | undefined,
    what: string,
  ): Promise<PaymentState> {
    if (query.waitFor !== 'final') return (await readState(this.store, paymentStream(paymentId), paymentDecider)).state;
    return waitForPayment(
      this.store,
      this.payments.notifier,
      paymentId,
      reached,
      this.waitMs(query, paymentId, what),
      this.ends(gone),
    );
  }

  private waitMs(query: GetPaymentQuery, id: string, what: string): number {
    const timeoutSeconds = query.timeout ?? DEFAULT_WAIT_SECONDS;
    this.logger.debug({ id, timeoutSeconds }, `waiting for ${what} to be final`);
    return timeoutSeconds * 1000;
  }

  /** What ends a wait early: the caller gone, and the service stopping. */
  private ends(gone: AbortSignal | undefined): AbortSignal[] {
    return gone ? [gone, this.shutdown.signal] : [this.shutdown.signal];
  }
}

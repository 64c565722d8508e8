import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_STORE, readState, type EventStore } from '@app/event-store';
import {
  DomainError,
  existingPayment,
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
import { paymentFinal, refundFinal, waitForPayment } from './wait-for-final';

/** The default of `timeout`, in seconds, when a POS asks to wait for the outcome. */
const DEFAULT_WAIT_SECONDS = 30;

/**
 * One payment, or one refund of it, as a POS may see it: over HTTP (`GET /v1/terminal-payments/{id}`) and over
 * NATS (`payments.v1.query.payment|refund`) alike. With `waitFor: 'final'` the answer is held until the outcome
 * is known, the timeout runs out, the caller is gone (`gone`) or the service stops; it answers the state as it is.
 */
@Injectable()
export class PaymentReader {
  private readonly logger = new Logger(PaymentReader.name);

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

  /** The payment as it is, or once `reached` holds when the POS asked to wait. */
  private async read(
    paymentId: string,
    query: GetPaymentQuery,
    reached: (state: PaymentState) => boolean,
    gone: AbortSignal | undefined,
    what: string,
  ): Promise<PaymentState> {
    if (query.waitFor !== 'final') return (await readState(this.store, paymentStream(paymentId), paymentDecider)).state;
    const timeoutSeconds = query.timeout ?? DEFAULT_WAIT_SECONDS;
    this.logger.debug({ paymentId, timeoutSeconds }, `waiting for ${what} to be final`);
    return waitForPayment(
      this.store,
      this.payments.notifier,
      paymentId,
      reached,
      timeoutSeconds * 1000,
      gone ? AbortSignal.any([gone, this.shutdown.signal]) : this.shutdown.signal,
    );
  }
}

import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_STORE, readState, type EventStore, type StreamDecider } from '@app/event-store';
import {
  DomainError,
  operationDecider,
  operationFinished,
  operationStream,
  paymentDecider,
  paymentStream,
  refundOf,
  type OperationState,
  type PaymentState,
} from '@app/payment-domain';
import type { PosClient } from '../../auth/pos-client';
import { ShutdownSignal } from '../../shutdown-signal';
import { paymentView, type PaymentView } from '../payment.view';
import { visiblePayment } from '../visible-payment';
import { refundView, type RefundView } from '../refund/refund.view';
import { DEFAULT_WAIT_SECONDS, type GetPaymentQuery } from './get-payment.query';
import { PaymentNotifier } from './payment-notifier';
import { paymentFinal, refundFinal, waitForStream } from './wait-for-final';
import { operationView, type TerminalOperationView } from '../../operations/terminal-operation.view';

/**
 * One payment, one refund of it, or one terminal operation, as a POS may see it: over HTTP
 * (`GET /v1/terminal-payments/{id}`, `GET /v1/terminal-operations/{id}`) and over NATS
 * (`payments.v1.query.payment|refund|operation`) alike. With `waitFor: 'final'` the answer is held until the
 * outcome is known, the timeout runs out, the caller is gone (`gone`) or the service stops; it answers the state
 * as it is. Whether the POS may see it is checked before any wait: a key of another store learns nothing of
 * when another store's payment ends, and holds no wait on it.
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
    return paymentView(await this.visiblePayment(paymentId, query, client, gone, paymentFinal));
  }

  async refund(
    paymentId: string,
    refundId: string,
    query: GetPaymentQuery,
    client: PosClient,
    gone?: AbortSignal,
  ): Promise<RefundView> {
    const payment = await this.visiblePayment(paymentId, query, client, gone, refundFinal(refundId));
    const refund = refundOf(payment, refundId);
    if (!refund)
      throw new DomainError('UNKNOWN_REFUND', `Payment ${paymentId} has no refund ${refundId}`, { refundId });
    return refundView(payment, refund);
  }

  async operation(
    operationId: string,
    query: GetPaymentQuery,
    client: PosClient,
    gone?: AbortSignal,
  ): Promise<TerminalOperationView> {
    const state = await this.outcome(operationStream(operationId), operationDecider, query, gone, {
      seen: (operation) => visibleOperation(operation, operationId, client),
      reached: operationFinished,
    });
    return operationView(visibleOperation(state, operationId, client));
  }

  /** The payment, when it exists and the POS may see it, once `reached` holds if the POS asked to wait. */
  private async visiblePayment(
    paymentId: string,
    query: GetPaymentQuery,
    client: PosClient,
    gone: AbortSignal | undefined,
    reached: (state: PaymentState) => boolean,
  ) {
    const state = await this.outcome(paymentStream(paymentId), paymentDecider, query, gone, {
      seen: (payment) => visiblePayment(payment, paymentId, client),
      reached,
    });
    return visiblePayment(state, paymentId, client);
  }

  /**
   * The stream's state: read, shown to `seen` (which throws when the POS may not see it, or it does not exist),
   * then, when the POS asked to wait and `reached` does not hold yet, once it holds or the wait ends.
   */
  private async outcome<State>(
    stream: string,
    decider: StreamDecider<never, { type: string; data: unknown }, State>,
    query: GetPaymentQuery,
    gone: AbortSignal | undefined,
    { seen, reached }: { seen: (state: State) => void; reached: (state: State) => boolean },
  ): Promise<State> {
    const { state } = await readState(this.store, stream, decider);
    seen(state);
    if (query.waitFor !== 'final' || reached(state)) return state;
    const timeoutSeconds = query.timeout ?? DEFAULT_WAIT_SECONDS;
    this.logger.debug({ stream, timeoutSeconds }, 'waiting for the outcome');
    return waitForStream(
      this.store,
      this.payments.notifier,
      stream,
      decider,
      reached,
      timeoutSeconds * 1000,
      gone ? [gone, this.shutdown.signal] : [this.shutdown.signal],
    );
  }
}

/**
 * The operation, or `UNKNOWN_OPERATION` (404) when there is none of that id, or it is of a store the key may not use:
 * as with a payment (`visiblePayment`), the key does not learn that the id exists.
 */
function visibleOperation(
  state: OperationState,
  operationId: string,
  client: PosClient,
): Exclude<OperationState, { readonly status: 'none' }> {
  if (state.status === 'none' || !client.mayUse(state.storeId))
    throw new DomainError('UNKNOWN_OPERATION', `No operation ${operationId}`, { operationId });
  return state;
}

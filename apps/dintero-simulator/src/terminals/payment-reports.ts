import { Injectable } from '@nestjs/common';
import { DeliveryService } from '../delivery/delivery.service';
import { SimulatorClock } from '../state/clock';
import { SimulatorState, type SimSession, type SimTransaction, sessionAsRead } from '../state/simulator-state';
import { withoutInternals } from './transaction-records';

/** What Dintero tells the merchant of a payment's change: the callback and the webhooks (§4, §5). */
@Injectable()
export class PaymentReports {
  constructor(
    private readonly state: SimulatorState,
    private readonly delivery: DeliveryService,
    private readonly clock: SimulatorClock,
  ) {}

  /**
   * Callback (unless left out) and `checkout_transaction` webhook for a transaction's new status; for the terminal's
   * answer to the card (authorised, declined or failed), a `checkout_authorization` webhook too, which Dintero sends
   * with the callback's facts (§5).
   */
  report(
    session: SimSession,
    tx: SimTransaction,
    error: string | undefined,
    /** A transaction event applied (`report_event`): `event` and `event_id` on the callback's query. */
    applied?: { readonly event: string; readonly event_id?: string },
    { callback = true, authorization = false } = {},
  ): void {
    const terminalId = session.order.store.terminal_id;
    // Every change to a payment is reported: its records are marked here too (a mark twice is one record written).
    this.state.touchPayment(session, tx);
    const transaction = structuredClone(withoutInternals(tx));
    if (callback)
      this.delivery.callback(
        tx.url.callback_url,
        { ...this.callbackParams(session, tx, error), ...applied },
        terminalId,
        transaction,
        () => structuredClone(sessionAsRead(session)),
      );
    if (authorization)
      this.delivery.webhook(
        'checkout_authorization',
        {
          authorization: {
            merchant_reference: session.order.merchant_reference,
            session_id: session.id,
            transaction_id: tx.id,
            ...(error ? { error } : {}),
          },
          transaction,
        },
        terminalId,
      );
    this.delivery.webhook('checkout_transaction', { transaction }, terminalId);
  }

  /**
   * A capture, refund or void: the webhook always, the callback only if `report_event` asked for it (§4), with the
   * event applied (`event`) and its id (`event_id`), the query parameters the specification's session callback lists
   * for it. The event is the last of its kind: each caller has just added it.
   */
  reportEvent(tx: SimTransaction, event: 'CAPTURE' | 'REFUND' | 'VOID'): void {
    this.state.touchPayment(undefined, tx);
    const session = this.state.sessions.get(tx.session_id);
    if (!session) return; // the simulator was reset since (`/_control/reset`): nobody to tell

    const wanted = tx.url.callback_url ? new URL(tx.url.callback_url).searchParams.getAll('report_event') : [];
    const applied = tx.events.findLast((each) => each.event === event);
    this.report(
      session,
      tx,
      undefined,
      { event, ...(applied ? { event_id: applied.id } : {}) },
      {
        callback: wanted.includes(event),
      },
    );
  }

  /**
   * A session cancelled before any card (by the customer, or by the merchant's cancel): the callback
   * carries `error=cancelled` and no transaction, and `checkout_authorization` says the same (§3, §5).
   */
  reportCancelled(session: SimSession): void {
    this.state.touchPayment(session);
    const terminalId = session.order.store.terminal_id;
    this.delivery.callback(session.url.callback_url, this.callbackParams(session, undefined, 'cancelled'), terminalId);
    this.delivery.webhook(
      'checkout_authorization',
      {
        authorization: {
          merchant_reference: session.order.merchant_reference,
          session_id: session.id,
          error: 'cancelled',
        },
      },
      terminalId,
    );
  }

  callbackParams(
    session: SimSession,
    tx: SimTransaction | undefined,
    error: string | undefined,
  ): Record<string, string | undefined> {
    return {
      transaction_id: tx?.id,
      session_id: session.id,
      merchant_reference: session.order.merchant_reference,
      // "For when the transaction was created" (the spec's callback query), not when it is sent; without a
      // transaction, when the session was cancelled.
      time: tx?.created_at ?? session.cancelled_at ?? this.clock.stamp(),
      error,
    };
  }
}

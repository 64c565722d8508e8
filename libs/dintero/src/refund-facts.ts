import {
  isOpen,
  refundTransactionOf,
  type FactSource,
  type PaymentCommand,
  type PaymentState,
  type Refund,
} from '@app/payment-domain';
import type { DinteroTransaction } from './dintero.types';
import { receiptOf } from './terminal-receipts';
import { instant, succeeded, type TransactionEvent } from './transaction-events';

/**
 * Our refund id on a refund's event. Dintero's specification returns the `refund_reference` we sent as
 * the event's `event_reference` ("for refunds, this is `refund_reference`"); older simulator builds put
 * it in `metadata.refund_reference`, which is read too, so that their logs still settle.
 */
export function refundReferenceOf(event: TransactionEvent): string | undefined {
  return event.event_reference ?? event.metadata?.refund_reference;
}

/** What identifies one refund of ours among a transaction's events. */
export type RefundKey = Pick<Refund, 'refundId' | 'dinteroRequestId'>;

/**
 * The transaction's `REFUND` event for our refund: the one carrying our reference, or, for a refund
 * Dintero accepted with 202, the one whose `correlation_request_id` is the accepted request's id. The last
 * one when Dintero tried more than once.
 */
export function refundEventOf(tx: DinteroTransaction, refund: RefundKey): TransactionEvent | undefined {
  return [...(tx.events ?? [])]
    .reverse()
    .find((e) => e.event === 'REFUND' && isOurs(e, refund, e.correlation_request_id));
}

/**
 * The `INITIATE_REFUND` event of a refund Dintero took to do later (it answered, or would have, 202). One that
 * did not succeed is no acceptance: the refund is then settled by its `REFUND` event or by silence.
 */
export function refundInitiationOf(tx: DinteroTransaction, refund: RefundKey): TransactionEvent | undefined {
  return (tx.events ?? []).find(
    (e) => e.event === 'INITIATE_REFUND' && e.success !== false && isOurs(e, refund, e.request_id),
  );
}

/** The event carries our refund id, or (`requestId`, the request it names) the accepted request's id. */
export function isOurs(event: TransactionEvent, refund: RefundKey, requestId: string | undefined): boolean {
  return (
    refundReferenceOf(event) === refund.refundId ||
    (refund.dinteroRequestId !== undefined && requestId === refund.dinteroRequestId)
  );
}

type RecordRefundOutcome = Extract<PaymentCommand, { type: 'RecordRefundOutcome' }>;

/**
 * The outcome of one refund of ours, as the transaction's events say, with the time Dintero gives: its
 * `REFUND` event settles it; an `INITIATE_REFUND` event alone says Dintero accepted it and is doing it at
 * the terminal; nothing when the transaction has neither.
 */
export function refundOutcome(
  tx: DinteroTransaction,
  refund: RefundKey,
  source: FactSource,
  at: string,
): RecordRefundOutcome | undefined {
  const { refundId } = refund;
  const event = refundEventOf(tx, refund);
  if (!event) {
    const initiation = refundInitiationOf(tx, refund);
    if (!initiation) return undefined;
    const requestId = initiation.request_id ?? refund.dinteroRequestId;
    const dinteroAt = instant(initiation.created_at);
    return {
      type: 'RecordRefundOutcome',
      data: {
        refundId,
        outcome: 'accepted',
        ...(requestId ? { requestId } : {}),
        source,
        at,
        ...(dinteroAt ? { dinteroAt } : {}),
      },
    };
  }
  const dinteroAt = instant(event.created_at);
  const receipt = receiptOf(event);
  return {
    type: 'RecordRefundOutcome',
    data: {
      refundId,
      outcome: succeeded(event) ? 'succeeded' : 'failed',
      ...(succeeded(event) ? {} : { reason: event.error?.code ?? event.error?.message ?? 'refused by Dintero' }),
      ...(receipt ? { receipt } : {}),
      source,
      at,
      ...(dinteroAt ? { dinteroAt } : {}),
    },
  };
}

/**
 * The outcomes the transaction's events settle or advance, of this payment's refunds not known to have succeeded:
 * the open ones, and the failed ones, which Dintero may show made after all (failed for its silence, or a first
 * try at the terminal refused and a second made).
 */
export function refundOutcomes(
  tx: DinteroTransaction,
  state: PaymentState,
  source: FactSource,
  at: string,
): RecordRefundOutcome[] {
  if (state.status === 'none' || isOpen(state)) return [];
  // Each refund is settled by the transaction it gives back from: the sale's, or one captured late.
  return Object.values(state.refunds)
    .filter((refund) => refund.status !== 'succeeded' && refundTransactionOf(state, refund) === tx.id)
    .flatMap((refund) => {
      const outcome = refundOutcome(tx, refund, source, at);
      // An accepted refund is advanced by its result; its initiation read again adds only a request id it lacked.
      const again =
        outcome?.data.outcome === 'accepted' &&
        (refund.status === 'accepted' || refund.noTrace === true) &&
        (refund.dinteroRequestId !== undefined || outcome.data.requestId === undefined);
      return outcome && !again ? [outcome] : [];
    });
}

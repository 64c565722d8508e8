import {
  isOpen,
  lateCapturedOf,
  lateRefundedElsewhereOf,
  refundFollowed,
  refundTransactionOf,
  type FactSource,
  type PaymentCommand,
  type PaymentState,
} from '@app/payment-domain';
import type { DinteroTransaction } from './dintero.types';
import { isOurs, refundInitiationOf, refundReferenceOf } from './refund-facts';
import { instant, succeeded, type TransactionEvent } from './transaction-events';

type RecordExternalRefunds = Extract<PaymentCommand, { type: 'RecordExternalRefunds' }>;
type ExternalRefund = RecordExternalRefunds['data']['refunds'][number];

/**
 * The refunds Dintero shows made on the payment's own transaction, or on one it captured late, by no refund of this
 * payment's, one by one in Dintero's order, when they come to more than the log has of that transaction
 * (`RecordExternalRefunds`): a refund made in Dintero's Backoffice, say. Each is recorded on its own, dated by its own event, so that two made on two days count on each. A successful `REFUND`
 * event is ours when it carries our reference, or the request id of one of ours Dintero accepted. Of the others,
 * what our refunds that no event names yet may still turn out to be is left to them (sent and not settled, taken by
 * Dintero after they were failed for its silence, or made without an event of ours), so that no money is counted
 * twice: a refund of ours Dintero shows without our reference is never taken for another's, at the cost of one made
 * elsewhere waiting until ours are settled. Nothing when an event of another refund gives no amount.
 */
export function externalRefunds(
  tx: DinteroTransaction,
  state: PaymentState,
  source: FactSource,
  at: string,
): RecordExternalRefunds | undefined {
  if (state.status === 'none' || isOpen(state)) return undefined;
  const sale = state.status === 'captured' && tx.id === state.transactionId;
  if (!sale && lateCapturedOf(state, tx.id) === 0) return undefined;
  // Ours of this transaction only: a refund of a late capture gives back another, and none of the sale's money.
  const refunds = Object.values(state.refunds).filter((refund) => refundTransactionOf(state, refund) === tx.id);
  const requestIds = new Set(
    refunds.flatMap((refund) => {
      const requestId = refund.dinteroRequestId ?? refundInitiationOf(tx, refund)?.request_id;
      return requestId === undefined ? [] : [requestId];
    }),
  );
  const ofOurs = (event: TransactionEvent) =>
    refunds.some((refund) => refundReferenceOf(event) === refund.refundId) ||
    (event.correlation_request_id !== undefined && requestIds.has(event.correlation_request_id));
  const made = (tx.events ?? []).filter((event) => event.event === 'REFUND' && succeeded(event));
  const others = made.filter((event) => !ofOurs(event));
  if (others.length === 0 || others.some((event) => !Number.isSafeInteger(event.amount))) return undefined;
  // Ours that may still be made (unsettled, or taken by Dintero after they were failed for its silence), or that were
  // made and no event names: a refund failed and never taken (Dintero's no, or its silence) is none of them.
  const unnamed = refunds.filter(
    (refund) =>
      (refundFollowed(refund) || refund.status === 'succeeded') &&
      !made.some((event) => isOurs(event, refund, event.correlation_request_id)),
  );
  const heldBack = unnamed.reduce((sum, refund) => sum + refund.amount, 0);
  const total = others.reduce((sum, event) => sum + (event.amount ?? 0), 0) - heldBack;
  const recorded =
    state.status === 'captured' && sale ? (state.refundedElsewhere ?? 0) : lateRefundedElsewhereOf(state, tx.id);
  if (total <= recorded) return undefined;
  // One by one in Dintero's order, each on its own day; what is held back is taken from the newest.
  const inOrder = others
    .map((event) => ({ amount: event.amount ?? 0, dinteroAt: instant(event.created_at) }))
    .filter(({ amount }) => amount > 0)
    .sort((a, b) => (a.dinteroAt ?? '\uffff').localeCompare(b.dinteroAt ?? '\uffff'));
  const parts: ExternalRefund[] = [];
  let before = 0;
  for (const { amount, dinteroAt } of inOrder) {
    const through = Math.min(before + amount, total);
    if (through > recorded)
      parts.push({ before, refundedElsewhere: through, ...(dinteroAt === undefined ? {} : { dinteroAt }) });
    if (through >= total) break;
    before = through;
  }
  return { type: 'RecordExternalRefunds', data: { transactionId: tx.id, refunds: parts, source, at } };
}

import type { DinteroTransaction } from '@app/dintero';
import {
  isDinteroTransactionStatus,
  type DinteroTransactionFact,
  type PaymentCommand,
  type PaymentState,
} from '@app/payment-domain';

/** Dintero reported a status this engine does not know: nothing can be recorded until it is taught it. */
export class UnrecognisedTransactionStatusError extends Error {
  constructor(readonly status: string) {
    super(`Dintero transaction status ${JSON.stringify(status)} is not one this engine knows`);
  }
}

/**
 * What a Dintero transaction says about the payment, as the domain's fact. The card is kept as brand,
 * type, entry method and Dintero's masked number only; the reason of a refusal is the last failed event's.
 */
export function transactionFact(tx: DinteroTransaction): DinteroTransactionFact {
  if (!isDinteroTransactionStatus(tx.status)) throw new UnrecognisedTransactionStatusError(tx.status);
  const failed = [...(tx.events ?? [])].reverse().find((event) => !event.success && event.error);
  const card = tx.card && {
    ...(tx.card.brand ? { brand: tx.card.brand } : {}),
    ...(tx.card.masked_pan ? { maskedPan: tx.card.masked_pan } : {}),
    ...(tx.card.entry_method ? { entryMethod: tx.card.entry_method } : {}),
    ...(tx.card.type ? { type: tx.card.type } : {}),
  };
  const reason = failed?.error?.code ?? failed?.error?.message;
  return {
    transactionId: tx.id,
    status: tx.status,
    amount: tx.amount,
    currency: tx.currency,
    ...(card && Object.keys(card).length > 0 ? { card } : {}),
    ...(reason ? { reason } : {}),
  };
}

/**
 * The outcomes of our refunds that the transaction's events settle: a `REFUND` event carries our refund id
 * as `refund_reference` (the command service sends it). Only refunds still pending or unknown are named.
 */
export function refundOutcomes(
  tx: DinteroTransaction,
  state: PaymentState,
  source: 'callback' | 'webhook' | 'reconciler',
  at: string,
): Extract<PaymentCommand, { type: 'RecordRefundOutcome' }>[] {
  if (state.status !== 'captured') return [];
  return (tx.events ?? []).flatMap((event) => {
    const refundId = event.metadata?.refund_reference;
    const refund = refundId === undefined ? undefined : state.refunds[refundId];
    if (event.event !== 'REFUND' || !refund || refund.status === 'succeeded' || refund.status === 'failed') return [];
    return [
      {
        type: 'RecordRefundOutcome' as const,
        data: {
          refundId: refund.refundId,
          outcome: event.success ? ('succeeded' as const) : ('failed' as const),
          ...(event.success ? {} : { reason: event.error?.code ?? 'refused by Dintero' }),
          source,
          at,
        },
      },
    ];
  });
}

import type { DinteroTransactionFact, PaymentEvent, PaymentRequestedData } from '@app/payment-domain';

export const requested: PaymentRequestedData = {
  paymentId: 'pay-1',
  storeId: 'oslo-center',
  terminalId: 'T-1',
  payoutDestinationId: 'seller-1',
  amount: 39_900,
  currency: 'NOK',
  merchantReference: 'POS-123',
  posClientId: 'till-3',
  claimId: 'claim-1',
  requestedAt: '2026-11-23T10:00:00.000Z',
  expiresAt: '2026-11-23T10:05:00.000Z',
};

export const at = (second: number): string => new Date(Date.UTC(2026, 10, 23, 10, 0, second)).toISOString();

export const paymentRequested: PaymentEvent = { type: 'PaymentRequested', data: requested };
export const sessionCreated: Extract<PaymentEvent, { type: 'SessionCreated' }> = {
  type: 'SessionCreated',
  data: { sessionId: 'T12345678.sess', expiresAt: requested.expiresAt, at: at(1) },
};
export const awaitingCard = [paymentRequested, sessionCreated];

export const transaction = (
  status: DinteroTransactionFact['status'],
  change: Partial<DinteroTransactionFact> = {},
): DinteroTransactionFact => ({
  transactionId: 'T12345678.tx1',
  status,
  amount: 39_900,
  currency: 'NOK',
  ...change,
});

export const captured: PaymentEvent = {
  type: 'PaymentCaptured',
  data: { transactionId: 'T12345678.tx1', amount: 39_900, currency: 'NOK', source: 'callback', at: at(20) },
};

/**
 * A refund of the sale asked for by the till (`till-3`) on terminal `T-2`, claimed as `claim-{refundId}`, at second 40;
 * `change` for another currency, or a transaction captured after the sale.
 */
export const refundRequested = (
  refundId: string,
  amount: number,
  change: Partial<Extract<PaymentEvent, { type: 'RefundRequested' }>['data']> = {},
): Extract<PaymentEvent, { type: 'RefundRequested' }> => ({
  type: 'RefundRequested',
  data: {
    refundId,
    amount,
    currency: 'NOK',
    terminalId: 'T-2',
    claimId: `claim-${refundId}`,
    by: 'till-3',
    at: at(40),
    ...change,
  },
});

import type { OpenPayment } from '@app/payment-domain';
import type { FactContext } from '../facts/payment-facts.service';

/** What the reconciler records as, and the correlation id of its log lines. */
export const CONTEXT: FactContext = { source: 'reconciler', correlationId: 'reconciler' };

/** What a log line about a payment names: the reconciler's correlation id, the payment, its store and terminal. */
export const logIds = ({
  paymentId,
  storeId,
  terminalId,
}: Pick<OpenPayment, 'paymentId' | 'storeId' | 'terminalId'>) => ({
  correlationId: CONTEXT.correlationId,
  paymentId,
  storeId,
  terminalId,
});

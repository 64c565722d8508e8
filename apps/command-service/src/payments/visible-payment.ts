import { existingPayment, initialPaymentState, type PaymentState } from '@app/payment-domain';
import type { PosClient } from '../auth/pos-client';

/**
 * The payment, when it exists and the key may use its store; `PAYMENT_NOT_FOUND` otherwise, the same answer for
 * another store's payment as for an id never issued. A 403 there would tell a key of one store that the id is a
 * payment of another. (403 stays for a store or terminal the key names itself: it learns nothing it did not send.)
 */
export function visiblePayment(state: PaymentState, paymentId: string, client: PosClient) {
  const visible = state.status !== 'none' && client.mayUse(state.storeId);
  return existingPayment(visible ? state : initialPaymentState, paymentId);
}

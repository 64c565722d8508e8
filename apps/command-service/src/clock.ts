import { DomainError, type PaymentState } from '@app/payment-domain';

/** The rim's clock: the domain receives time inside commands, and this is where it is read. */
export function now(): string {
  return new Date().toISOString();
}

/** A payment that exists, or PAYMENT_NOT_FOUND. */
export function existingPayment(state: PaymentState): Exclude<PaymentState, { status: 'none' }> {
  if (state.status === 'none') throw new DomainError('PAYMENT_NOT_FOUND', 'No such payment');
  return state;
}

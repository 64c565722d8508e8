import { DomainError } from '../shared/domain-error';
import type { PaymentCommand } from './payment.commands';
import type { PaymentEvent } from './payment.events';
import { existingPayment, isOpen } from './payment.queries';
import type { PaymentState } from './payment.state';

/* The POS asks to stop a payment: a cancel while it is open, a void of one authorised and not captured. */

type Of<Type extends PaymentCommand['type']> = Extract<PaymentCommand, { type: Type }>['data'];

/** PAYMENT_FINISHED's words for a cancel that came after the capture, and what the POS does instead. */
export const capturedBeforeCancel = (paymentId: string): string =>
  `Payment ${paymentId} was captured before it could be cancelled: refund it to give the money back`;

export function requestCancellation(data: Of<'RequestCancellation'>, state: PaymentState): PaymentEvent[] {
  const payment = existingPayment(state);
  if (payment.status === 'captured') {
    throw new DomainError('PAYMENT_FINISHED', capturedBeforeCancel(payment.paymentId), {
      paymentId: payment.paymentId,
      paymentStatus: payment.status,
    });
  }
  // Cancelling a payment that already ended otherwise changes nothing: the answer is its final state.
  if (!isOpen(payment) || payment.cancellationRequested) return [];
  return [{ type: 'CancellationRequested', data }];
}

export function requestVoid(data: Of<'RequestVoid'>, state: PaymentState): PaymentEvent[] {
  const payment = existingPayment(state);
  if (payment.status !== 'authorized') {
    throw new DomainError(
      'NOT_VOIDABLE',
      `Only an authorised, uncaptured payment can be voided; ${payment.paymentId} is ${payment.status}`,
      {
        paymentStatus: payment.status,
      },
    );
  }
  return payment.voidRequested ? [] : [{ type: 'VoidRequested', data }];
}

import { HttpException } from '@nestjs/common';
import { DomainError } from '@app/payment-domain';

/**
 * Whether recording a fact failed because the log has no such payment (`PAYMENT_NOT_FOUND`): one of this engine's
 * behind a read that lags or lost in a restore, or another system's. The one test of it for every path that records
 * what Dintero says of a payment (callbacks, webhooks, the refund sweep), each deciding what it means there.
 */
export function isPaymentNotInLog(error: unknown): boolean {
  return error instanceof DomainError && error.code === 'PAYMENT_NOT_FOUND';
}

/**
 * A delivery about a payment this engine made that its log does not have: 503, so that Dintero delivers it again
 * (it gives a callback up for good on a 4xx). The engine writes a payment before it asks Dintero for its session, so
 * missing, the payment is behind a read that lags (KurrentDB's followers) and there on a later try, or the log was
 * restored without it, and Dintero's tries end.
 */
export class PaymentNotInLogError extends HttpException {
  constructor(paymentId: string) {
    super(
      {
        code: 'PAYMENT_NOT_IN_LOG',
        detail: `Payment ${paymentId} is not in this engine's log (yet); nothing recorded: deliver it again`,
        paymentId,
      },
      503,
    );
  }
}

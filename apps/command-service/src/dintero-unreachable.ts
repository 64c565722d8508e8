import { HttpException } from '@nestjs/common';
import { DinteroUnavailableError, type DinteroClient } from '@app/dintero';
import type { PaymentView } from './payments/payment.view';

/** Dintero could not be asked: nothing was recorded here, and the same request again finishes the work. */
export class DinteroUnreachable extends HttpException {
  constructor(what: string, reason: string) {
    super(
      {
        code: 'DINTERO_UNAVAILABLE',
        detail: `Dintero did not answer while ${what}: ${reason}. Nothing was recorded; send the same request again`,
        retryAfterSeconds: 5,
      },
      503,
    );
  }
}

/**
 * Dintero could not be reached when the payment's session was to be created: the call never left, so no terminal
 * prompts, and the payment ended (`failed`, reason `DINTERO_UNAVAILABLE`) with the terminal free again. Nothing is
 * pending: the sale is started again as a new payment, with a new `Idempotency-Key`; the same key gets this again.
 * So a code of its own (not `503 DINTERO_UNAVAILABLE`, whose same request again does the work) and no `Retry-After`.
 */
export class SessionNotSent extends HttpException {
  constructor(payment: PaymentView, reason: string) {
    super(
      {
        code: 'DINTERO_UNREACHABLE',
        detail: `Dintero could not be reached, so the payment's session was never sent: ${reason}. The payment failed and the terminal is free; start the sale again with a new Idempotency-Key`,
        payment,
      },
      502,
    );
  }
}

/**
 * A token to call Dintero with, got before anything is written. Without one, no call can be sent: the request is
 * refused (503, nothing recorded, the same request again does it) rather than recorded as sent with its outcome
 * unknown, which would hold the terminal until the reconciler had found no trace of it. A token Dintero refuses is
 * left to the call itself, which records that refusal. The token is cached: this asks Dintero only when it is due.
 */
export async function tokenForDintero(dintero: DinteroClient, what: string): Promise<void> {
  try {
    await dintero.accessToken();
  } catch (error) {
    if (error instanceof DinteroUnavailableError) throw new DinteroUnreachable(what, error.message);
  }
}

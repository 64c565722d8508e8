/**
 * What a caller must tell apart (issue: "Dintero said no" from "outcome unknown"):
 * - `DinteroRejectedError`: a 4xx with Dintero's error code. Nothing happened; do not retry as is.
 * - `DinteroUnavailableError`: no answer, a timeout or a 5xx after the retries that were safe. The
 *   request may or may not have taken effect: record that the outcome is unknown and reconcile. Unless
 *   `notSent`: no connection to Dintero could be made (refused, no such host, unreachable), so the request
 *   never left and took no effect.
 */
export class DinteroRejectedError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: readonly unknown[] = [],
    /** Dintero's `Retry-After`, when it said when to try again (a `409` on a busy terminal). */
    readonly retryAfterMs?: number,
  ) {
    super(`Dintero refused (${status} ${code}): ${message}`);
    this.name = 'DinteroRejectedError';
  }
}

export class DinteroUnavailableError extends Error {
  /** The request never reached Dintero: no connection could be made, or it was never tried. It took no effect. */
  readonly notSent: boolean;

  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown; notSent?: boolean },
  ) {
    super(message, options);
    this.name = 'DinteroUnavailableError';
    this.notSent = options?.notSent === true;
  }
}

/**
 * What a caller must tell apart (issue: "Dintero said no" from "outcome unknown"):
 * - `DinteroRejectedError`: a 4xx with Dintero's error code. Nothing happened; do not retry as is.
 * - `DinteroUnavailableError`: no answer, a timeout or a 5xx after the retries that were safe. The
 *   request may or may not have taken effect: record that the outcome is unknown and reconcile.
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
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DinteroUnavailableError';
  }
}

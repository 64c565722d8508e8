import { HttpException } from '@nestjs/common';

/** The deliveries of Dintero's whose handling is bounded, and the setting that bounds each. */
const DEADLINE_SETTING = {
  webhook: 'WEBHOOK_DEADLINE_MS',
  callback: 'CALLBACK_DEADLINE_MS',
} as const;

export type BoundedDelivery = keyof typeof DEADLINE_SETTING;

/**
 * A delivery not handled within its deadline (`WEBHOOK_DEADLINE_MS`, `CALLBACK_DEADLINE_MS`): 503, so that Dintero
 * delivers it again (`WEBHOOK_DEADLINE_EXCEEDED`, `CALLBACK_DEADLINE_EXCEEDED`).
 */
export class DeliveryDeadlineError extends HttpException {
  constructor(delivery: BoundedDelivery, deadlineMs: number) {
    super(
      {
        code: `${delivery.toUpperCase()}_DEADLINE_EXCEEDED`,
        detail: `Not handled within ${deadlineMs} ms (${DEADLINE_SETTING[delivery]}): Dintero or the log did not answer in time; deliver it again`,
      },
      503,
    );
  }
}

/** What a delivery's work is handed: the moment its answer is due, and a signal aborted at that moment. */
export interface Deadline {
  readonly at: number;
  /**
   * Aborted with the `DeliveryDeadlineError` once the answer has gone: a Dintero call under way is cut off, and no
   * write to the log starts after it. A write already handed to the log lands; the retry finds it and records
   * nothing twice.
   */
  readonly signal: AbortSignal;
}

/**
 * `work`'s answer, or `DeliveryDeadlineError` once `deadlineMs` has passed, whichever comes first. The work is handed
 * the moment its answer is due, so that its own waits (for a lagging log) end before it, and a signal that stops
 * what it has under way once the answer is the error.
 */
export async function withinDeadline<T>(
  delivery: BoundedDelivery,
  deadlineMs: number,
  work: (deadline: Deadline) => Promise<T>,
): Promise<T> {
  const stop = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new DeliveryDeadlineError(delivery, deadlineMs);
      // The answer first: the abort's listeners run at once, and the work's failure must not be taken for it.
      reject(error);
      stop.abort(error);
    }, deadlineMs);
  });
  try {
    // `race` subscribes to both: the work's failure after the deadline is not an unhandled rejection.
    return await Promise.race([work({ at: Date.now() + deadlineMs, signal: stop.signal }), late]);
  } finally {
    clearTimeout(timer);
  }
}

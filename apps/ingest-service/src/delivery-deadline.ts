import { HttpException } from '@nestjs/common';

/** The deliveries of Dintero's whose handling is bounded, and the setting that bounds each. */
const DEADLINE_SETTING = {
  webhook: 'WEBHOOK_DEADLINE_MS',
  callback: 'CALLBACK_DEADLINE_MS',
} as const;

export type BoundedDelivery = keyof typeof DEADLINE_SETTING;

/**
 * A delivery not handled within its deadline (`WEBHOOK_DEADLINE_MS`, `CALLBACK_DEADLINE_MS`): 503, so that Dintero
 * delivers it again (`WEBHOOK_DEADLINE_EXCEEDED`, `CALLBACK_DEADLINE_EXCEEDED`). What was under way (a fetch from
 * Dintero, an append) goes on: the Dintero client's own timeouts end it, and a fact it records after all is recorded
 * once, whichever delivery brings it.
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

/**
 * `work`'s answer, or `DeliveryDeadlineError` once `deadlineMs` has passed, whichever comes first. The work is handed
 * the moment its answer is due, so that its own waits (for a lagging log) end before it.
 */
export async function withinDeadline<T>(
  delivery: BoundedDelivery,
  deadlineMs: number,
  work: (deadline: number) => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeliveryDeadlineError(delivery, deadlineMs)), deadlineMs);
  });
  try {
    // `race` subscribes to both: the work's failure after the deadline is not an unhandled rejection.
    return await Promise.race([work(Date.now() + deadlineMs), late]);
  } finally {
    clearTimeout(timer);
  }
}

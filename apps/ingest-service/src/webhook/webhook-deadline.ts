import { HttpException } from '@nestjs/common';

/**
 * A webhook not handled within `WEBHOOK_DEADLINE_MS`: 503, so that Dintero delivers it again. What was under way (a
 * fetch of the transaction, an append) goes on: the Dintero client's own timeouts end it, and a fact it records after
 * all is recorded once, whichever delivery brings it.
 */
export class WebhookDeadlineError extends HttpException {
  constructor(deadlineMs: number) {
    super(
      {
        code: 'WEBHOOK_DEADLINE_EXCEEDED',
        detail: `Not handled within ${deadlineMs} ms (WEBHOOK_DEADLINE_MS): Dintero or the log did not answer in time; deliver it again`,
      },
      503,
    );
  }
}

/**
 * `work`'s answer, or `WebhookDeadlineError` once `deadlineMs` has passed, whichever comes first. The work is handed
 * the moment its answer is due, so that its own waits (for a lagging log) end before it.
 */
export async function withinDeadline<T>(deadlineMs: number, work: (deadline: number) => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WebhookDeadlineError(deadlineMs)), deadlineMs);
  });
  try {
    // `race` subscribes to both: the work's failure after the deadline is not an unhandled rejection.
    return await Promise.race([work(Date.now() + deadlineMs), late]);
  } finally {
    clearTimeout(timer);
  }
}

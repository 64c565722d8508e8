import type { EventSubscription, RecordedEvent } from '@app/event-store';

/** Takes `count` events from a subscription, failing after `timeoutMs` rather than hanging. */
export async function take(
  subscription: EventSubscription,
  count: number,
  timeoutMs = 10_000,
): Promise<RecordedEvent[]> {
  const taken: RecordedEvent[] = [];
  if (count === 0) return taken;
  const iterator = subscription[Symbol.asyncIterator]();
  const deadline = Date.now() + timeoutMs;
  while (taken.length < count) {
    const remaining = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(remaining, 0));
    });
    const next = await Promise.race([iterator.next(), timeout]);
    clearTimeout(timer);
    if (next === 'timeout') throw new Error(`Timed out after ${timeoutMs} ms with ${taken.length} of ${count} events`);
    if (next.done) throw new Error(`Subscription ended after ${taken.length} of ${count} events`);
    taken.push(next.value);
  }
  return taken;
}

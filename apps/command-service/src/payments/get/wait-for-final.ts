import { readState, type EventStore } from '@app/event-store';
import { isOpen, paymentDecider, paymentStream, type PaymentEvent, type PaymentState } from '@app/payment-domain';

/**
 * The payment's state once it is final, or as it is when `timeoutMs` runs out. It follows the payment's
 * own stream live from the position last read, so it answers as soon as the final fact is recorded.
 */
export async function waitForFinal(
  store: EventStore,
  paymentId: string,
  timeoutMs: number,
  abort?: AbortSignal,
): Promise<PaymentState> {
  const stream = paymentStream(paymentId);
  const read = await readState(store, stream, paymentDecider);
  let state = read.state;
  if (state.status === 'none' || !isOpen(state)) return state;
  // Payment ids are UUIDs of one length, so this prefix is this stream and no other.
  const subscription = store.subscribeToAll({
    ...(read.position === undefined ? {} : { after: read.position }),
    streamPrefixes: [stream],
  });
  let timer: NodeJS.Timeout | undefined;
  // The timeout, or sooner when the caller has gone or the service is stopping: then the state as it is.
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    abort?.addEventListener('abort', () => resolve(), { once: true });
    if (abort?.aborted) resolve();
  });
  const followed = (async () => {
    for await (const event of subscription) {
      state = paymentDecider.evolve(state, { type: event.type, data: event.data } as PaymentEvent);
      if (!isOpen(state)) return;
    }
  })();
  try {
    await Promise.race([followed, timeout]);
  } finally {
    clearTimeout(timer);
    await subscription.close();
  }
  return state;
}

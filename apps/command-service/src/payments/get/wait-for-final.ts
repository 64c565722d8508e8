import { readState, type EventStore, type StreamDecider, type StreamNotifier } from '@app/event-store';
import { isOpen, ownEntry, paymentDecider, paymentStream, refundSettled, type PaymentState } from '@app/payment-domain';

/**
 * The payment's state once `reached` holds, or as it is when `timeoutMs` runs out or `abort` fires (the POS
 * hung up, the service is stopping). It waits on the process's one notifier rather than a subscription of
 * its own, and reads only the stream's new events each time it is woken (`readState` keeps the folded state).
 */
export function waitForPayment(
  store: EventStore,
  notifier: StreamNotifier,
  paymentId: string,
  reached: (state: PaymentState) => boolean,
  timeoutMs: number,
  abort?: AbortSignal,
): Promise<PaymentState> {
  const none = (state: PaymentState) => state.status === 'none';
  return waitForStream(store, notifier, paymentStream(paymentId), paymentDecider, none, reached, timeoutMs, abort);
}

/** A stream's state once `reached` holds (or it does not exist), or as it is when the wait ends. */
export async function waitForStream<State>(
  store: EventStore,
  notifier: StreamNotifier,
  stream: string,
  decider: StreamDecider<never, { type: string; data: unknown }, State>,
  none: (state: State) => boolean,
  reached: (state: State) => boolean,
  timeoutMs: number,
  abort?: AbortSignal,
): Promise<State> {
  // A timer of our own, not AbortSignal.timeout(): inside AbortSignal.any nothing holds that signal, and once
  // collected it never fires (seen on Node 20: the wait outlived its timeout after a garbage collection).
  const done = new AbortController();
  const timer = setTimeout(() => done.abort(), timeoutMs);
  const ended = () => done.abort();
  abort?.addEventListener('abort', ended, { once: true });
  if (abort?.aborted) done.abort();
  try {
    for (;;) {
      // Registered before the read, so that an event recorded between the two still wakes this wait.
      const changed = notifier.next(stream, done.signal);
      const { state } = await readState(store, stream, decider);
      // A stopped notifier wakes every waiter at once: looping on it would never give the event loop a turn.
      if (none(state) || reached(state) || done.signal.aborted || notifier.stopped) return state;
      await changed;
    }
  } finally {
    clearTimeout(timer);
    abort?.removeEventListener('abort', ended);
    done.abort(); // the last registration, if any, leaves the notifier
  }
}

/** Until the payment is final. */
export const paymentFinal = (state: PaymentState): boolean => !isOpen(state);

/** Until the refund's outcome is known (or the payment has no such refund: nothing to wait for). */
export const refundFinal =
  (refundId: string) =>
  (state: PaymentState): boolean => {
    const refund = state.status === 'captured' ? ownEntry(state.refunds, refundId) : undefined;
    return refund === undefined || refundSettled(refund);
  };

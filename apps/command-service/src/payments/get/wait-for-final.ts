import { readState, type EventStore, type StreamDecider, type StreamNotifier } from '@app/event-store';
import { isOpen, refundFollowed, refundOf, type PaymentState } from '@app/payment-domain';

/**
 * A stream's state once `reached` holds, or as it is when `timeoutMs` runs out or one of `ends` fires (the POS hung
 * up, the service is stopping). It waits on the process's one notifier rather than a subscription of its own, and
 * reads only the stream's new events each time it is woken (`readState` keeps the folded state).
 */
export async function waitForStream<State>(
  store: EventStore,
  notifier: StreamNotifier,
  stream: string,
  decider: StreamDecider<never, { type: string; data: unknown }, State>,
  reached: (state: State) => boolean,
  timeoutMs: number,
  ends: readonly AbortSignal[] = [],
): Promise<State> {
  // A timer and listeners of our own, not AbortSignal.timeout() or AbortSignal.any(). Inside AbortSignal.any nothing
  // holds a timeout's signal, and once collected it never fires (seen on Node 20: the wait outlived its timeout after
  // a garbage collection). And Node 20's AbortSignal.any leaves an entry on a long-lived source (the service's
  // shutdown signal) for every signal made from it: 25 MB after 300,000 waits, a script outside the repository.
  const done = new AbortController();
  const timer = setTimeout(() => done.abort(), timeoutMs);
  const ended = () => done.abort();
  for (const end of ends) {
    end.addEventListener('abort', ended, { once: true });
    if (end.aborted) done.abort();
  }
  try {
    for (;;) {
      // Registered before the read, so that an event recorded between the two still wakes this wait.
      const changed = notifier.next(stream, done.signal);
      const { state } = await readState(store, stream, decider);
      // A stopped notifier wakes every waiter at once: looping on it would never give the event loop a turn.
      if (reached(state) || done.signal.aborted || notifier.stopped) return state;
      await changed;
    }
  } finally {
    clearTimeout(timer);
    for (const end of ends) end.removeEventListener('abort', ended);
    done.abort(); // the last registration, if any, leaves the notifier
  }
}

/** Until the payment is final. */
export const paymentFinal = (state: PaymentState): boolean => !isOpen(state);

/**
 * Until no outcome of the refund is awaited from Dintero (or the payment has no such refund: nothing to wait for): as
 * its view's `final` says, so a refund failed for Dintero's silence that Dintero then took is waited for too.
 */
export const refundFinal =
  (refundId: string) =>
  (state: PaymentState): boolean => {
    const refund = refundOf(state, refundId);
    return refund === undefined || !refundFollowed(refund);
  };

import { setImmediate as turn } from 'node:timers/promises';
import type { EventSubscription, ReadAllOptions, RecordedEvent, SubscribeOptions } from './event-store.port';

const PAGE_SIZE = 1_000;

/**
 * A page of a subscription: the events read, and, when the page is not full, a position up to which every event
 * was considered (`through`). A filtered subscription moves on to it even when none matched, so that its next
 * read does not go over the same events of other streams again.
 */
export interface CatchUpPage {
  readonly events: readonly RecordedEvent[];
  readonly through?: bigint;
}

export interface CatchUpSource {
  readAll(options: ReadAllOptions): Promise<CatchUpPage>;
  /** A number that changes whenever the log may have grown. */
  changeVersion(): number;
  waitForChange(seen: number, signal: AbortSignal): Promise<void>;
  /** Whether the log was closed: the subscription then ends, rather than waiting for a change that cannot come. */
  closed?(): boolean;
}

/**
 * Catch-up and live are one loop: read a page after the last position delivered; when a page comes
 * back short, wait for the log to change. Resuming from a checkpoint therefore neither misses nor
 * repeats an event, whether the event was written before or after the subscription started.
 */
export function catchUpSubscription(source: CatchUpSource, options: SubscribeOptions = {}): EventSubscription {
  const stop = new AbortController();
  const streamPrefixes = options.streamPrefixes;

  async function* events(): AsyncGenerator<RecordedEvent> {
    let after = options.after ?? 0n;
    while (!stop.signal.aborted) {
      const seen = source.changeVersion();
      const page = await source.readAll({ after, limit: PAGE_SIZE, ...(streamPrefixes ? { streamPrefixes } : {}) });
      for (const event of page.events) {
        if (stop.signal.aborted) return;
        yield event;
        after = event.position;
      }
      if (page.through !== undefined && page.through > after) after = page.through;
      if (source.closed?.()) return;
      if (page.events.length < PAGE_SIZE) await source.waitForChange(seen, stop.signal);
      // Catching up on a log read synchronously (the embedded one), with a consumer that does no I/O, awaits only
      // settled promises: a turn of the event loop after each full page lets timers (leases) and sockets run.
      else await turn();
    }
  }

  const iterator = events();
  return {
    [Symbol.asyncIterator]: () => iterator,
    close: async () => {
      stop.abort();
      await iterator.return(undefined);
    },
  };
}

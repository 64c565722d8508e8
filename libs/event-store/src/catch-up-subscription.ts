import type { EventSubscription, ReadAllOptions, RecordedEvent, SubscribeOptions } from './event-store.port';

const PAGE_SIZE = 1_000;

export interface CatchUpSource {
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;
  /** A number that changes whenever the log may have grown. */
  changeVersion(): number;
  waitForChange(seen: number, signal: AbortSignal): Promise<void>;
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
      for (const event of page) {
        if (stop.signal.aborted) return;
        yield event;
        after = event.position;
      }
      if (page.length < PAGE_SIZE) await source.waitForChange(seen, stop.signal);
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

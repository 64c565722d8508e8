import type { ReadAllOptions } from '@app/event-store';
import { catchUpSubscription, type CatchUpPage } from '../src/catch-up-subscription';
import { recordedAt } from './fixtures/recorded-event';

const event = recordedAt;

describe('a catch-up subscription', () => {
  it('moves past the events of other streams that a page went through, and reads on from there', async () => {
    const reads: bigint[] = [];
    // The log: payments 1–50, a store event at 51, payments 52–90, then a store event at 91.
    const pages: CatchUpPage[] = [
      { events: [event(51, 'store-s')], through: 90n },
      { events: [], through: 90n },
      { events: [event(91, 'store-s')], through: 91n },
    ];
    let version = 0;
    const subscription = catchUpSubscription(
      {
        readAll: async ({ after }: ReadAllOptions) => {
          reads.push(after ?? 0n);
          return pages.shift() ?? { events: [] };
        },
        changeVersion: () => version,
        // The log changes at once, every time: the loop reads again straight away.
        waitForChange: async () => {
          version += 1;
        },
      },
      { streamPrefixes: ['store-'] },
    );
    const seen: bigint[] = [];
    for await (const { position } of subscription) {
      seen.push(position);
      if (seen.length === 2) break;
    }
    await subscription.close();
    expect(seen).toEqual([51n, 91n]);
    // The first page went through 90: the next reads start there, not after 51.
    expect(reads).toEqual([0n, 90n, 90n]);
  });

  it('lets the event loop turn between full pages while it catches up', async () => {
    // Three full pages, read at once (as the embedded log is), and a consumer that does no I/O.
    const page = (start: number): CatchUpPage => ({
      events: Array.from({ length: 1_000 }, (_, n) => event(start + n, 'payment-p')),
    });
    const pages = [page(1), page(1_001), page(2_001)];
    const subscription = catchUpSubscription({
      readAll: async () => pages.shift() ?? { events: [] },
      changeVersion: () => 0,
      waitForChange: (_seen, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve())),
    });
    let turned = false;
    const turnedAt: boolean[] = [];
    for await (const { position } of subscription) {
      if (position === 1n) setImmediate(() => (turned = true));
      if (position % 1_000n === 1n) turnedAt.push(turned);
      if (position === 3_000n) break;
    }
    await subscription.close();
    expect(turnedAt).toEqual([false, true, true]);
  });
});

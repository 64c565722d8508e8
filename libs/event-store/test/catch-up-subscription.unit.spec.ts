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
});

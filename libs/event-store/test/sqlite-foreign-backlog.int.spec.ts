import type { NewEvent, RecordedEvent } from '@app/event-store';
import { sqliteFile } from './fixtures/sqlite-file';
import { RecentEvents } from '../src/sqlite/recent-events';

const { open } = sqliteFile('foreign-backlog');

const BATCHES = 25; // of 1,000 events: more than the window of recent events (20,000) holds
const batch = (n: number): NewEvent[] =>
  Array.from({ length: 1_000 }, (_, i) => ({ type: 'Counted', data: { n: n * 1_000 + i }, metadata: {} }));

/**
 * Another process appends a backlog larger than this process's window of recent events. The window reads only
 * its newest part, not every event of it; subscriptions still get every event, in order, the older ones from SQL.
 */
describe('SQLite: a backlog another process appended', () => {
  it('is not read into the window whole, and every subscriber still gets all of it in order', async () => {
    const here = open();
    const elsewhere = open(); // another connection to the file: as another process
    await here.readStream('start-1'); // the window starts at the head; nothing here polls for commits
    const before = await here.headPosition();
    for (let n = 0; n < BATCHES; n++)
      await elsewhere.append(`backlog-${n}`, batch(n), { expectedRevision: 'no_stream' });

    const pushed = jest.spyOn(RecentEvents.prototype, 'push');
    try {
      expect(await here.readStream('backlog-24', { fromRevision: 998 })).toHaveLength(2);
      const intoWindow = pushed.mock.calls.reduce((sum, [events]) => sum + events.length, 0);
      expect(intoWindow).toBeLessThanOrEqual(21_000);
      expect(intoWindow).toBeGreaterThanOrEqual(20_000);
    } finally {
      pushed.mockRestore();
    }

    const received: RecordedEvent[] = [];
    const subscription = here.subscribeToAll({ after: before });
    for await (const event of subscription) {
      received.push(event);
      if (received.length === BATCHES * 1_000) break;
    }
    await subscription.close();
    expect(received.map((event) => (event.data as { n: number }).n)).toEqual(
      Array.from({ length: BATCHES * 1_000 }, (_, i) => i),
    );
  });
});

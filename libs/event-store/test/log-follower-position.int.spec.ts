import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LogFollower, SqliteEventStore, type EventStore } from '@app/event-store';
import { waitUntil } from '../../../test/support/app-process';

/**
 * A worker that folds the log into memory saves a snapshot of it with the follower's position (`CheckpointKeeper`),
 * in one synchronous step of its own. The position must name every event the snapshot holds: one folded and not
 * named would be folded again after a restart from the snapshot, and a fold that adds to a list takes it twice.
 */
describe('the log follower’s position, for a snapshot of a synchronous fold', () => {
  let dir: string;
  let store: EventStore;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'log-follower-position-'));
    store = new SqliteEventStore({ file: path.join(dir, 'events.db') });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names an event as soon as a fold that returns no promise has taken it, in whatever step comes next', async () => {
    for (let n = 0; n < 20; n++)
      await store.append(
        `payment-p-${n}`,
        [{ id: crypto.randomUUID(), type: 'PaymentRequested', data: { n }, metadata: { correlationId: 'c-1' } }],
        { expectedRevision: 'no_stream' },
      );
    const folded: bigint[] = [];
    /** Each snapshot taken (a keeper's save whose turn came next): what it holds, and the position it names. */
    const snapshots: { holds: bigint | undefined; named: bigint }[] = [];
    const follower: LogFollower = new LogFollower(store, {
      streamPrefixes: ['payment-'],
      onEvent: (event) => {
        folded.push(event.position);
        // Another step of the same turn of the event loop (a save chained on the one before it, say).
        queueMicrotask(() => snapshots.push({ holds: folded.at(-1), named: follower.position }));
      },
    });
    follower.start(0n);
    await waitUntil(() => snapshots.length === 20, 5_000, 'every event folded');
    await follower.stop();
    expect(snapshots.filter(({ holds, named }) => holds !== named)).toEqual([]);
  });
});

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EventStoreUnavailableError, SqliteEventStore } from '@app/event-store';

const dir = mkdtempSync(path.join(tmpdir(), 'writer-close-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('closing the SQLite log while appends are under way', () => {
  it('commits what was accepted, settles every close call, and refuses an append that comes after', async () => {
    const file = path.join(dir, 'events.db');
    const store = new SqliteEventStore({ file });
    const accepted = Array.from({ length: 50 }, (_, i) =>
      store.append(`s-${i % 5}`, [{ id: randomUUID(), type: 'Happened', data: { i } }], { expectedRevision: 'any' }),
    );
    // Two shutdown paths at once: both must settle, and only once the accepted appends are committed.
    const closes = [store.close(), store.close()];
    await expect(
      store.append('late', [{ id: randomUUID(), type: 'Happened', data: {} }], { expectedRevision: 'any' }),
    ).rejects.toBeInstanceOf(EventStoreUnavailableError);
    await Promise.all(closes);
    expect(await Promise.all(accepted)).toHaveLength(50);
    const reopened = new SqliteEventStore({ file });
    try {
      expect(await reopened.readAll({ limit: 100 })).toHaveLength(50);
    } finally {
      await reopened.close();
    }
  });

  it('ends a live subscription, rather than leaving it waiting for ever', async () => {
    const store = new SqliteEventStore({ file: path.join(dir, 'subscribed.db') });
    await store.append('s-1', [{ id: randomUUID(), type: 'Happened', data: {} }], { expectedRevision: 'no_stream' });
    const subscription = store.subscribeToAll();
    const delivered: string[] = [];
    const iterating = (async () => {
      for await (const event of subscription) delivered.push(event.type);
      return 'ended';
    })();
    await store.append('s-1', [{ id: randomUUID(), type: 'Later', data: {} }], { expectedRevision: 0 });
    await store.close();
    await expect(iterating).resolves.toBe('ended');
    expect(delivered[0]).toBe('Happened');
  });

  it('refuses appends beyond its queue at once, changing nothing, and commits every one it accepted', async () => {
    const file = path.join(dir, 'bounded.db');
    const store = new SqliteEventStore({ file, maxQueued: 3 });
    try {
      // All in one turn: none has gone to the writer yet, so the queue holds the first three.
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          store.append(`s-${i}`, [{ id: randomUUID(), type: 'Happened', data: { i } }], { expectedRevision: 'any' }),
        ),
      );
      expect(outcomes.map((outcome) => outcome.status)).toEqual([
        ...Array<string>(3).fill('fulfilled'),
        ...Array<string>(7).fill('rejected'),
      ]);
      const refused = outcomes[3] as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(EventStoreUnavailableError);
      expect(String(refused.reason)).toMatch(/3 appends waiting/);
      expect((await store.readAll({ limit: 100 })).map((event) => event.streamName)).toEqual(['s-0', 's-1', 's-2']);
      // Once it has caught up, appends are taken again.
      await store.append('s-later', [{ id: randomUUID(), type: 'Happened', data: {} }], { expectedRevision: 'any' });
    } finally {
      await store.close();
    }
  });
});

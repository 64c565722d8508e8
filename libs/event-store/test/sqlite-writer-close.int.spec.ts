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
});

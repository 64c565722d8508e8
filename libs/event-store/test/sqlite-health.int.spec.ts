import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { EventStoreUnavailableError, SqliteEventStore, eventStoreProbe } from '@app/event-store';

const event = () => ({ id: randomUUID(), type: 'Probed', data: {}, metadata: { correlationId: 'c' } });

/**
 * `GET /health`'s probe of the embedded log: reads go through one connection and appends through the writer
 * thread's, so a log that reads but cannot commit (another process holding the write lock, a full disk) must
 * show down, not only its appends fail.
 */
describe('the health probe of the SQLite log', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sqlite-health-'));
  const file = path.join(dir, 'events.db');
  const store = new SqliteEventStore({ file, busyTimeoutMs: 200 });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is down while another process holds the write lock, up again once it lets go, and writes nothing', async () => {
    await store.append('probed-1', [event()], { expectedRevision: 'no_stream' });
    const probe = eventStoreProbe(store);
    await expect(probe.check()).resolves.toBeUndefined();
    const other = new Database(file);
    other.prepare('BEGIN IMMEDIATE').run();
    try {
      await expect(store.append('probed-1', [event()], { expectedRevision: 0 })).rejects.toBeInstanceOf(
        EventStoreUnavailableError,
      );
      await expect(probe.check()).rejects.toBeInstanceOf(EventStoreUnavailableError);
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
    await expect(probe.check()).resolves.toBeUndefined();
    expect((await store.readAll({ limit: 100 })).map((e) => e.streamName)).toEqual(['probed-1']);
  });
});

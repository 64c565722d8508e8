import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEventStore, KurrentDbEventStore, SqliteEventStore } from '@app/event-store';
import { eventStoreContract } from './event-store.contract';

// No KurrentDB server runs on the development machines; the suite runs wherever one is configured.
const connectionString = process.env.KURRENTDB_CONNECTION_STRING;

if (connectionString) {
  eventStoreContract('kurrentdb', { create: async () => createEventStore(connectionString) });
}

describe('choosing the adapter by EVENT_STORE_URL', () => {
  it.each([
    'kurrentdb://127.0.0.1:2113?tls=false',
    'esdb://127.0.0.1:2113?tls=false',
    'kurrentdb+discover://a:2113,b:2113',
  ])('%s is KurrentDB', async (url) => {
    const store = createEventStore(url);
    expect(store).toBeInstanceOf(KurrentDbEventStore);
    await store.close();
  });

  it('sqlite:<file> is the embedded log', async () => {
    const store = createEventStore(`sqlite:${path.join(mkdtempSync(path.join(tmpdir(), 'factory-')), 'events.db')}`);
    expect(store).toBeInstanceOf(SqliteEventStore);
    await store.close();
  });

  it.each(['postgres://x', 'sqlite:', 'esdb:/missing-slashes'])('refuses %s', (url) => {
    expect(() => createEventStore(url)).toThrow(/EVENT_STORE_URL/);
  });
});

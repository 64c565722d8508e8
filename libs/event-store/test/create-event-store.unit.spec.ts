import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

describe('createEventStore on the embedded log', () => {
  it('never loads the KurrentDB client, which only a KurrentDB URL needs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'factory-'));
    try {
      await jest.isolateModulesAsync(async () => {
        jest.doMock('@kurrent/kurrentdb-client', () => {
          throw new Error('the KurrentDB client was loaded');
        });
        const { createEventStore, SqliteEventStore } = await import('@app/event-store');
        const store = createEventStore(`sqlite:${path.join(dir, 'events.db')}`);
        expect(store).toBeInstanceOf(SqliteEventStore);
        await store.close();
        expect(() => createEventStore('kurrentdb://127.0.0.1:2113?tls=false')).toThrow(
          'the KurrentDB client was loaded',
        );
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

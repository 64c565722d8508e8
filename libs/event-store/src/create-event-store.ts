import { InvalidEventStoreInputError } from './event-store.errors';
import type { EventStore } from './event-store.port';
import { KurrentDbEventStore } from './kurrentdb/kurrentdb-event-store';
import { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite/sqlite-event-store';

export const DEFAULT_EVENT_STORE_URL = 'sqlite:./data/events.db';

/**
 * Chooses the adapter by URL: `sqlite:<path>` (embedded default) or `kurrentdb://…` / `esdb://…`
 * (and their `+discover` forms), which are handed to the KurrentDB client unchanged.
 */
export function createEventStore(
  url: string = DEFAULT_EVENT_STORE_URL,
  options: Pick<SqliteEventStoreOptions, 'readCacheMib'> = {},
): EventStore {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (file.length === 0) throw new InvalidEventStoreInputError(`EVENT_STORE_URL ${url} names no file`);
    return new SqliteEventStore({ file, ...options });
  }
  if (/^(kurrentdb|kdb|esdb)(\+discover)?:\/\//.test(url)) return new KurrentDbEventStore(url);
  throw new InvalidEventStoreInputError(
    `Unsupported EVENT_STORE_URL ${JSON.stringify(url.replace(/\/\/[^@/]*@/, '//***@'))}: use sqlite:<path>, kurrentdb://… or esdb://…`,
  );
}

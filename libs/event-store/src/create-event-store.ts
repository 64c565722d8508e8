import { InvalidEventStoreInputError } from './event-store.errors';
import { maskedConnectionString } from './kurrentdb/masked-connection-string';
import type { EventStore } from './event-store.port';
import type * as KurrentDb from './kurrentdb/kurrentdb-event-store';
import { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite/sqlite-event-store';
import { DEFAULT_EVENT_STORE_URL, sqliteFileOf } from './event-store-url';

/**
 * The apps' least time between two groups sent to an idle SQLite writer: at 100 payments a second, about 400
 * appends, each went alone, and every group costs the engine its round of thread messages, commit, reads and
 * wakes. 5 ms bounds the groups to 200 a second, and adds at most that to an append that follows another's group
 * closely; an append after a quiet spell goes at once. Caveat: a payment makes several appends in turn, so its
 * latency grows by more than 5 ms (bench:e2e's p50 by 10 to 20 ms at 100/s); 2 ms saved no CPU measurably.
 */
export const APPS_GROUP_EVERY_MS = 5;

/** What the adapters take besides the URL: each takes its own, and leaves the other's. */
export type EventStoreOptions = Pick<SqliteEventStoreOptions, 'readCacheMib'> &
  Pick<KurrentDb.KurrentDbEventStoreOptions, 'readAllTimeoutMs'>;

/**
 * Chooses the adapter by URL: `sqlite:<path>` (embedded default) or one of the KurrentDB client's schemes
 * (`kurrentdb://`, `kurrent://`, `kdb://`, the deprecated `esdb://`, and their `+discover` forms), handed to the
 * client unchanged.
 */
export function createEventStore(url: string = DEFAULT_EVENT_STORE_URL, options: EventStoreOptions = {}): EventStore {
  const { readCacheMib, readAllTimeoutMs } = options;
  const file = sqliteFileOf(url);
  if (file !== undefined) {
    if (file.length === 0) throw new InvalidEventStoreInputError(`EVENT_STORE_URL ${url} names no file`);
    return new SqliteEventStore({ file, readCacheMib, groupEveryMs: APPS_GROUP_EVERY_MS });
  }
  if (/^(kurrentdb|kurrent|kdb|esdb)(\+discover)?:\/\//.test(url)) {
    // The client reads a raw `/` in the password, but its reads hand the string to a native parser that takes it for
    // the path, and fail with a parse error quoting the whole string: refused here, before anything is sent.
    const password = /^[^:]+:\/\/[^:@]+:([^@]+)@/.exec(url)?.[1];
    if (password !== undefined && /[/?#]/.test(password))
      throw new InvalidEventStoreInputError(
        `EVENT_STORE_URL ${maskedConnectionString(url)}: percent-encode its password (encodeURIComponent: a "/", "?" or ` +
          '"#" in it as %2F, %3F, %23)',
      );
    // Loaded only for a KurrentDB URL: its client and gRPC take about 0.2 s and 20 MB to load, which every
    // process on the embedded log (its start, a rebuild) would otherwise pay for nothing.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { KurrentDbEventStore } = require('./kurrentdb/kurrentdb-event-store') as typeof KurrentDb;
    return new KurrentDbEventStore(url, undefined, { readAllTimeoutMs });
  }
  throw new InvalidEventStoreInputError(
    `Unsupported EVENT_STORE_URL ${JSON.stringify(maskedConnectionString(url))}: use sqlite:<path>, kurrentdb://… or esdb://…`,
  );
}

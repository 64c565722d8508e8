import type { NewEvent, RecordedEvent, SqliteEventStore } from '@app/event-store';
import { sqliteFile } from './fixtures/sqlite-file';

const { open } = sqliteFile('stream-tail');

/** The store's prepared statement `name` fails once at its `method` with `error`, then works as before. */
function failOnce(store: SqliteEventStore, name: string, method: 'all' | 'get', error: Error): void {
  const statement: Record<string, (...args: unknown[]) => unknown> = Reflect.get(
    Reflect.get(store, 'statements'),
    name,
  );
  const working = statement[method]!;
  statement[method] = () => {
    statement[method] = working;
    throw error;
  };
}

const events = (...types: string[]): NewEvent[] =>
  types.map((type) => ({ type, data: { type }, metadata: { correlationId: 'c' } }));
const shape = (read: readonly RecordedEvent[]) =>
  read.map(({ type, revision, position }) => ({ type, revision, position }));

/**
 * A stream's tail is read from the process's window of recent events when the window holds the stream from the
 * revision asked for on; from SQL otherwise. Either way, it is what SQL says now, commits of other connections
 * (another process) included.
 */
describe('SQLite: a stream’s tail from the recent events', () => {
  it('answers as SQL does, with another connection’s commit seen at once', async () => {
    const here = open();
    const elsewhere = open(); // another connection to the file: as another process
    const sql = () => open(); // a store that has read nothing: its reads go to SQL

    await elsewhere.append('old-1', events('A', 'B'), { expectedRevision: 'no_stream' });
    await here.readStream('x-1'); // the window starts here, at the head: old-1's first events are before it
    await here.append('new-1', events('A', 'B', 'C'), { expectedRevision: 'no_stream' });
    expect(shape(await here.readStream('new-1', { fromRevision: 1 }))).toEqual(
      shape(await sql().readStream('new-1', { fromRevision: 1 })),
    );

    // Written by the other connection just now; this one has no subscription, so nothing polls for it.
    await elsewhere.append('new-1', events('D'), { expectedRevision: 2 });
    const tail = await here.readStream('new-1', { fromRevision: 3 });
    expect(shape(tail).map(({ type, revision }) => ({ type, revision }))).toEqual([{ type: 'D', revision: 3 }]);

    // A stream whose earlier events are before the window: read from SQL, whole.
    await elsewhere.append('old-1', events('C'), { expectedRevision: 1 });
    expect(shape(await here.readStream('old-1'))).toEqual(shape(await sql().readStream('old-1')));
    expect((await here.readStream('old-1')).map((event) => event.type)).toEqual(['A', 'B', 'C']);
    expect(await here.readStream('new-1', { fromRevision: 4 })).toEqual([]);
    expect(await here.readStream('never-1')).toEqual([]);
  });
});

describe('SQLite: a failed read of new events', () => {
  it('is read again at the next read, not taken as done', async () => {
    const here = open();
    const elsewhere = open();
    await here.readStream('fail-0'); // the window starts here
    await here.append('fail-1', events('A'), { expectedRevision: 'no_stream' });
    expect((await here.readStream('fail-1')).map((event) => event.type)).toEqual(['A']); // from the window
    await elsewhere.append('fail-1', events('B'), { expectedRevision: 0 });

    // The window's next read of new events fails once, as a read may (a lock, the disk).
    failOnce(here, 'all', 'all', new Error('SQLITE_IOERR: disk I/O error'));
    await expect(here.readStream('fail-1')).rejects.toThrow('SQLITE_IOERR');

    expect((await here.readStream('fail-1')).map((event) => event.type)).toEqual(['A', 'B']);
  });
});

describe('SQLite: a commit whose notice fails', () => {
  it('still answers the appends queued behind it, and its events are still read', async () => {
    const store = open();
    await store.append('notice-0', events('A'), { expectedRevision: 'no_stream' }); // the writer thread is running
    // Reading `data_version` after the next commit fails once.
    const statement: Record<string, unknown> = Reflect.get(Reflect.get(store, 'statements'), 'dataVersion');
    const get = statement.get;
    failOnce(store, 'dataVersion', 'get', new Error('SQLITE_BUSY: database is locked'));
    const appends = ['notice-1', 'notice-2', 'notice-3'].map((name) =>
      store.append(name, events('A'), { expectedRevision: 'no_stream' }),
    );
    await expect(Promise.all(appends)).resolves.toHaveLength(3);
    expect(statement.get).toBe(get);
    for (const name of ['notice-1', 'notice-2', 'notice-3'])
      expect((await store.readStream(name)).map((event) => event.type)).toEqual(['A']);
  });

  it('is looked for again when the look on a timer fails, and never thrown out of the timer', async () => {
    const store = open();
    const elsewhere = open();
    await store.readStream('timer-0'); // the window starts here
    await elsewhere.append('timer-1', events('A'), { expectedRevision: 'no_stream' });
    // The chase after another connection's write (a timer) reads `data_version`, and that read fails once.
    failOnce(store, 'dataVersion', 'get', new Error('SQLITE_BUSY: database is locked'));
    const chase = store as unknown as { lookForCommits(step: number): void };
    expect(() => chase.lookForCommits(Number.MAX_SAFE_INTEGER)).not.toThrow();
    expect((await store.readStream('timer-1')).map((event) => event.type)).toEqual(['A']);
  });
});

import Database from 'better-sqlite3';
import type { NewEvent, RecordedEvent } from '@app/event-store';
import { sqliteFile } from './fixtures/sqlite-file';
import { take } from './wait';

const { file, open } = sqliteFile('read-all-json');

/** Text that JSON escapes, or that is more than one byte a character in UTF-8. */
const AWKWARD = 'a "quote", a \\ backslash, a / slash, \n\t\r\b\f, \u0000\u001f, é, 漢字, 😀, a lone \ud800 surrogate';

const events: NewEvent[] = [
  {
    type: 'Awkward.Text_1',
    data: { text: AWKWARD, [AWKWARD]: [AWKWARD, { nested: AWKWARD }], empty: '', list: [] },
    metadata: { correlationId: AWKWARD, occurredAt: '2026-12-07T10:00:00.000Z' },
  },
  {
    type: 'Numbers',
    data: { int: 39_900, negative: -1, fraction: 0.1, tiny: 5e-324, large: 1.7976931348623157e308, zero: -0 },
    metadata: {},
  },
  { type: 'Plain', data: { paymentId: 'p-1', amount: 1, currency: 'NOK', nothing: null, yes: true, no: false } },
];

/** As `JSON.stringify` writes an event, its bigint position as a string: the keys in order, the values as text. */
const json = (event: RecordedEvent): string =>
  JSON.stringify(event, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value));

/**
 * Read-all, of every stream or by prefix (and the window of recent events the subscriptions read), has SQLite make each
 * row one JSON text, parsed once (`EVENT_JSON`), where reads by stream and reads for a fold (`lazyMetadata`) parse a
 * row's columns. Both must give the same events, for any text a row may hold.
 */
describe('SQLite: read-all, a row as one JSON text', () => {
  /** Read for a fold: the rows' columns parsed apart. */
  let columns: RecordedEvent[];

  beforeAll(async () => {
    const store = open();
    await store.append('a_b.c:d@e-1', events, { expectedRevision: 'no_stream' });
    await store.append('9-2', events.slice(2), { expectedRevision: 'no_stream' });
    // Text no append writes (spaces, a `__proto__` key, an integer past 2^53), by another connection, as an older
    // writer or a repair might have left it: the log's rows are read as they are.
    const other = new Database(file);
    const insert = other.prepare(
      'INSERT INTO events (stream, revision, id, type, data, metadata) VALUES (?, 0, ?, ?, ?, ?)',
    );
    insert.run(
      '9-3',
      '00000000-0000-4000-8000-000000000001',
      'Raw',
      ' { "__proto__" : { "x" : 1 } , "big" : 12345678901234567890 , "e" : 1E3 } ',
      '{}',
    );
    // And a stream name and type no append takes: quoted by SQLite, not pasted in.
    insert.run(`9-${AWKWARD}`, `${AWKWARD}-id`, `Raw ${AWKWARD}`, '{}', '{}');
    other.close();
    columns = await store.readAll({ streamPrefixes: ['a', '9'], lazyMetadata: true });
  });

  it('reads the events a read of the columns gives, key by key and in the same order', async () => {
    const store = open();
    const byStream = [
      ...(await store.readStream('a_b.c:d@e-1')),
      ...(await store.readStream('9-2')),
      ...(await store.readStream('9-3')),
    ];
    const samePositions = (from: RecordedEvent[], as: RecordedEvent[]) =>
      from.filter(({ position }) => as.some((event) => event.position === position));
    for (const read of [
      await store.readAll(),
      await store.readAll({ streamPrefixes: ['a', '9'] }), // prefixes without a category: the table
      await store.readAll({ streamPrefixes: ['a_b.c:d@e-', '9-'] }), // by category
      await store.readAll({ streamPrefixes: ['9-'], after: 3n, limit: 2 }), // a page
      await store.readAll({ streamPrefixes: ['9-3'], limit: 1 }), // past the table's window: the index
    ]) {
      expect(read.length).toBeGreaterThanOrEqual(1);
      expect(read.map(json)).toEqual(samePositions(columns, read).map(json));
      // Plain objects, as a read by stream gives them (the stream of awkward name cannot be read so).
      const readable = read.filter(({ position }) => position <= 5n);
      expect(readable).toStrictEqual(samePositions(byStream, readable));
    }
    const all = await store.readAll();
    expect(all).toHaveLength(6);
    expect(Object.getPrototypeOf(all[4]!.data)).toBe(Object.prototype);
    expect(Object.keys(all[4]!.data as object)).toEqual(['__proto__', 'big', 'e']);
    // Read for a fold of every stream: the columns too.
    expect((await store.readAll({ lazyMetadata: true })).map(json)).toEqual(columns.map(json));
  });

  it('gives the events appended, as they were appended', async () => {
    const [first, second] = await open().readAll({ limit: 2 });
    expect(first).toMatchObject({ streamName: 'a_b.c:d@e-1', revision: 0, position: 1n, ...events[0] });
    expect((first!.data as { text: string }).text).toBe(AWKWARD);
    expect(Object.is((second!.data as { zero: number }).zero, 0)).toBe(true);
  });

  it('delivers the same events to a subscription, caught up and then live', async () => {
    const store = open();
    const subscription = store.subscribeToAll();
    const caughtUp = await take(subscription, 6);
    await store.append('a_b.c:d@e-1', events.slice(0, 1), { expectedRevision: 2 });
    const [live] = await take(subscription, 1);
    await subscription.close();
    expect(caughtUp.map(json)).toEqual(columns.map(json));
    const [appended] = await store.readAll({ after: 6n, streamPrefixes: ['a'] });
    expect(json(live!)).toBe(json(appended!));
  });
});

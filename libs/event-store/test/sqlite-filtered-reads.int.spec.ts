import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { NewEvent, RecordedEvent, SqliteEventStore } from '@app/event-store';
import { FilteredReads } from '../src/sqlite/filtered-reads';
import { openDatabase } from '../src/sqlite/sqlite-schema';
import { sqliteFile } from './fixtures/sqlite-file';

const { file, open } = sqliteFile('filtered-reads');

const event = (n: number): NewEvent => ({ type: 'Happened', data: { n }, metadata: { correlationId: `c-${n}` } });

/**
 * A log shaped as the engine's: mostly `payment-` and `terminal-`, some `idempotency-`, a few `operation-`, `store-`
 * and `nightly-close-`, and names without a category (`plain`, `pay`), in one order of positions.
 */
async function engineLikeLog(store: SqliteEventStore): Promise<void> {
  const revisions = new Map<string, number>();
  const put = async (stream: string) => {
    const revision = revisions.get(stream) ?? -1;
    await store.append(stream, [event(revisions.size)], {
      expectedRevision: revision < 0 ? 'no_stream' : revision,
    });
    revisions.set(stream, revision + 1);
  };
  for (let p = 0; p < 600; p++) {
    await put(`idempotency-pos-${p}`);
    await put(`terminal-T-${p % 7}`);
    await put(`payment-${p}`);
    await put(`payment-${p}`);
    await put(`terminal-T-${p % 7}`);
    if (p % 37 === 0) await put(`operation-${p}`);
    if (p % 53 === 0) await put(`store-S-${p % 3}`);
    if (p % 97 === 0) await put(`nightly-close-${p}`);
    if (p % 101 === 0) await put(p % 2 === 0 ? 'plain' : 'pay');
  }
}

const PREFIXES = [
  'payment-',
  'terminal-',
  'operation-',
  'store-',
  'nightly-close-',
  'nightly-',
  'payment-1',
  'terminal-T-3',
  'pay',
  'plain',
  'idempotency-',
  'none-',
];

describe('SQLite: reads by stream prefix', () => {
  let store: SqliteEventStore;
  let all: RecordedEvent[];
  beforeAll(async () => {
    store = open();
    await engineLikeLog(store);
    all = await store.readAll({ limit: 10_000 });
  }, 60_000);

  const wanted = (prefixes: readonly string[], after: bigint, limit: number) =>
    all.filter((e) => e.position > after && prefixes.some((prefix) => e.streamName.startsWith(prefix))).slice(0, limit);

  it('return the events of their streams after a position, in order, each once, whatever the prefixes', async () => {
    const head = all[all.length - 1]!.position;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.constantFrom(...PREFIXES), { minLength: 1, maxLength: 4 }),
        fc.bigInt({ min: 0n, max: head + 2n }),
        fc.constantFrom(1, 2, 7, 100, 1_000),
        async (prefixes, after, limit) => {
          const read = await store.readAll({ after, limit, streamPrefixes: prefixes });
          expect(read.map((e) => e.position)).toEqual(wanted(prefixes, after, limit).map((e) => e.position));
        },
      ),
      { numRuns: 400, seed: 20261206 },
    );
  });

  it('read a whole category page by page as a follower does, dense or rare', async () => {
    for (const prefixes of [['payment-'], ['operation-'], ['store-', 'operation-', 'nightly-close-', 'terminal-']]) {
      const read: bigint[] = [];
      for (let after = 0n; ;) {
        const page = await store.readAll({ after, limit: 50, streamPrefixes: prefixes });
        read.push(...page.map((e) => e.position));
        if (page.length < 50) break;
        after = page[page.length - 1]!.position;
      }
      expect(read).toEqual(wanted(prefixes, 0n, Infinity).map((e) => e.position));
    }
  });

  /**
   * What keeps a read's time to what it returns: no statement sorts (SQLite had sorted the rest of a category for
   * each page) or walks the table from the start; the category index gives each prefix's events in order.
   */
  it('never sort the log nor walk all of it', () => {
    // Eager reads' rows as JSON text, and lazy reads' rows in columns: the same plans.
    const reads = ['filtered', 'filteredRows'].map((name) => Reflect.get(store, name) as FilteredReads<unknown>);
    const db = new Database(file, { readonly: true });
    const plan = (sql: string) =>
      db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...Array<number>(sql.split('?').length - 1).fill(0))
        .map((row) => (row as { detail: string }).detail);
    for (const [filtered, prefixes] of reads.flatMap((read) => [1, 2, 4].map((count) => [read, count] as const))) {
      const [window, arms, table] = filtered.statementsFor(prefixes).map(plan);
      for (const steps of [window!, arms!, table!])
        expect(steps.filter((step) => /TEMP B-TREE|^SCAN events/.test(step))).toEqual([]);
      expect(window).toEqual(['SEARCH events USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)']);
      expect(arms!.filter((step) => step.includes('USING INDEX events_category (<expr>=? AND rowid>?)'))).toHaveLength(
        prefixes,
      );
      expect(table).toEqual(['SEARCH events USING INTEGER PRIMARY KEY (rowid>?)']);
    }
    db.close();
  });
});

describe('SQLite: reads by prefix on a log SQLite has statistics of', () => {
  const analysed = sqliteFile('filtered-reads-analysed');

  it('keep their plans when one category is nearly all of the log (ANALYZE)', () => {
    const db = new Database(analysed.file);
    openDatabase(db, 5_000, 5_000, 4);
    const insert = db.prepare(
      "INSERT INTO events (stream, revision, id, type, data, metadata) VALUES (?, ?, ?, 'Happened', '{}', '{}')",
    );
    db.transaction(() => {
      for (let n = 0; n < 20_000; n++) {
        insert.run(`payment-${n >> 2}`, n & 3, `p-${n}`);
        if (n % 1_000 === 0) insert.run(`operation-${n}`, 0, `o-${n}`);
      }
    })();
    db.exec('ANALYZE');
    const plan = (sql: string) =>
      db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...Array<number>(sql.split('?').length - 1).fill(0))
        .map((row) => (row as { detail: string }).detail);
    const [window, arms] = new FilteredReads(db).statementsFor(2).map(plan);
    db.close();
    expect(window).toEqual(['SEARCH events USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)']);
    expect(arms!.filter((step) => /TEMP B-TREE|sqlite_autoindex/.test(step))).toEqual([]);
  });
});

describe('SQLite: a read by prefix while another connection commits', () => {
  const own = sqliteFile('filtered-reads-commit');

  it('sees one moment of the log: no event is skipped between the table’s part of the page and the index’s', async () => {
    const store = own.open();
    await store.append('a-1', [event(1), event(2), event(3)], { expectedRevision: 'no_stream' });
    await store.readAll({ streamPrefixes: ['a-'] }); // the statements are prepared
    // Another process commits 30 events of a- right after the table's part (positions 1 to 20) was read.
    const window = (
      Reflect.get(store, 'filtered') as { byCategory: Map<number, { window: Database.Statement }> }
    ).byCategory.get(1)!.window;
    const read = window.all.bind(window);
    window.all = (...args: unknown[]) => {
      const rows = read(...args);
      const other = new Database(own.file);
      const insert = other.prepare(
        "INSERT INTO events (stream, revision, id, type, data, metadata) VALUES ('a-1', ?, ?, 'Happened', '{}', '{}')",
      );
      for (let revision = 3; revision < 33; revision++)
        insert.run(revision, `00000000-0000-4000-8000-${String(revision).padStart(12, '0')}`);
      other.close();
      window.all = read;
      return rows;
    };
    const page = await store.readAll({ streamPrefixes: ['a-'], limit: 10 });
    const next = await store.readAll({ after: page[page.length - 1]!.position, streamPrefixes: ['a-'], limit: 10 });
    expect([...page, ...next].map((e) => e.position)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n, 12n, 13n]);
  });
});

describe('SQLite: a log written before the category index', () => {
  const old = sqliteFile('filtered-reads-old');

  it('gets the index when opened, and its reads by prefix answer as before', async () => {
    const db = new Database(old.file);
    db.exec(`
      CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL, revision INTEGER NOT NULL,
        id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, UNIQUE (stream, revision));
      CREATE UNIQUE INDEX events_id ON events (id);
    `);
    const insert = db.prepare(
      "INSERT INTO events (stream, revision, id, type, data, metadata) VALUES (?, 0, ?, 'Happened', '{}', '{}')",
    );
    ['payment-1', 'operation-1', 'payment-2', 'store-1', 'operation-2'].forEach((stream, i) =>
      insert.run(stream, `00000000-0000-4000-8000-00000000000${i}`),
    );
    db.close();

    const store = old.open();
    const read = await store.readAll({ streamPrefixes: ['operation-'] });
    expect(read.map((e) => [e.streamName, e.position])).toEqual([
      ['operation-1', 2n],
      ['operation-2', 5n],
    ]);
    const check = new Database(old.file, { readonly: true });
    const indexes = check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").all();
    check.close();
    expect(indexes).toContainEqual({ name: 'events_category' });
  });

  it('opens without it, warning, when the log cannot be written, and reads by prefix answer as before', async () => {
    const file = path.join(path.dirname(old.file), 'read-only.db');
    const db = new Database(file);
    db.exec(`
      CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL, revision INTEGER NOT NULL,
        id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, UNIQUE (stream, revision));
      CREATE UNIQUE INDEX events_id ON events (id);
      INSERT INTO events (stream, revision, id, type, data, metadata) VALUES ('operation-1', 0, 'o-1', 'Happened', '{}', '{}');
      INSERT INTO events (stream, revision, id, type, data, metadata) VALUES ('payment-1', 0, 'p-1', 'Happened', '{}', '{}');
    `);
    db.pragma('journal_mode = WAL');
    db.close();
    const readOnly = new Database(file, { readonly: true });
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      openDatabase(readOnly, 1_000, 1_000, 4);
      expect(warn.mock.calls.map(([warning]) => String(warning))).toEqual([
        expect.stringMatching(/^The event log's category index could not be added \(.*readonly/),
      ]);
    } finally {
      warn.mockRestore();
    }
    const rows = new FilteredReads(readOnly).read(0, 10, ['operation-']);
    readOnly.close();
    expect(rows.map((row) => [row[0], row[1]])).toEqual([[1, 'operation-1']]);
  });
});

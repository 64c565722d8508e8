// npm run bench:event-store — the SQLite adapter on a file on disk, synchronous=FULL.
// Prints one line per figure and, last, one JSON object with all of them.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteEventStore, type NewEvent } from '@app/event-store';
import { elapsedMs, machine, percentile, round } from './bench-support';

const APPEND_SECONDS = Number(process.env.BENCH_APPEND_SECONDS ?? 3);
const READ_EVENTS = Number(process.env.BENCH_READ_EVENTS ?? 300_000);
const FILTER_PAYMENTS = Number(process.env.BENCH_FILTER_PAYMENTS ?? 100_000);
const LAG_RATE = Number(process.env.BENCH_LAG_RATE ?? 1_000);
const LAG_SECONDS = Number(process.env.BENCH_LAG_SECONDS ?? 3);
/** How many appenders each append run has, in turn. */
const APPENDERS = (process.env.BENCH_APPENDERS ?? '1,16,128').split(',').map(Number);
const PART_NAMES = ['appends', 'read-all', 'filtered', 'lag'] as const;
/**
 * The parts to run (all by default), so that one figure can be measured again, in turn with another build, without
 * the minute the others take.
 */
const PARTS = new Set((process.env.BENCH_PARTS ?? PART_NAMES.join(',')).split(','));
for (const part of PARTS)
  if (!(PART_NAMES as readonly string[]).includes(part))
    throw new Error(`BENCH_PARTS: unknown part ${part}; the parts are ${PART_NAMES.join(', ')}`);
for (const appenders of APPENDERS)
  if (!Number.isSafeInteger(appenders) || appenders < 1)
    throw new Error(`BENCH_APPENDERS: ${process.env.BENCH_APPENDERS} is not a list of whole numbers from 1`);

const dir = mkdtempSync(path.join(tmpdir(), 'bench-event-store-'));

function paymentEvent(n: number): NewEvent {
  return {
    id: randomUUID(),
    type: 'PaymentRequested',
    data: {
      paymentId: randomUUID(),
      storeId: 'oslo-center',
      terminalId: 'T-0013',
      amount: 39_900 + n,
      currency: 'NOK',
      merchantReference: `POS-${n}`,
    },
    metadata: { correlationId: randomUUID(), occurredAt: new Date().toISOString() },
  };
}

/**
 * A store that has appended once: its writer thread runs. A process starts that thread at its first append,
 * once (about 100 ms here, during which the first appends queue): timed with the rest, that start alone made
 * the subscription lag's p99 50–80 ms (3,000 samples), against 4–7 ms once the thread runs.
 */
async function runningStore(file: string): Promise<SqliteEventStore> {
  const store = new SqliteEventStore({ file });
  await store.append('bench-warm-up', [paymentEvent(0)], { expectedRevision: 'any' });
  return store;
}

/** `appenders` loops, each appending one event at a time to its own stream at its known revision. */
async function durableAppends(appenders: number): Promise<number> {
  const store = await runningStore(path.join(dir, `append-${appenders}.db`));
  const deadline = Date.now() + APPEND_SECONDS * 1_000;
  let appended = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: appenders }, async (_, lane) => {
      let revision: number | 'no_stream' = 'no_stream';
      while (Date.now() < deadline) {
        const result = await store.append(`payment-${lane}`, [paymentEvent(appended)], { expectedRevision: revision });
        revision = result.nextRevision;
        appended += 1;
      }
    }),
  );
  const perSecond = appended / (elapsedMs(start) / 1_000);
  await store.close();
  return Math.round(perSecond);
}

/**
 * Read-all as a catch-up or a rebuild uses it: history written earlier (here by another store
 * instance, closed, as another process would have), read from position 0 in pages of 1,000: the page
 * size catch-up subscriptions use. Larger pages are slower here, not faster: 10,000 events a page
 * outlive V8's young generation and cost old-generation collections (measured ~200k/s against ~460k/s).
 */
async function readAllThroughput(): Promise<{ eventsPerSecond: number; rowsPerSecond: number }> {
  const file = path.join(dir, 'read.db');
  const writer = new SqliteEventStore({ file });
  for (let written = 0; written < READ_EVENTS; written += 1_000) {
    await writer.append(
      `payment-${written}`,
      Array.from({ length: 1_000 }, (_, i) => paymentEvent(written + i)),
      { expectedRevision: 'no_stream' },
    );
  }
  await writer.close();
  const store = new SqliteEventStore({ file });
  const start = process.hrtime.bigint();
  let read = 0;
  let after = 0n;
  for (;;) {
    const page = await store.readAll({ after, limit: 1_000 });
    if (page.length === 0) break;
    read += page.length;
    after = page[page.length - 1]!.position;
  }
  const perSecond = read / (elapsedMs(start) / 1_000);
  await store.close();
  if (read !== READ_EVENTS) throw new Error(`read ${read} of ${READ_EVENTS} events`);
  return { eventsPerSecond: Math.round(perSecond), rowsPerSecond: sqliteRowsPerSecond(file) };
}

/**
 * The same pages read straight from SQLite, the columns left as better-sqlite3 gives them (the query the adapter ran
 * until it read each row as one JSON text, `EVENT_JSON`; kept so that the figure compares with those of before): the
 * ceiling of reading the columns before any event is built. The adapter now has SQLite join each row into one text,
 * which it parses once: on Node 20, better-sqlite3 makes a raw row cell by cell, slowly.
 */
function sqliteRowsPerSecond(file: string): number {
  const db = new Database(file, { readonly: true });
  const page = db
    .prepare<[number, number], unknown[]>(
      'SELECT position, stream, revision, id, type, data, metadata FROM events WHERE position > ? ORDER BY position LIMIT ?',
    )
    .raw();
  const start = process.hrtime.bigint();
  let rows = 0;
  for (let after = 0; ;) {
    const found = page.all(after, 1_000);
    if (found.length === 0) break;
    rows += found.length;
    after = found[found.length - 1]![0] as number;
  }
  const perSecond = rows / (elapsedMs(start) / 1_000);
  db.close();
  return Math.round(perSecond);
}

/** The prefix sets the engine's followers read by, and the rare one alone. */
const FOLLOWED = {
  'operation-': ['operation-'],
  'payment-': ['payment-'],
  'nightly close': ['store-', 'operation-', 'nightly-close-', 'terminal-'],
  projector: ['store-', 'terminal-', 'payment-', 'operation-'],
} as const;

/**
 * A log shaped as the engine's, `FILTER_PAYMENTS` payments of seven events each (an idempotency key, the terminal's
 * claim and release, four of the payment's own) with a store change, an operation and a nightly close now and then,
 * written straight into SQLite under the schema of before `events_category` (through the adapter it would take
 * minutes). Then: the first open of that log (the index built, once), and each follower's catch-up from position 0 in
 * pages of 1,000, by the adapter, and by the plain query SQLite planned before.
 */
async function filteredReads(): Promise<{
  events: number;
  indexBuildMs: number;
  catchUpMs: Record<string, { adapter: number; plainQuery: number; events: number }>;
}> {
  const file = path.join(dir, 'filtered.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL,
    revision INTEGER NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL,
    UNIQUE (stream, revision)); CREATE UNIQUE INDEX events_id ON events (id);`);
  const insert = db.prepare(
    'INSERT INTO events (stream, revision, id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const revisions = new Map<string, number>();
  const put = (stream: string, n: number) => {
    const revision = (revisions.get(stream) ?? -1) + 1;
    revisions.set(stream, revision);
    const { type, data, metadata } = paymentEvent(n);
    insert.run(stream, revision, randomUUID(), type, JSON.stringify(data), JSON.stringify(metadata));
  };
  db.transaction(() => {
    for (let p = 0; p < FILTER_PAYMENTS; p++) {
      const terminal = `terminal-T-${p % 2_000}`;
      put(`idempotency-pos-${p}`, p);
      put(terminal, p);
      for (let i = 0; i < 4; i++) put(`payment-${p}`, p);
      put(terminal, p);
      if (p % 500 === 0) put(`store-S-${p % 300}`, p);
      if (p % 1_000 === 0) put(`operation-${p}`, p);
      if (p % 1_000 === 0) put(`nightly-close-${p}`, p);
    }
  })();
  const events = (db.prepare('SELECT MAX(position) FROM events').pluck().get() as number) ?? 0;
  // Into the database file: else the adapter's checkpointer copies hundreds of MB from the WAL while it is timed.
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const opening = process.hrtime.bigint();
  const store = new SqliteEventStore({ file });
  const indexBuildMs = round(elapsedMs(opening));
  const plain = new Database(file, { readonly: true });
  const catchUpMs: Record<string, { adapter: number; plainQuery: number; events: number }> = {};
  for (const [name, prefixes] of Object.entries(FOLLOWED)) {
    const byAdapter = process.hrtime.bigint();
    let read = 0;
    for (let after = 0n; ;) {
      const page = await store.readAll({ after, limit: 1_000, streamPrefixes: prefixes });
      read += page.length;
      if (page.length < 1_000) break;
      after = page[page.length - 1]!.position;
    }
    const adapter = round(elapsedMs(byAdapter));
    const query = plain
      .prepare<unknown[], unknown[]>(
        `SELECT position, stream, revision, id, type, data, metadata FROM events WHERE position > ? AND (${prefixes
          .map(() => '(stream >= ? AND stream < ?)')
          .join(' OR ')}) ORDER BY position LIMIT ?`,
      )
      .raw();
    const made: unknown[] = [];
    const byPlainQuery = process.hrtime.bigint();
    for (let after = 0; ;) {
      const rows = query.all(after, ...prefixes.flatMap((prefix) => [prefix, `${prefix}\u{10FFFF}`]), 1_000);
      // Each row made into an event from its columns (`toRecordedEvent`), as the adapter did until it read each row
      // as one JSON text (`EVENT_JSON`): the difference to the adapter is its plan, and that.
      for (const row of rows)
        made.push({
          id: row[3],
          type: row[4],
          data: JSON.parse(row[5] as string) as unknown,
          metadata: JSON.parse(row[6] as string) as unknown,
          streamName: row[1],
          revision: row[2],
          position: BigInt(row[0] as number),
        });
      made.length = 0;
      if (rows.length < 1_000) break;
      after = rows[rows.length - 1]![0] as number;
    }
    catchUpMs[name] = { adapter, plainQuery: round(elapsedMs(byPlainQuery)), events: read };
  }
  plain.close();
  await store.close();
  return { events, indexBuildMs, catchUpMs };
}

/** Appends at a steady rate while a live subscription measures append-to-delivery time. */
async function subscriptionLag(): Promise<{ p50: number; p99: number; samples: number }> {
  const store = await runningStore(path.join(dir, 'lag.db'));
  const total = LAG_RATE * LAG_SECONDS;
  const sentAt = new Map<string, bigint>();
  const lags: number[] = [];
  const subscription = store.subscribeToAll();
  const consumer = (async () => {
    for await (const event of subscription) {
      const sent = sentAt.get(event.id);
      if (sent !== undefined) lags.push(elapsedMs(sent));
      if (lags.length === total) return;
    }
  })();
  const interval = 1_000 / LAG_RATE;
  const start = Date.now();
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - Date.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const event = paymentEvent(i);
    sentAt.set(event.id!, process.hrtime.bigint());
    void store.append(`payment-lag-${i % 100}`, [event], { expectedRevision: 'any' });
  }
  await consumer;
  await subscription.close();
  await store.close();
  lags.sort((a, b) => a - b);
  return { p50: round(percentile(lags, 50)), p99: round(percentile(lags, 99)), samples: lags.length };
}

async function main(): Promise<void> {
  const appends: Record<string, number> = {};
  if (PARTS.has('appends'))
    for (const appenders of APPENDERS) {
      appends[appenders] = await durableAppends(appenders);
      console.log(`durable appends, ${appenders} concurrent appenders: ${appends[appenders]} events/s`);
    }
  const readAll = PARTS.has('read-all') ? await readAllThroughput() : undefined;
  if (readAll) {
    console.log(`read-all: ${readAll.eventsPerSecond} events/s over ${READ_EVENTS} events`);
    console.log(`the same rows from SQLite alone, not made into events: ${readAll.rowsPerSecond} rows/s`);
  }
  const filtered = PARTS.has('filtered') ? await filteredReads() : undefined;
  if (filtered) {
    console.log(
      `a log of ${filtered.events} events shaped as the engine's: its category index built at the first open in ${filtered.indexBuildMs} ms`,
    );
    for (const [name, { adapter, plainQuery, events }] of Object.entries(filtered.catchUpMs))
      console.log(`catch-up from 0 by ${name} (${events} events): ${adapter} ms; the plain query: ${plainQuery} ms`);
  }
  const lag = PARTS.has('lag') ? await subscriptionLag() : undefined;
  if (lag)
    console.log(
      `live subscription lag at ${LAG_RATE} events/s: p50 ${lag.p50} ms, p99 ${lag.p99} ms (${lag.samples} events)`,
    );
  console.log(
    JSON.stringify({
      benchmark: 'event-store',
      adapter: 'sqlite (file, WAL, synchronous=FULL)',
      appendsPerSecond: appends,
      readAllEventsPerSecond: readAll?.eventsPerSecond,
      readAllSqliteRowsPerSecond: readAll?.rowsPerSecond,
      filteredReads: filtered,
      subscriptionLagMs: lag && { p50: lag.p50, p99: lag.p99, rate: LAG_RATE },
      machine: machine(),
    }),
  );
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));

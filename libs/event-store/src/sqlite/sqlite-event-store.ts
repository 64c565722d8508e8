import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { catchUpSubscription } from '../catch-up-subscription';
import { EventStoreUnavailableError, WrongExpectedRevisionError } from '../event-store.errors';
import type {
  AppendOptions,
  AppendResult,
  CurrentRevision,
  EventMetadata,
  EventStore,
  EventSubscription,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
} from '../event-store.port';
import {
  assertExpectedRevision,
  assertStreamName,
  checkReadAllOptions,
  checkReadStreamOptions,
  serializeEvents,
  type SerializedEvent,
} from '../event-validation';
import { ChangeSignal } from './change-signal';
import { openDatabase } from './sqlite-schema';
import { WalCheckpointer } from './wal-checkpointer';

export interface SqliteEventStoreOptions {
  /** A file path, or `:memory:` (one process only). */
  readonly file: string;
  /** How long a commit waits for another process holding the write lock. */
  readonly busyTimeoutMs?: number;
  /** How often live subscriptions look for commits made by other processes. */
  readonly pollIntervalMs?: number;
  /** Most appends grouped into one transaction. */
  readonly maxBatch?: number;
  /** How often the background checkpointer folds the WAL into the database file. */
  readonly checkpointIntervalMs?: number;
}

interface PendingAppend {
  readonly streamName: string;
  readonly events: readonly SerializedEvent[];
  readonly expected: ExpectedRevision;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

type Row = [
  position: number,
  stream: string,
  revision: number,
  id: string,
  type: string,
  data: string,
  metadata: string,
];

const COLUMNS = 'position, stream, revision, id, type, data, metadata';
/** The longest SQLite's busy handler may block the event loop before the commit is retried from a timer. */
const BLOCKING_BUSY_MS = 5;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT';
}

/**
 * The embedded event log. Appends made in the same turn of the event loop are committed together
 * (group commit): one fsync for the whole group, while each append still succeeds or fails alone on
 * its own expected revision, inside its own savepoint.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly signal = new ChangeSignal();
  private readonly maxBatch: number;
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly busyTimeoutMs: number;
  /** While another process holds the write lock: when this batch first found it busy, and the retry timer. */
  private busySince: number | undefined;
  private busyRetry: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private lastDataVersion: number;
  private readonly checkpointer: WalCheckpointer | undefined;

  private readonly statements: {
    lastRevision: Database.Statement<[string], number>;
    insert: Database.Statement<[string, number, string, string, string, string]>;
    streamForwards: Database.Statement<[string, number, number], Row>;
    streamBackwards: Database.Statement<[string, number, number], Row>;
    all: Database.Statement<[number, number], Row>;
    byId: Database.Statement<[string], { stream: string; revision: number; position: number }>;
    head: Database.Statement<[], { position: number | null }>;
  };
  /** Filtered read-all statements by number of prefixes: subscriptions run them on every page. */
  private readonly filteredStatements = new Map<number, Database.Statement<unknown[], Row>>();
  private readonly commitBatch: (batch: readonly PendingAppend[]) => (AppendResult | Error)[];

  constructor(options: SqliteEventStoreOptions) {
    if (options.file !== ':memory:') mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true });
    this.db = new Database(options.file);
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
    // SQLite's own busy handler sleeps with the event loop blocked, longer and longer: let it wait a few
    // milliseconds at most, and retry a busy commit from a timer instead (see flush).
    openDatabase(this.db, this.busyTimeoutMs, Math.min(this.busyTimeoutMs, BLOCKING_BUSY_MS));
    this.maxBatch = options.maxBatch ?? 1_000;
    const pollIntervalMs = options.pollIntervalMs ?? 5;
    this.statements = {
      lastRevision: this.db.prepare<[string], number>('SELECT max(revision) FROM events WHERE stream = ?').pluck(),
      insert: this.db.prepare(
        'INSERT INTO events (stream, revision, id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      streamForwards: this.db
        .prepare<[string, number, number], Row>(
          `SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`,
        )
        .raw(),
      streamBackwards: this.db
        .prepare<[string, number, number], Row>(
          `SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`,
        )
        .raw(),
      all: this.db
        .prepare<[number, number], Row>(`SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`)
        .raw(),
      byId: this.db.prepare('SELECT stream, revision, position FROM events WHERE id = ?'),
      head: this.db.prepare<[], { position: number | null }>('SELECT MAX(position) AS position FROM events'),
    };
    this.lastDataVersion = this.dataVersion();
    this.commitBatch = this.createBatchCommit();
    this.poller = setInterval(() => this.pollForeignCommits(), pollIntervalMs);
    this.poller.unref();
    this.checkpointer =
      options.file === ':memory:'
        ? undefined
        : new WalCheckpointer(options.file, options.checkpointIntervalMs ?? 100, (message) => {
            // A failed passive checkpoint is retried on the next tick; the writer's backstop bounds the WAL meanwhile.
            process.emitWarning(`SQLite WAL checkpoint failed: ${message}`);
          });
  }

  async append(streamName: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    this.assertOpen();
    const serialized = serializeEvents(streamName, events);
    assertExpectedRevision(options?.expectedRevision);
    return new Promise((resolve, reject) => {
      this.queue.push({ streamName, events: serialized, expected: options.expectedRevision, resolve, reject });
      this.scheduleFlush();
    });
  }

  async readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    // Reads check the name like writes do, so that a typo is an error rather than an empty stream.
    assertStreamName(streamName);
    const { direction, fromRevision, limit } = checkReadStreamOptions(options);
    const rows =
      direction === 'forwards'
        ? this.statements.streamForwards.all(streamName, fromRevision ?? 0, limit)
        : this.statements.streamBackwards.all(streamName, fromRevision ?? Number.MAX_SAFE_INTEGER, limit);
    return rows.map(toRecordedEvent);
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    const { after, limit, streamPrefixes } = checkReadAllOptions(options);
    if (streamPrefixes.length === 0) return this.statements.all.all(Number(after), limit).map(toRecordedEvent);
    return this.readAllFiltered(after, limit, streamPrefixes);
  }

  async headPosition(): Promise<bigint> {
    this.assertOpen();
    return BigInt(this.statements.head.get()?.position ?? 0);
  }

  subscribeToAll(options?: SubscribeOptions): EventSubscription {
    this.assertOpen();
    checkReadAllOptions(options);
    return catchUpSubscription(
      {
        readAll: (readOptions) => (this.closed ? Promise.resolve([]) : this.readAll(readOptions)),
        changeVersion: () => this.signal.current,
        waitForChange: (seen, abort) => this.signal.waitPast(seen, abort),
      },
      options,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    // Appends waiting for another process's write lock are committed (or time out) before closing.
    while (this.busyRetry) await new Promise((resolve) => setTimeout(resolve, 5));
    this.closed = true;
    clearInterval(this.poller);
    this.poller = undefined;
    this.signal.notify();
    await this.checkpointer?.stop();
    this.db.close();
  }

  private readAllFiltered(after: bigint, limit: number, prefixes: readonly string[]): RecordedEvent[] {
    // A prefix match on TEXT, written as a range so that it is exact (LIKE folds case and treats _ and % as wildcards).
    let statement = this.filteredStatements.get(prefixes.length);
    if (!statement) {
      const ranges = prefixes.map(() => '(stream >= ? AND stream < ?)').join(' OR ');
      statement = this.db
        .prepare<unknown[], Row>(
          `SELECT ${COLUMNS} FROM events WHERE position > ? AND (${ranges}) ORDER BY position LIMIT ?`,
        )
        .raw();
      this.filteredStatements.set(prefixes.length, statement);
    }
    const bounds = prefixes.flatMap((prefix) => [prefix, `${prefix}\u{10FFFF}`]);
    const rows = statement.all(Number(after), ...bounds, limit);
    return rows.map(toRecordedEvent);
  }

  private scheduleFlush(): void {
    // A busy retry is pending: it flushes whatever has joined the queue by then.
    if (this.flushScheduled || this.busyRetry) return;
    this.flushScheduled = true;
    // setImmediate, not a microtask: every appender that resumes in this turn joins the same group.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    this.busyRetry = undefined;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      let outcomes: (AppendResult | Error)[];
      try {
        outcomes = this.commitBatch(batch);
        this.busySince = undefined;
      } catch (error) {
        if (isBusy(error) && !this.closed && this.retryWhenFree(batch)) return;
        this.busySince = undefined;
        const failure = new EventStoreUnavailableError(`SQLite commit failed: ${(error as Error).message}`, {
          cause: error,
        });
        batch.forEach((pending) => pending.reject(failure));
        continue;
      }
      batch.forEach((pending, index) => {
        const outcome = outcomes[index]!;
        if (outcome instanceof Error) pending.reject(outcome);
        else pending.resolve(outcome);
      });
      this.lastDataVersion = this.dataVersion();
      this.signal.notify();
    }
  }

  /**
   * Another process holds the write lock: the batch goes back to the head of the queue and is tried again
   * from a timer, so that this process's event loop keeps running meanwhile. False once the busy timeout
   * has run out (the caller then fails the batch).
   */
  private retryWhenFree(batch: PendingAppend[]): boolean {
    const now = Date.now();
    this.busySince ??= now;
    if (now - this.busySince >= this.busyTimeoutMs) return false;
    this.queue.unshift(...batch);
    const waited = now - this.busySince;
    this.busyRetry = setTimeout(() => this.flush(), Math.min(1 + waited / 4, 20) * (0.5 + Math.random()));
    return true;
  }

  private createBatchCommit(): (batch: readonly PendingAppend[]) => (AppendResult | Error)[] {
    const appendRows = (pending: PendingAppend): AppendResult => {
      const current = this.currentRevision(pending.streamName);
      checkExpected(pending.streamName, pending.expected, current);
      let revision = current === 'no_stream' ? -1 : current;
      let position = 0n;
      for (const event of pending.events) {
        revision += 1;
        const info = this.statements.insert.run(
          pending.streamName,
          revision,
          event.id,
          event.type,
          event.data,
          event.metadata,
        );
        position = BigInt(info.lastInsertRowid);
      }
      return { nextRevision: revision, position };
    };
    // Inside the outer transaction, better-sqlite3 runs this one as a SAVEPOINT, so a failure part-way
    // through a multi-event append rolls back that append only. A single INSERT is atomic by itself
    // (SQLite undoes a failed statement), so one-event appends skip the savepoint's two round trips.
    const appendInSavepoint = this.db.transaction(appendRows);
    const appendOne = (pending: PendingAppend): AppendResult =>
      pending.events.length === 1 ? appendRows(pending) : appendInSavepoint(pending);
    const commit = this.db.transaction((batch: readonly PendingAppend[]) =>
      batch.map((pending) => {
        try {
          return appendOne(pending);
        } catch (error) {
          if (error instanceof WrongExpectedRevisionError || isUniqueViolation(error))
            return this.replayOrConflict(pending);
          throw error;
        }
      }),
    );
    // IMMEDIATE takes the write lock at BEGIN, so another process's writer waits (busy_timeout) rather
    // than failing half-way through with SQLITE_BUSY on upgrade from a read lock.
    return (batch) => commit.immediate(batch);
  }

  /**
   * Event ids are unique across the log. As in KurrentDB, appending the very same events again (a retry
   * whose first reply was lost) succeeds without writing; any other reuse of an id is a conflict, so a
   * fact is never written twice.
   */
  private replayOrConflict(pending: PendingAppend): AppendResult | WrongExpectedRevisionError {
    const existing = pending.events.map((event) => this.statements.byId.get(event.id));
    const first = existing[0];
    const isReplay =
      first !== undefined &&
      existing.every((row, index) => row?.stream === pending.streamName && row.revision === first.revision + index);
    const last = existing[existing.length - 1];
    if (isReplay && last) return { nextRevision: last.revision, position: BigInt(last.position) };
    return new WrongExpectedRevisionError(
      pending.streamName,
      pending.expected,
      this.currentRevision(pending.streamName),
    );
  }

  private currentRevision(streamName: string): CurrentRevision {
    const last = this.statements.lastRevision.get(streamName);
    return last === null || last === undefined ? 'no_stream' : last;
  }

  private pollForeignCommits(): void {
    if (this.closed || !this.signal.hasWaiters) return;
    const version = this.dataVersion();
    if (version === this.lastDataVersion) return;
    this.lastDataVersion = version;
    this.signal.notify();
  }

  /** Changes whenever another connection (or process) commits to the file. */
  private dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreUnavailableError('The SQLite event store is closed');
  }
}

function checkExpected(streamName: string, expected: ExpectedRevision, current: CurrentRevision): void {
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && current === 'no_stream') ||
    (expected === 'stream_exists' && current !== 'no_stream') ||
    expected === current;
  if (!ok) throw new WrongExpectedRevisionError(streamName, expected, current);
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

// Indexed access rather than array destructuring: destructuring goes through the iterator protocol,
// which is measurably slower on this path (read-all builds every recorded event here).
function toRecordedEvent(row: Row): RecordedEvent {
  return {
    id: row[3],
    type: row[4],
    data: JSON.parse(row[5]) as unknown,
    metadata: JSON.parse(row[6]) as EventMetadata,
    streamName: row[1],
    revision: row[2],
    position: BigInt(row[0]),
  };
}

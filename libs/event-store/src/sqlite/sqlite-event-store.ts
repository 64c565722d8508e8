import { mkdirSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { catchUpSubscription, type CatchUpPage } from '../catch-up-subscription';
import { RecentEvents } from './recent-events';
import { EventStoreUnavailableError, InvalidEventStoreInputError } from '../event-store.errors';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  EventSubscription,
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
} from '../event-validation';
import { ChangeSignal } from './change-signal';
import { EVENT_JSON, EVENT_JSON_ROWS, fromEventJson, toLazyRecordedEvent, toRecordedEvent } from './event-rows';
import { COLUMNS, FilteredReads, type EventRow } from './filtered-reads';
import { openDatabase } from './sqlite-schema';
import { SqliteWriter, type StorageFailure } from './sqlite-writer';
import { WalCheckpointer } from './wal-checkpointer';
import { WalWatch } from './wal-watch';

export interface SqliteEventStoreOptions {
  /** A file path: the writer thread and the readers share it, so an in-memory database cannot be used. */
  readonly file: string;
  /** How long a commit waits for another process holding the write lock. */
  readonly busyTimeoutMs?: number;
  /**
   * How often live subscriptions look for commits made by other processes, as a backstop: such commits wake
   * them at once through a watch on the WAL file, and commits of this process through its writer.
   */
  readonly pollIntervalMs?: number;
  /** Most appends grouped into one transaction. */
  readonly maxBatch?: number;
  /** Most appends waiting for the writer before more are refused (`EventStoreUnavailableError`). */
  readonly maxQueued?: number;
  /**
   * The least time between two groups of appends sent to the writer while it is idle (0, the default: at the next
   * turn). See `SqliteWriter`; the apps' `createEventStore` sets `APPS_GROUP_EVERY_MS`.
   */
  readonly groupEveryMs?: number;
  /** How often the background checkpointer folds the WAL into the database file. */
  readonly checkpointIntervalMs?: number;
  /** The reading connection's page cache (`READ_CACHE_MIB` by default). */
  readonly readCacheMib?: number;
  /**
   * How long `/health` stays down after a commit failed on a read-only file or an I/O error, unless one is written
   * sooner (30 s). A full disk keeps it down until one is, or the disk has room (`checkWritable`).
   */
  readonly storageFailureHoldMs?: number;
  /** The least time between two warnings of a failed WAL checkpoint (`CHECKPOINT_WARNING_EVERY_MS`). */
  readonly checkpointWarningEveryMs?: number;
}

/**
 * The reading connection's page cache, in MiB. Small, because in WAL mode a reader drops its whole cache at
 * its first read after any commit, and that drop walks a hash table as large as the cache has ever been.
 * Measured on one file (a script outside the repository), with a commit before each read: `data_version`
 * took 75 µs and the stream read after it 66 µs with 64 MiB (once filled by a scan), 16 and 40 µs with 4 MiB.
 * The live engine commits several times a payment and reads after each. A read with no commit before it
 * took 20–26 µs either way.
 */
const READ_CACHE_MIB = 4;
/**
 * The embedded event log. Appends go to one writer thread per file and process (`SqliteWriter`), which
 * commits them in pipelined groups: one fsync for a whole group, each append still succeeding or failing
 * alone on its own expected revision. Reads use their own connection on the calling thread; in WAL mode
 * they never wait for the writer.
 */
/** Newest events kept for this process's subscriptions: minutes of a busy chain's traffic. */
const RECENT_EVENTS = 20_000;
/**
 * And at most this much of their rows' JSON text (`EVENT_JSON`): 20,000 events of the engine's own, a few hundred
 * characters each, stay well within it; events of up to 1 MiB each do not make the window hold gigabytes.
 */
const RECENT_CHARACTERS = 16 * 1024 * 1024;
const FILL_PAGE = 1_000;
/** The stream `checkWritable`'s empty append names: no event is ever written to it. */
const WRITABLE_PROBE_STREAM = '$writable-probe';
/** The least time between two warnings of a failed WAL checkpoint. */
const CHECKPOINT_WARNING_EVERY_MS = 60_000;
/** The least free space after a full disk that `/health` takes as room again. */
const ROOM_AFTER_FULL_BYTES = 1024 * 1024;

/** After a write to the WAL by another connection, when its commit is looked for again (see `chaseForeignCommit`). */
const CHASE_DELAYS_MS = [1, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly signal = new ChangeSignal();
  private readonly writer: SqliteWriter;
  private readonly file: string;
  private readonly storageFailureHoldMs: number;
  private closed = false;
  private closing: Promise<void> | undefined;
  private poller: NodeJS.Timeout | undefined;
  private chase: NodeJS.Timeout | undefined;
  private chaseStep = 0;
  private readonly walWatch: WalWatch;
  private lastDataVersion: number;
  private readonly checkpointer: WalCheckpointer;

  private readonly statements: {
    streamForwards: Database.Statement<[string, number, number], EventRow>;
    streamBackwards: Database.Statement<[string, number, number], EventRow>;
    all: Database.Statement<[number, number], string>;
    allRows: Database.Statement<[number, number], EventRow>;
    head: Database.Statement<[], { position: number | null }>;
    dataVersion: Database.Statement<[], number>;
  };
  /** The newest events, for this process's subscriptions (see `RecentEvents`); filled when the signal moved. */
  private readonly recent = new RecentEvents(RECENT_EVENTS, RECENT_CHARACTERS);
  private recentVersion = -1;
  /** Test hook (`dropSubscriptions`): subscriptions opened before this generation fail with `dropError`. */
  private dropGeneration = 0;
  private dropError: Error = new EventStoreUnavailableError('the subscription was dropped');
  /** Reads by stream prefix: subscriptions run them on every page while they catch up. Each row one JSON text. */
  private readonly filtered: FilteredReads<string>;
  /** The same with `lazyMetadata` (the rebuild's), whose events keep their metadata text apart: rows in columns. */
  private readonly filteredRows: FilteredReads;

  constructor(options: SqliteEventStoreOptions) {
    if (options.file === ':memory:' || options.file.startsWith('file::memory:'))
      throw new InvalidEventStoreInputError(
        'The embedded event log needs a file (its writer thread and its readers share it): not :memory:',
      );
    mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true });
    this.db = new Database(options.file);
    const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
    // Setting up waits for other processes' locks, blocking, as nothing else runs yet. This connection only
    // reads afterwards, and in WAL mode a reader never waits for a writer.
    openDatabase(this.db, busyTimeoutMs, busyTimeoutMs, options.readCacheMib ?? READ_CACHE_MIB);
    this.file = options.file;
    this.storageFailureHoldMs = options.storageFailureHoldMs ?? 30_000;
    this.writer = new SqliteWriter({
      file: options.file,
      busyTimeoutMs,
      maxBatch: options.maxBatch ?? 1_000,
      // Ten full groups: at the rates bench:event-store measures, a few seconds of appends, well beyond any
      // wait a POS or Dintero would sit through.
      maxQueued: options.maxQueued ?? 10_000,
      groupEveryMs: options.groupEveryMs ?? 0,
      onCommit: () => {
        if (this.closed) return;
        try {
          this.lastDataVersion = this.dataVersion();
        } catch {
          // The version stays as last seen: the next look (`noticeCommits`) finds it moved and wakes again.
        }
        this.signal.notify();
      },
    });
    const pollIntervalMs = options.pollIntervalMs ?? 20;
    this.filtered = new FilteredReads<string>(this.db, EVENT_JSON_ROWS);
    this.filteredRows = new FilteredReads(this.db);
    this.statements = {
      streamForwards: this.db
        .prepare<[string, number, number], EventRow>(
          `SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`,
        )
        .raw(),
      streamBackwards: this.db
        .prepare<[string, number, number], EventRow>(
          `SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`,
        )
        .raw(),
      // Read-all as most callers read it (eagerly, every stream): each row one JSON text (see `EVENT_JSON`).
      all: this.db
        .prepare<[number, number], string>(
          `SELECT ${EVENT_JSON} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
        )
        .pluck(),
      // The same for a read with `lazyMetadata`, whose events keep their metadata text apart.
      allRows: this.db
        .prepare<[number, number], EventRow>(
          `SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
        )
        .raw(),
      head: this.db.prepare<[], { position: number | null }>('SELECT MAX(position) AS position FROM events'),
      // Prepared once: better-sqlite3's `pragma()` prepares the statement again on every call (1% of the
      // engine's CPU at 200 payments/s, polled every few milliseconds and read after every commit).
      dataVersion: this.db.prepare<[], number>('PRAGMA data_version').pluck(),
    };
    this.lastDataVersion = this.dataVersion();
    this.poller = setInterval(() => this.pollForeignCommits(), pollIntervalMs);
    this.poller.unref();
    this.walWatch = new WalWatch(options.file, () => this.chaseForeignCommit());
    // A failed passive checkpoint is retried on the next tick; the writer's backstop bounds the WAL meanwhile. Said
    // once a minute at most (with how many failed since): a full disk fails every tick, ten a second, and the lines
    // would go to that same disk.
    let lastWarned = -Infinity;
    let failedSince = 0;
    const warningEveryMs = options.checkpointWarningEveryMs ?? CHECKPOINT_WARNING_EVERY_MS;
    this.checkpointer = new WalCheckpointer(options.file, options.checkpointIntervalMs ?? 100, (message) => {
      failedSince += 1;
      const now = performance.now();
      if (now - lastWarned < warningEveryMs) return;
      const times = failedSince === 1 ? '' : ` (${failedSince} times since the last warning)`;
      process.emitWarning(`SQLite WAL checkpoint failed${times}: ${message}`);
      lastWarned = now;
      failedSince = 0;
    });
  }

  async append(streamName: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    this.assertOpen();
    // Bad input is refused here, before anything is queued to the writer.
    const serialized = serializeEvents(streamName, events);
    assertExpectedRevision(options?.expectedRevision);
    return this.writer.append(streamName, serialized, options.expectedRevision);
  }

  /**
   * An append of no events through the writer thread: a write transaction (`BEGIN IMMEDIATE`, which takes the file's
   * write lock, waiting up to the busy timeout) that commits nothing, so writes no page and syncs nothing.
   */
  async checkWritable(): Promise<void> {
    this.assertOpen();
    await this.writer.append(WRITABLE_PROBE_STREAM, [], 'any');
    // That takes the lock, but a full disk shows only when a commit writes: the last one that did failed so.
    const failing = this.writer.failingStorage;
    if (failing === undefined || (await this.storageBack(failing))) return;
    throw new EventStoreUnavailableError(
      `The last append could not be written, and none has been since: ${failing.message}`,
    );
  }

  /**
   * Whether the storage that failed an append may take one now, though none has been written since. An instance its
   * health takes out of rotation gets no appends to show it, so a full disk is asked for its free space (writing
   * nothing): down steadily while it has no room for what failed, up once it has. A read-only file or an I/O error
   * cannot be asked so: up again after a hold, to be tried with traffic, and down again should its appends fail.
   */
  private async storageBack(failing: StorageFailure): Promise<boolean> {
    if (!failing.full) return performance.now() - failing.at >= this.storageFailureHoldMs;
    const { bavail, bsize } = await statfs(path.dirname(path.resolve(this.file)));
    // The events again, their indexes and the WAL's frames: several times their bytes, and a page cache's worth.
    return bavail * bsize >= Math.max(ROOM_AFTER_FULL_BYTES, 4 * failing.bytes);
  }

  async readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    // Reads check the name like writes do, so that a typo is an error rather than an empty stream.
    assertStreamName(streamName);
    const { direction, fromRevision, limit } = checkReadStreamOptions(options);
    // The tail of a stream the window of recent events holds (a command's cached state, read on from its
    // revision): from memory, once every commit made until now, here or elsewhere, is in the window.
    if (direction === 'forwards') {
      this.catchUpWithCommits();
      const tail = this.recent.streamTail(streamName, fromRevision ?? 0, limit);
      if (tail) return tail;
    }
    const rows =
      direction === 'forwards'
        ? this.statements.streamForwards.all(streamName, fromRevision ?? 0, limit)
        : this.statements.streamBackwards.all(streamName, fromRevision ?? Number.MAX_SAFE_INTEGER, limit);
    return rows.map(toRecordedEvent);
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    const { after, limit, streamPrefixes } = checkReadAllOptions(options);
    return this.readFromSql(after, limit, streamPrefixes, options?.lazyMetadata === true);
  }

  async headPosition(): Promise<bigint> {
    this.assertOpen();
    return BigInt(this.statements.head.get()?.position ?? 0);
  }

  subscribeToAll(options?: SubscribeOptions): EventSubscription {
    this.assertOpen();
    checkReadAllOptions(options);
    const generation = this.dropGeneration;
    return catchUpSubscription(
      {
        readAll: (readOptions) => {
          if (generation < this.dropGeneration) return Promise.reject(this.dropError);
          return this.closed ? Promise.resolve({ events: [] }) : this.readForSubscription(readOptions);
        },
        changeVersion: () => this.signal.current,
        waitForChange: (seen, abort) => this.signal.waitPast(seen, abort),
        // Closing notifies the signal: a subscription waiting then ends.
        closed: () => this.closed,
      },
      options,
    );
  }

  /**
   * Test hook: every subscription open now fails with `error` at its next read, as KurrentDB ends its
   * subscriptions on a restart or a leader change. Subscriptions opened afterwards work as usual.
   */
  dropSubscriptions(error: Error = new EventStoreUnavailableError('the subscription was dropped')): void {
    this.dropError = error;
    this.dropGeneration += 1;
    this.signal.notify();
  }

  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    // Appends already accepted are committed (or time out on another process's lock) before closing.
    await this.writer.close();
    this.closed = true;
    clearInterval(this.poller);
    this.poller = undefined;
    this.walWatch.stop();
    clearTimeout(this.chase);
    this.signal.notify();
    await this.checkpointer.stop();
    this.db.close();
  }

  /** A subscription's page: from the recent events when they cover it, from SQL when it is catching up. */
  private async readForSubscription(options: ReadAllOptions): Promise<CatchUpPage> {
    this.assertOpen();
    const { after, limit, streamPrefixes } = checkReadAllOptions(options);
    this.fillRecent();
    const recent = this.recent.read(after, limit, streamPrefixes);
    if (recent) return recent;
    // The head before the read: every event up to it is visible to the read (one writer at a time commits
    // positions in order), so a page that is not full considered all of them.
    const head = BigInt(this.statements.head.get()?.position ?? 0);
    const events = this.readFromSql(after, limit, streamPrefixes);
    return events.length < limit ? { events, through: head } : { events };
  }

  private readFromSql(
    after: bigint,
    limit: number,
    prefixes: readonly string[],
    lazyMetadata = false,
  ): RecordedEvent[] {
    // A lazy event needs its metadata text apart: its rows stay in columns.
    if (lazyMetadata)
      return (
        prefixes.length > 0
          ? this.filteredRows.read(Number(after), limit, prefixes)
          : this.statements.allRows.all(Number(after), limit)
      ).map(toLazyRecordedEvent);
    return (
      prefixes.length > 0
        ? this.filtered.read(Number(after), limit, prefixes)
        : this.statements.all.all(Number(after), limit)
    ).map(fromEventJson);
  }

  /**
   * Reads what was committed since the recent events were last filled, once for every subscription. The
   * signal's version is taken before the read: a commit during it moves the version again, and the next
   * read fills again, so nothing is missed.
   */
  private fillRecent(): void {
    const version = this.signal.current;
    if (version === this.recentVersion) return;
    if (this.recent.end === undefined) this.recent.startAt(BigInt(this.statements.head.get()?.position ?? 0));
    for (let page = 0; ; page++) {
      const rows = this.statements.all.all(Number(this.recent.end), FILL_PAGE);
      this.recent.push(
        rows.map(fromEventJson),
        rows.map((row) => row.length),
      );
      if (rows.length < FILL_PAGE) break;
      // More than a page came at once: another process appended a backlog. Past the window's size, only its newest
      // part is read; parsing all of it here blocked every read of this process (1.7 s for 300,000 events), to
      // keep a window that drops most of them. Subscriptions behind the window read the rest from SQL, in pages.
      if (page === 0) this.skipToWindow();
    }
    // Only once every page is read: a read that throws (the disk, a lock) leaves the next call to read again.
    this.recentVersion = version;
  }

  /**
   * Brings the recent events up to every commit made until now: a commit by another connection (the writer
   * thread's, or another process's) moves `data_version`, which then moves the signal, and `fillRecent` reads
   * what came.
   */
  private catchUpWithCommits(): void {
    this.noticeCommits();
    this.fillRecent();
  }

  private pollForeignCommits(): void {
    if (this.closed || !this.signal.hasWaiters) return;
    this.noticeCommitsFromTimer();
  }

  /**
   * Another connection wrote the WAL: its commit becomes visible once its frames are synced, a moment after
   * the write the watch told of (an fsync: milliseconds, more on a busy disk). Looked for at once, then after
   * 1, 1, 2, 4 ms and so on, doubling, for about a second after the last write told of: not only until the
   * version moves, which may be an earlier commit's. A write while this process's own writer commits is
   * taken for its own, whose commit wakes the subscriptions itself (a foreign commit at that very moment
   * waits for the next write or the poll, as before the watch).
   */
  private chaseForeignCommit(): void {
    if (this.closed || this.writer.committing) return;
    // Already looking again within 2 ms, and for about a second after that.
    if (this.chase && this.chaseStep <= 2) return;
    clearTimeout(this.chase);
    this.lookForCommits(0);
  }

  private lookForCommits(step: number): void {
    this.chase = undefined;
    this.chaseStep = step;
    if (this.closed) return;
    // Whether or not a subscription waits now: one that is busy reading looks at the signal before it waits.
    this.noticeCommitsFromTimer();
    if (step < CHASE_DELAYS_MS.length) {
      this.chase = setTimeout(() => this.lookForCommits(step + 1), CHASE_DELAYS_MS[step]);
      this.chase.unref();
    }
  }

  /**
   * Moves the signal when another connection (the writer thread, another process) committed since last seen.
   */
  private noticeCommits(): void {
    const version = this.dataVersion();
    if (version === this.lastDataVersion) return;
    this.lastDataVersion = version;
    this.signal.notify();
  }

  /**
   * `noticeCommits` on a timer (the poll, the chase): a failed read of the version (a lock, the disk) is left for
   * the next look or read, which finds the version moved; thrown out of a timer, it would end the process.
   */
  private noticeCommitsFromTimer(): void {
    try {
      this.noticeCommits();
    } catch {
      // The version stays as last seen.
    }
  }

  /** Restarts the recent events a window's size before the head, when the head is further than that. */
  private skipToWindow(): void {
    const head = this.statements.head.get()?.position ?? 0;
    const from = head - RECENT_EVENTS;
    if (from > Number(this.recent.end)) this.recent.restartAt(BigInt(from));
  }

  /** Changes whenever another connection (or process) commits to the file. */
  private dataVersion(): number {
    return this.statements.dataVersion.get()!;
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreUnavailableError('The SQLite event store is closed');
  }
}

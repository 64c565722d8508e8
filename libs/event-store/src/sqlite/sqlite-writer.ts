import { Worker } from 'node:worker_threads';
import { EventStoreStorageError, EventStoreUnavailableError, WrongExpectedRevisionError } from '../event-store.errors';
import type { AppendResult, CurrentRevision, ExpectedRevision } from '../event-store.port';
import type { SerializedEvent } from '../event-validation';
import { BACKSTOP_CHECKPOINT_PAGES } from './sqlite-schema';

/** One append as the writer thread receives it: stream, expected revision, serialized events. */
interface WireAppend {
  readonly s: string;
  readonly x: ExpectedRevision;
  readonly e: readonly SerializedEvent[];
}

/** Per append: `[nextRevision, position]`, or the stream's current revision when the expectation failed. */
type WireResult = readonly [number, number] | { readonly conflict: CurrentRevision };

type FromWriter =
  { readonly id: number; readonly results: readonly WireResult[] } | { readonly id: number; readonly error: string };

interface PendingAppend extends WireAppend {
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The writer thread. It is JavaScript in a string, run with `eval`, rather than a module of its own: a worker
 * starts a bare Node.js, which cannot load this TypeScript under Jest, and the string needs no build step to
 * sit beside the compiled code in `dist/`. It owns the file's only write connection in this process and
 * commits each batch it is sent as one IMMEDIATE transaction: one fsync for the group, each append checked
 * on its own expected revision (and, when it has several events, inside its own savepoint). SQLite's busy
 * handler may block here as long as it likes: only this thread waits for another process's write lock. Its
 * 64 MiB of page cache keeps the indexes' hot pages (random event ids, stream tails): a connection's own
 * commits leave its cache as it is; only another process's commit drops it.
 */
const WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
db.pragma('synchronous = FULL');
db.pragma('wal_autocheckpoint = ' + workerData.backstopPages);
db.pragma('cache_size = -65536');
const lastRevision = db.prepare('SELECT max(revision) FROM events WHERE stream = ?').pluck();
const insert = db.prepare('INSERT INTO events (stream, revision, id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)');
const byId = db.prepare('SELECT stream, revision, position FROM events WHERE id = ?');
class Conflict { constructor(current) { this.current = current; } }
const current = (stream) => { const last = lastRevision.get(stream); return last === null || last === undefined ? 'no_stream' : last; };
const meets = (expected, at) => expected === 'any' || (expected === 'no_stream' && at === 'no_stream') ||
  (expected === 'stream_exists' && at !== 'no_stream') || expected === at;
function appendRows(append) {
  const at = current(append.s);
  if (!meets(append.x, at)) throw new Conflict(at);
  let revision = at === 'no_stream' ? -1 : at;
  let position = 0;
  for (const event of append.e) {
    revision += 1;
    position = Number(insert.run(append.s, revision, event.id, event.type, event.data, event.metadata).lastInsertRowid);
  }
  return [revision, position];
}
// A retry of the very same events (its first reply lost) succeeds without writing, as KurrentDB's idempotence does:
// the same ids, in order, where the expected revision put them (anywhere in the stream for 'any' and
// 'stream_exists'). Other reuse of an id conflicts: a retry decided on an older state must decide again.
function replayOrConflict(append) {
  const rows = append.e.map((event) => byId.get(event.id));
  const first = rows[0];
  const at = append.x === 'no_stream' ? 0 : typeof append.x === 'number' ? append.x + 1 : undefined;
  const replay = first !== undefined && (at === undefined || first.revision === at) &&
    rows.every((row, i) => row && row.stream === append.s && row.revision === first.revision + i);
  const last = rows[rows.length - 1];
  return replay && last ? [last.revision, last.position] : { conflict: current(append.s) };
}
const inSavepoint = db.transaction(appendRows);
const commit = db.transaction((batch) => batch.map((append) => {
  try { return append.e.length === 1 ? appendRows(append) : inSavepoint(append); }
  catch (error) {
    if (error instanceof Conflict || (error && error.code === 'SQLITE_CONSTRAINT_UNIQUE')) return replayOrConflict(append);
    throw error;
  }
}));
parentPort.on('message', (message) => {
  if (message === 'close') { db.close(); parentPort.close(); return; }
  try { parentPort.postMessage({ id: message.id, results: commit.immediate(message.batch) }); }
  catch (error) { parentPort.postMessage({ id: message.id, error: String((error && error.message) || error) }); }
});
`;

/** SQLite's messages for a commit that found no place to go: SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR. */
const STORAGE_FAILURE = /disk is full|readonly database|disk I\/O error/i;
/** SQLITE_FULL's. */
const DISK_FULL = /disk is full/i;

/** A commit of events that failed for want of storage, standing until a commit of events succeeds. */
export interface StorageFailure {
  readonly message: string;
  /** When, by `performance.now()`. */
  readonly at: number;
  /** SQLITE_FULL: the disk (or the file's quota) has no room, rather than refusing writes. */
  readonly full: boolean;
  /** The events' bytes the failed group held: how much room it looked for. */
  readonly bytes: number;
}

/**
 * The main thread's side of the writer: appends queue here and go to the writer thread in groups,
 * pipelined, so that while one group is being committed and fsynced the next one collects. The event loop
 * never waits on a commit, an fsync or another process's lock. `onCommit` runs after every group, so that
 * subscriptions in this process wake on the commit itself rather than on a timer.
 */
export class SqliteWriter {
  private worker: Worker | undefined;
  private queue: PendingAppend[] = [];
  private inFlight: { readonly id: number; readonly batch: readonly PendingAppend[] } | undefined;
  private nextId = 1;
  private sendScheduled = false;
  /** When the last group was sent, by `performance.now()`. */
  private lastSentAt = -Infinity;
  private idle: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  /**
   * Why the last group that wrote events failed for want of a place to write them (a full disk, a read-only file, an
   * I/O error), and when, until a group writes again: the probe's empty commit writes no page, and would pass
   * meanwhile.
   */
  private storageFailure: StorageFailure | undefined;

  constructor(
    private readonly options: {
      readonly file: string;
      readonly busyTimeoutMs: number;
      readonly maxBatch: number;
      /**
       * Most appends waiting for the writer (not counting the group being committed): beyond it an append is
       * refused at once, as the log being out of reach is, rather than queued while memory and latency grow
       * without end (a disk that stalls, another process holding the write lock, a flood).
       */
      readonly maxQueued: number;
      /**
       * The least time from sending one group to sending the next one that did not wait behind it (0: at the
       * next turn). An append that finds the writer idle goes at once when the last group went longer ago than
       * this; else it waits for the rest, and the appends that come meanwhile join it. Each group costs the same
       * whatever it holds (two messages between the threads, a commit and its fsync, the reading connection's
       * look at the log after it, the subscriptions' wake and the projector's flush it starts), so at a few
       * hundred appends a second fewer, fuller groups are less CPU, for up to this much more latency.
       */
      readonly groupEveryMs: number;
      readonly onCommit: () => void;
    },
  ) {}

  append(streamName: string, events: readonly SerializedEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    // Accepted appends are committed before the thread ends; one that comes after close began is refused.
    if (this.closing) return Promise.reject(new EventStoreUnavailableError('The SQLite event store is closing'));
    if (this.queue.length >= this.options.maxQueued)
      return Promise.reject(
        new EventStoreUnavailableError(
          `The SQLite writer has ${this.queue.length} appends waiting for the disk: refused until it catches up`,
        ),
      );
    return new Promise((resolve, reject) => {
      this.queue.push({ s: streamName, x: expected, e: events, resolve, reject });
      this.scheduleSend();
    });
  }

  /** Why the last commit of events failed for want of storage, while none has succeeded since. */
  get failingStorage(): StorageFailure | undefined {
    return this.storageFailure;
  }

  /** Whether a group is being committed: a write to the WAL now is most likely this writer's own. */
  get committing(): boolean {
    return this.inFlight !== undefined;
  }

  /** Commits what is queued and in flight, then ends the thread; every caller gets the same promise. */
  close(): Promise<void> {
    this.closing ??= this.drainAndStop();
    return this.closing;
  }

  private async drainAndStop(): Promise<void> {
    if (this.inFlight || this.queue.length > 0) {
      await new Promise<void>((resolve) => {
        this.idle = resolve;
        this.scheduleSend();
      });
    }
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.ref(); // kept alive until the thread has closed its connection
    worker.postMessage('close');
    await exited;
  }

  private scheduleSend(): void {
    if (this.sendScheduled || this.inFlight) return;
    this.sendScheduled = true;
    const go = () => {
      this.sendScheduled = false;
      this.send();
    };
    const wait = this.lastSentAt + this.options.groupEveryMs - performance.now();
    // setImmediate, not a microtask: every appender that resumes in this turn joins the same group.
    if (wait > 0) setTimeout(go, wait);
    else setImmediate(go);
  }

  private send(): void {
    if (this.inFlight) return;
    if (this.queue.length === 0) {
      this.idle?.();
      this.idle = undefined;
      return;
    }
    const batch = this.queue.splice(0, this.options.maxBatch);
    this.inFlight = { id: this.nextId++, batch };
    this.lastSentAt = performance.now();
    const thread = this.thread();
    // Referenced while a group is in flight, so that a script awaiting an append is not ended under it.
    thread.ref();
    thread.postMessage({ id: this.inFlight.id, batch: batch.map(({ s, x, e }) => ({ s, x, e })) });
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WRITER_SOURCE, {
      eval: true,
      workerData: {
        file: this.options.file,
        busyTimeoutMs: this.options.busyTimeoutMs,
        backstopPages: BACKSTOP_CHECKPOINT_PAGES,
        driver: require.resolve('better-sqlite3'),
      },
    });
    worker.on('message', (message: FromWriter) => this.settle(message));
    // A thread that dies takes its group with it: that group fails (it may or may not be committed, as with
    // any write whose answer is lost; a retry with the same event ids is recognised), and the next group
    // starts a new thread.
    const fail = (reason: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const lost = this.inFlight;
      this.inFlight = undefined;
      lost?.batch.forEach((pending) =>
        pending.reject(new EventStoreUnavailableError(`The SQLite writer stopped: ${reason}`)),
      );
      this.send();
    };
    worker.on('error', (error) => fail(error.message));
    worker.on('exit', (code) => fail(`exit code ${code}`));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private settle(message: FromWriter): void {
    const group = this.inFlight;
    if (!group || group.id !== message.id) return;
    this.inFlight = undefined;
    if ('error' in message) {
      const storage = STORAGE_FAILURE.test(message.error);
      // Said as what it is, so that the caller's answer can say it: nothing was written, the disk refused it.
      const failure = storage
        ? new EventStoreStorageError(message.error)
        : new EventStoreUnavailableError(`SQLite commit failed: ${message.error}`);
      const bytes = group.batch.reduce(
        (sum, pending) => sum + pending.e.reduce((size, event) => size + event.data.length + event.metadata.length, 0),
        0,
      );
      if (storage && bytes > 0)
        this.storageFailure = {
          message: message.error,
          at: performance.now(),
          full: DISK_FULL.test(message.error),
          bytes,
        };
      group.batch.forEach((pending) => pending.reject(failure));
    } else {
      // An event written (not refused for its expected revision): the disk has room again.
      if (group.batch.some((pending, index) => pending.e.length > 0 && !('conflict' in message.results[index]!)))
        this.storageFailure = undefined;
      group.batch.forEach((pending, index) => {
        const result = message.results[index]!;
        if ('conflict' in result) pending.reject(new WrongExpectedRevisionError(pending.s, pending.x, result.conflict));
        else pending.resolve({ nextRevision: result[0], position: BigInt(result[1]) });
      });
    }
    try {
      if (!('error' in message)) this.options.onCommit();
    } finally {
      // Whatever `onCommit` does, the next group goes: appends queued meanwhile never wait for another one.
      if (this.queue.length === 0) this.worker?.unref();
      this.send();
    }
  }
}

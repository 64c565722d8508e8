import type { NatsConnection } from '@nats-io/transport-node';
import type { ObjectStore } from '@nats-io/obj';
import type { LogMark } from '@app/event-store';
import { natsNames, replicatedObjectStore, type NatsNames } from '@app/messaging';

/** A worker's state as of a position in the log: the worker follows the log from after it. */
export interface LogCheckpoint<State extends object> {
  /** The log position the snapshot is as of: the worker follows the log from after it. */
  readonly position: bigint;
  /** The event at that position (absent on checkpoints saved before it was kept): a restored log is told by it. */
  readonly mark?: LogMark;
  /**
   * The worker's snapshot, an object: its fields are stored beside the checkpoint's own (`version`, `position`, `mark`,
   * `savedAt`, which it must not name), as the reconciler's `due` always was.
   */
  readonly state: State;
}

/** Which worker's checkpoint, where it is kept, and the shape of its snapshot. */
export interface CheckpointKind {
  /** Who keeps it, in log lines (`the reconciler checkpoint`). */
  readonly name: string;
  /** The object store it is kept in, one a worker. */
  readonly store: (names: NatsNames) => string;
  /** The object's name before the log's identity. */
  readonly object: string;
  /**
   * The shape of the snapshot this version writes and reads: a checkpoint of any other is not read, and the log is
   * followed from its start. Changed with every field an older snapshot would miss.
   */
  readonly version: number;
}

/** A checkpoint in a shape this version does not read (an older one's, or a newer one's after a downgrade). */
export class CheckpointVersionError extends Error {}

/** What is stored: the checkpoint's own fields, and the worker's snapshot's beside them. */
interface Header {
  readonly version: number;
  readonly position: string;
  readonly mark?: LogMark;
  readonly savedAt: string;
}

/** The longest a checkpoint is waited for at boot: past it, the worker follows the log from its start. */
const LOAD_LIMIT_MS = 10_000;
/** A read that gets no chunk for this long looks whether the object was saved again meanwhile. */
const STALL_MS = 500;
/** Reads of a checkpoint that another instance's saves replaced, before the log is followed from its start. */
const LOAD_ATTEMPTS = 3;

/** The object was saved again while it was read: its chunks are gone, and the new one is read instead. */
class ReplacedWhileReadError extends Error {}

/**
 * A worker's checkpoint (the reconciler's, the nightly close's): what it folded from the log as of a position in it,
 * so that a restart follows the log from there instead of replaying all of it. One object per log (named by the log's
 * identity, so that a replaced log never picks up another's), in a JetStream object store of the worker's: a snapshot
 * may be more than one NATS message (1 MiB) holds (every open payment at a chain's peak), and the object store chunks
 * it. Any instance may save it: each follows the same log, and a snapshot is right as of its own position whichever
 * instance wrote it.
 */
export class LogCheckpoints<State extends object> {
  private constructor(
    private readonly store: ObjectStore,
    private readonly kind: CheckpointKind,
  ) {}

  /** `replicas`: on how many servers of the NATS cluster the store is kept (`NATS_REPLICAS`). */
  static async open<State extends object>(
    nats: NatsConnection,
    prefix: string,
    kind: CheckpointKind,
    replicas: number | undefined,
  ): Promise<LogCheckpoints<State>> {
    const name = kind.store(natsNames(prefix));
    return new LogCheckpoints<State>(await replicatedObjectStore(nats, name, replicas), kind);
  }

  /**
   * The checkpoint of this log, or undefined when there is none. Another instance's save purges the chunks being
   * read, and the read then waits for chunks that never come: a read that stalls looks whether the object was saved
   * again, and if so reads the new one (up to LOAD_ATTEMPTS reads). Rejects after LOAD_LIMIT_MS in all, and with
   * `CheckpointVersionError` for a checkpoint of another version.
   */
  async load(logId: string): Promise<LogCheckpoint<State> | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no checkpoint read within ${LOAD_LIMIT_MS} ms`)), LOAD_LIMIT_MS);
    });
    // Raced at every wait; between two of them (asking for the object's info) it must not go unhandled.
    limit.catch(() => undefined);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.loadOnce(this.objectName(logId), limit);
        } catch (error) {
          if (!(error instanceof ReplacedWhileReadError) || attempt >= LOAD_ATTEMPTS) throw error;
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private async loadOnce(name: string, limit: Promise<never>): Promise<LogCheckpoint<State> | undefined> {
    const result = await Promise.race([this.store.get(name), limit]);
    if (!result) return undefined;
    const reader = result.data.getReader();
    try {
      const chunks: Uint8Array[] = [];
      for (;;) {
        const { done, value } = await this.nextChunk(reader, name, result.info.nuid, limit);
        if (done) break;
        chunks.push(value);
      }
      const stored = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Header & State;
      const { version, position, mark, savedAt: _savedAt, ...state } = stored;
      if (version !== this.kind.version)
        throw new CheckpointVersionError(
          `checkpoint ${name} is of version ${String(version)}, this version reads ${this.kind.version}`,
        );
      return { position: BigInt(position), ...(mark ? { mark } : {}), state: state as unknown as State };
    } catch (error) {
      // Stops the object's consumer too: a read given up on must not stay open for the process's life.
      void reader.cancel().catch(() => undefined);
      throw error;
    }
  }

  /** The next chunk; `ReplacedWhileReadError` when none comes and the object (`nuid`) was saved again. */
  private async nextChunk(
    reader: ReadableStreamDefaultReader<Uint8Array>,
    name: string,
    nuid: string,
    limit: Promise<never>,
  ): Promise<Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>> {
    const read = reader.read();
    for (;;) {
      let stall: NodeJS.Timeout | undefined;
      const stalled = new Promise<'stalled'>((resolve) => (stall = setTimeout(() => resolve('stalled'), STALL_MS)));
      try {
        const next = await Promise.race([read, stalled, limit]);
        if (next !== 'stalled') return next;
      } finally {
        clearTimeout(stall);
      }
      const now = await this.store.info(name);
      if (now?.nuid !== nuid) throw new ReplacedWhileReadError(`checkpoint ${name} was saved again while read`);
    }
  }

  /**
   * Saves the checkpoint unless the one stored is already as far (another instance's, or one this instance
   * made before falling behind): the object's description names its position, read without its chunks.
   * Two instances saving in the same instant may still write in either order; either is right as of its
   * own position, and the next save moves it on. `replacing`: saved over one whatever its position, one of another
   * version or one the instance could not take (`CheckpointKeeperOptions.refuses`), which would otherwise stay (and be
   * read past again at each start) until the log moves beyond it.
   * A snapshot holding a number JSON cannot write (NaN, an infinity: it would be read back as null) is refused.
   */
  async save(logId: string, checkpoint: LogCheckpoint<State>, replacing = false): Promise<void> {
    const name = this.objectName(logId);
    const header: Header = {
      version: this.kind.version,
      position: checkpoint.position.toString(),
      ...(checkpoint.mark ? { mark: checkpoint.mark } : {}),
      savedAt: new Date().toISOString(),
    };
    const json = JSON.stringify({ ...checkpoint.state, ...header }, (key, value: unknown) => {
      if (typeof value === 'number' && !Number.isFinite(value))
        throw new Error(`checkpoint ${name} would not keep ${String(value)} (at ${JSON.stringify(key)})`);
      return value;
    });
    // Written out before the first wait: the worker goes on folding the log meanwhile, into what the snapshot holds.
    const stored = await this.store.info(name);
    const asFar = stored?.description && !stored.deleted && BigInt(stored.description) >= checkpoint.position;
    if (asFar && !replacing) return;
    await this.store.putBlob({ name, description: checkpoint.position.toString() }, Buffer.from(json, 'utf8'));
  }

  private objectName(logId: string): string {
    return `${this.kind.object}.${logId}`;
  }
}

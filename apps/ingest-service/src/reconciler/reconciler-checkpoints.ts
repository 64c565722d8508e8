import type { NatsConnection } from '@nats-io/transport-node';
import type { ObjectStore } from '@nats-io/obj';
import type { LogMark } from '@app/event-store';
import { natsNames, replicatedObjectStore } from '@app/messaging';
import type { DueSnapshot } from './due-payments';

export interface ReconcilerCheckpoint {
  /** The log position the snapshot is as of: the reconciler follows the log from after it. */
  readonly position: bigint;
  /** The event at that position (absent on checkpoints saved before it was kept): a restored log is told by it. */
  readonly mark?: LogMark;
  readonly due: DueSnapshot;
}

/**
 * The shape of the snapshot this version writes and reads. A checkpoint of any other is not read: the log is followed
 * from its start. Version 1 was kept while entries gained fields an older version never wrote (`transactionUnknown`,
 * `cancelling`): read as false, they left a cancel asked for before the checkpoint unsent until the session's end,
 * and an unknown transaction unasked until then once its session was recorded. Which payments lack them cannot be
 * told from the snapshot, and the log alone can say, so the whole log is folded once per such upgrade, as at a first
 * start or over a restored log: reads of every payment and terminal event, memory only for the open payments.
 * Change it with every field an older snapshot would miss.
 */
export const CHECKPOINT_VERSION = 2;

/** A checkpoint in a shape this version does not read (an older one's, or a newer one's after a downgrade). */
export class CheckpointVersionError extends Error {}

interface Stored {
  readonly version: number;
  readonly position: string;
  readonly mark?: LogMark;
  readonly savedAt: string;
  readonly due: DueSnapshot;
}

/** The longest a checkpoint is waited for at boot: past it, the reconciler follows the log from its start. */
const LOAD_LIMIT_MS = 10_000;
/** A read that gets no chunk for this long looks whether the object was saved again meanwhile. */
const STALL_MS = 500;
/** Reads of a checkpoint that another instance's saves replaced, before the log is followed from its start. */
const LOAD_ATTEMPTS = 3;

/** The object was saved again while it was read: its chunks are gone, and the new one is read instead. */
class ReplacedWhileReadError extends Error {}

/**
 * The reconciler's checkpoint: what is due as of a position in the log, so that a restart follows the log
 * from there instead of replaying all of it. One object per log (named by the log's identity, so that a
 * replaced log never picks up another's), in a JetStream object store: the snapshot holds every open
 * payment, and at a chain's peak that is more than one NATS message (1 MiB) holds; the object store
 * chunks it. Any instance may save it: each follows the same log, and a snapshot is right as of its own
 * position whichever instance wrote it.
 */
export class ReconcilerCheckpoints {
  private constructor(private readonly store: ObjectStore) {}

  /** `replicas`: on how many servers of the NATS cluster the store is kept (`NATS_REPLICAS`). */
  static async open(
    nats: NatsConnection,
    prefix: string,
    replicas: number | undefined,
  ): Promise<ReconcilerCheckpoints> {
    const name = natsNames(prefix).objectStores.reconciler;
    return new ReconcilerCheckpoints(await replicatedObjectStore(nats, name, replicas));
  }

  /**
   * The checkpoint of this log, or undefined when there is none. Another instance's save purges the chunks being
   * read, and the read then waits for chunks that never come: a read that stalls looks whether the object was saved
   * again, and if so reads the new one (up to LOAD_ATTEMPTS reads). Rejects after LOAD_LIMIT_MS in all, and with
   * `CheckpointVersionError` for a checkpoint of another version.
   */
  async load(logId: string): Promise<ReconcilerCheckpoint | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no checkpoint read within ${LOAD_LIMIT_MS} ms`)), LOAD_LIMIT_MS);
    });
    // Raced at every wait; between two of them (asking for the object's info) it must not go unhandled.
    limit.catch(() => undefined);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.loadOnce(objectName(logId), limit);
        } catch (error) {
          if (!(error instanceof ReplacedWhileReadError) || attempt >= LOAD_ATTEMPTS) throw error;
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private async loadOnce(name: string, limit: Promise<never>): Promise<ReconcilerCheckpoint | undefined> {
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
      const stored = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Stored;
      if (stored.version !== CHECKPOINT_VERSION)
        throw new CheckpointVersionError(
          `checkpoint ${name} is of version ${String(stored.version)}, this version reads ${CHECKPOINT_VERSION}`,
        );
      return { position: BigInt(stored.position), ...(stored.mark ? { mark: stored.mark } : {}), due: stored.due };
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
   * own position, and the next save moves it on. `overAnotherVersion`: saved over one of another version whatever its
   * position, which would otherwise stay (and be read past again at each start) until the log moves beyond it.
   */
  async save(logId: string, checkpoint: ReconcilerCheckpoint, overAnotherVersion = false): Promise<void> {
    const stored = await this.store.info(objectName(logId));
    const asFar = stored?.description && !stored.deleted && BigInt(stored.description) >= checkpoint.position;
    if (asFar && !overAnotherVersion) return;
    const snapshot: Stored = {
      version: CHECKPOINT_VERSION,
      position: checkpoint.position.toString(),
      ...(checkpoint.mark ? { mark: checkpoint.mark } : {}),
      savedAt: new Date().toISOString(),
      due: checkpoint.due,
    };
    await this.store.putBlob(
      { name: objectName(logId), description: checkpoint.position.toString() },
      Buffer.from(JSON.stringify(snapshot), 'utf8'),
    );
  }
}

const objectName = (logId: string) => `due-payments.${logId}`;

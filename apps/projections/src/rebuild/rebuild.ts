import { randomUUID } from 'node:crypto';
import { setImmediate as turn } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { existingLogIdentity, logIdentity, markOf, type EventStore, type LogMark } from '@app/event-store';
import { PROJECTED_STREAMS } from '../projector/projected-streams';
import { PaymentIndexBucket } from '../projector/payment-index.bucket';
import { ReadModelBuckets } from '../projector/read-model.buckets';
import { ReadModelProjector } from '../read-models/read-model.projector';
import { applyFromLog, type StoreDayReader } from '../read-models/apply-from-log';
import { FOLD_VERSION } from '../read-models/fold-version';
import { IndexCoverage } from './index-coverage';
import { RebuildLock, RebuildRefusedError } from './rebuild-lock';
import type { Change, StoreDayDoc } from '../read-models/read-model.types';

const logger = new Logger('Rebuild');

/**
 * What every rebuild's buckets are named with; each rebuild adds its own id (`_rebuild_<id>`), so that none ever
 * writes into buckets of another's that an adopter may still be reading: those are gone, and reading them fails.
 */
export const REBUILD_SUFFIX = '_rebuild';
/** Events read at once: large pages, since a rebuild reads the whole log in order. */
const PAGE = 1_000;
/** Writes (a page's payment-index entries, the store days leaving memory) at once: the fold goes on meanwhile. */
const WRITES_IN_FLIGHT = 4;

export interface RebuildProgress {
  readonly applied: number;
  readonly position: bigint;
  readonly head: bigint;
}

export interface RebuildOptions {
  /** Called after each page of the log folded. */
  readonly onProgress?: (progress: RebuildProgress) => void;
  /** The projector lease's length, which the rebuild lock's is too. */
  readonly leaseMs?: number;
  /** Stops the rebuild at its next page (it then offers nothing, and lets its lock go). */
  readonly signal?: AbortSignal;
  /** On how many servers of the NATS cluster the buckets are kept (`NATS_REPLICAS`; `replicatedBucket`). */
  readonly replicas?: number;
}

export interface RebuildResult {
  readonly events: number;
  readonly documents: number;
  readonly position: bigint;
  /** The position of an earlier rebuild's offer that was still waiting to be adopted, withdrawn by this one. */
  readonly withdrew?: string;
}

/**
 * `npm run projections:rebuild`: folds the whole log from position 0 into new buckets (`…_rebuild`) while
 * the live read models keep serving, follows the log until it has caught up, then offers the result to
 * the live projector, which adopts it (its documents replaced, its checkpoint moved) and carries on from
 * there. Without a live projector, the next one to start adopts it.
 *
 * It holds the rebuild lock throughout (`RebuildLock`): refused with `RebuildRefusedError` while another rebuild
 * runs or the live projector adopts one. An earlier offer still waiting is withdrawn before its buckets are
 * emptied.
 */
export async function rebuildReadModels(
  store: EventStore,
  nats: NatsConnection,
  prefix: string,
  { onProgress = () => undefined, leaseMs = 5_000, signal, replicas }: RebuildOptions = {},
): Promise<RebuildResult> {
  const lock = await RebuildLock.take(nats, prefix, leaseMs, { replicas });
  if (!lock) throw new RebuildRefusedError();
  try {
    return await rebuildHolding(lock, store, nats, { prefix, replicas }, onProgress, signal);
  } finally {
    await lock.release();
  }
}

async function rebuildHolding(
  lock: RebuildLock,
  store: EventStore,
  nats: NatsConnection,
  { prefix, replicas }: { prefix: string; replicas: number | undefined },
  onProgress: (progress: RebuildProgress) => void,
  signal: AbortSignal | undefined,
): Promise<RebuildResult> {
  const suffix = `${REBUILD_SUFFIX}_${randomUUID().slice(0, 8)}`;
  const buckets = await ReadModelBuckets.open(nats, prefix, suffix, replicas);
  const logId = await ofTheLiveLog(store, buckets).catch(async (error: unknown) => {
    await buckets.destroy();
    throw error;
  });
  // Nobody adopts it now (the adopter holds the lock too): withdrawn, its buckets and any an earlier rebuild
  // left (one that failed or was killed) are removed.
  const waiting = await buckets.handOver();
  if (waiting) await buckets.clearHandOver();
  await buckets.destroyOtherGenerations(REBUILD_SUFFIX);
  // The payment index is written in place: its entries never change, so writing one again is harmless.
  const index = await PaymentIndexBucket.open(nats, prefix, replicas);
  const coverage = await IndexCoverage.start(store, buckets, index);
  const projector = new ReadModelProjector();
  projector.onUnreadable = (unreadable) =>
    logger.warn(unreadable, 'an event in the log has a time the read models cannot read: folded as unknown');
  const writes = new WritesInFlight(WRITES_IN_FLIGHT);
  // Store days out of the projector's window are written as they leave its memory (`StoreDays`); one of them
  // that an event needs back meanwhile is read from here until KV has it.
  const leaving = new Map<string, StoreDayDoc>();
  const readDay: StoreDayReader = async (key) =>
    leaving.get(key) ?? ((await buckets.get('store-day', key)) as StoreDayDoc | undefined);
  let position = 0n;
  // The event at `position`, offered with it: the adopter tells by it a log restored from a backup meanwhile.
  let mark: LogMark | undefined;
  let applied = 0;
  // First the whole log as it is, then whatever was appended meanwhile, until a read finds nothing new. The
  // first pass folds from nothing, so every document in memory at its end is new and all are written then:
  // keeping a map of the documents each event changed cost 5% of a rebuild. Later passes keep that map.
  for (let pass = 0; ; pass++) {
    const head = await store.headPosition();
    const changed = new Map<string, Change>();
    const keep: (change: Change) => void =
      pass === 0 ? () => undefined : (change) => changed.set(`${change.model}:${change.key}`, change);
    const appliedBefore = applied;
    for (;;) {
      if (!lock.stillHeld()) throw new Error(LOCK_LOST);
      signal?.throwIfAborted();
      // The fold reads almost no event's metadata, which is then parsed only for those it reads.
      const page = await store.readAll({
        after: position,
        limit: PAGE,
        streamPrefixes: PROJECTED_STREAMS,
        lazyMetadata: true,
      });
      if (page.length === 0) break;
      await applyFromLog(store, projector, page, keep, readDay);
      position = page[page.length - 1]!.position;
      mark = markOf(page[page.length - 1]!);
      const unindexed = coverage.toWrite(page);
      if (unindexed.length > 0) await writes.add(index.put(unindexed));
      const retired = projector.retirePastDays(position);
      if (retired.length > 0) {
        // A day read back and changed since its last write: that write lands first, never after this one.
        if (retired.some(({ key }) => leaving.has(key))) await writes.settle();
        for (const { key, doc } of retired) {
          changed.delete(`store-day:${key}`);
          leaving.set(key, doc);
        }
        await writes.add(
          buckets.put(retired).then(() => {
            for (const { key, doc } of retired) if (leaving.get(key) === doc) leaving.delete(key);
          }),
        );
      }
      applied += page.length;
      onProgress({ applied, position, head: head > position ? head : position });
      // A page with nothing to write awaits only promises already settled (the log is read synchronously), which
      // never lets timers or sockets run: without a turn of the event loop, the lock's renewal and NATS's pings
      // starved until the lock lapsed by its own clock, in any rebuild beside a live projector's payment index.
      await turn();
    }
    await writes.settle();
    await buckets.put(pass === 0 ? projector.documents() : changed.values());
    if (applied === appliedBefore) break;
  }
  await coverage.complete(store, PAGE);
  const documents = await buckets.count();
  // Another rebuild may have removed these buckets once the lock lapsed (this process paused past it).
  if (!lock.stillHeld()) throw new Error(LOCK_LOST);
  await buckets.offerHandOver({
    suffix,
    position: position.toString(),
    documents,
    logId,
    foldVersion: FOLD_VERSION,
    ...(mark ? { mark } : {}),
  });
  return { events: applied, documents, position, ...(waiting ? { withdrew: waiting.position } : {}) };
}

/**
 * The log's identity, once it is the one the live read models were folded from (their checkpoint's), or they have
 * none yet. A rebuild of another log (`EVENT_STORE_URL` left at its default where `npm start` keeps its log in
 * `DATA_DIR`, a backup's copy) would replace every live document with that log's; an empty log (a path that named
 * no file, and was made) would empty them. Both are refused before anything is written.
 */
async function ofTheLiveLog(store: EventStore, buckets: ReadModelBuckets): Promise<string> {
  const live = await buckets.checkpoint();
  if (live.position > 0n && (await store.headPosition()) === 0n)
    throw new RebuildOfAnotherLogError(
      `the event log is empty, while the live read models are folded to position ${live.position}: ` +
        'EVENT_STORE_URL does not name the engine’s log',
    );
  if (live.logId === undefined) return logIdentity(store);
  // Only looked at while the live read models name their log: a log that is not theirs is not written to either.
  const logId = await existingLogIdentity(store);
  if (logId !== live.logId)
    throw new RebuildOfAnotherLogError(
      `the live read models are of another event log (${live.logId}) than EVENT_STORE_URL's ` +
        `(${logId ?? 'one never named'}): point EVENT_STORE_URL at the engine’s log`,
    );
  return logId;
}

/** A rebuild refused because its log is not the one the live read models are of: nothing was written. */
export class RebuildOfAnotherLogError extends Error {
  constructor(reason: string) {
    super(`${reason}. Nothing was rebuilt.`);
    this.name = 'RebuildOfAnotherLogError';
  }
}

const LOCK_LOST =
  'The rebuild lost its lock (this process was paused past it), so another may have begun: nothing was offered; ' +
  'run it again';

/**
 * Writes started and not yet waited for, at most `limit` of them: adding one more waits for the oldest, and
 * the first failure fails the rebuild there or at `settle`. (Ten lines: a concurrency limiter such as p-limit
 * queues functions, where this keeps a window of writes already started.)
 */
class WritesInFlight {
  private readonly running: Promise<void>[] = [];

  constructor(private readonly limit: number) {}

  async add(write: Promise<void>): Promise<void> {
    // Waited for below; until then a failure must not count as unhandled.
    write.catch(() => undefined);
    this.running.push(write);
    if (this.running.length >= this.limit) await this.running.shift();
  }

  async settle(): Promise<void> {
    await Promise.all(this.running.splice(0));
  }
}

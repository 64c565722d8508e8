import type { Logger } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { markGone, type EventStore } from '@app/event-store';
import { FIRST_START_RETRY_MS, LONGEST_START_RETRY_MS } from '@app/platform';
import type { ProjectionsConfig } from '../projections.config';
import type { ReadModelProjector } from '../read-models/read-model.projector';
import type { Change } from '../read-models/read-model.types';
import { FOLD_VERSION } from '../read-models/fold-version';
import { REBUILD_SUFFIX } from '../rebuild/rebuild';
import { RebuildLock } from '../rebuild/rebuild-lock';
import type { FoldVersionWatch } from './fold-version.watch';
import type { ProjectorState } from './projector.state';
import { FenceLostError, ReadModelBuckets, type HandOver } from './read-model.buckets';

/**
 * How many leases the live projector may go without publishing, short of a rebuild's position, before its adoption
 * is given up: it is stopped at an event it cannot fold, or cannot write, and may never get there.
 */
const STALLED_LEASES = 12;

/** A wait for the projector to publish as far as a rebuild given up (`publishedAsFarAs`): not adopted now. */
class PublishingStalled extends Error {
  constructor(
    message: string,
    /** The rebuild's position, which the projector had not published as far as. */
    readonly position: bigint,
  ) {
    super(message);
  }
}

/** An offer this instance can never adopt as it stands (`refuseUnadoptable`): not tried again until another comes. */
class UnadoptableRebuild extends Error {}

/** What the adoption asks of the service that composes it. */
export interface AdoptionHooks {
  /** Stops writing: another instance holds the lease (`ProjectorService.standBy`). */
  standBy(): void;
  /** Whether the log is being followed now. */
  following(): boolean;
  startFollowing(): void;
  /** Stops following the log, and flushes what it folded. */
  stopFollowing(): Promise<void>;
  /** A projector holding what KV holds (`ProjectorService.projectorFromKv`). */
  projectorFromKv(): Promise<ReadModelProjector>;
  /** The projector, its ends collected for the next flush (`ProjectorService.tellingEnds`). */
  tellingEnds(projector: ReadModelProjector): ReadModelProjector;
}

/**
 * The writer's adoption of a rebuild's hand-over (`npm run projections:rebuild`): one at a time, under the rebuild
 * lock, the rebuilt documents copied over the live ones and the fold taken again from them.
 */
export class RebuildAdoption {
  private chain: Promise<void> = Promise.resolve();
  /** The position a given-up adoption waits, outside the chain, for the projector to publish (`adoptOnceThere`). */
  private awaited: bigint | undefined;
  /** The next try of an adoption the log or NATS failed (`tryAgain`), while one is due. */
  private retry: NodeJS.Timeout | undefined;
  /** The pause before that next try: doubled at each failure in a row, up to `LONGEST_START_RETRY_MS`. */
  private retryInMs = FIRST_START_RETRY_MS;

  constructor(
    private readonly state: ProjectorState,
    private readonly store: EventStore,
    private readonly nats: NatsConnection,
    private readonly config: ProjectionsConfig,
    private readonly logger: Logger,
    private readonly foldVersions: FoldVersionWatch,
    private readonly hooks: AdoptionHooks,
  ) {}

  /** The adoptions under way, settled (shutdown waits for them). */
  get adopting(): Promise<void> {
    return this.chain;
  }

  /**
   * Adopts a rebuild already waiting, when this instance writes and follows the log (at start-up the
   * follower is not running yet: bootstrap calls this again once it is). The offer not read (NATS away) is read
   * again after a pause (`tryAgain`).
   */
  async adoptWaiting(): Promise<void> {
    let waiting: HandOver | undefined;
    try {
      waiting = this.state.leader && this.hooks.following() ? await this.state.buckets!.handOver() : undefined;
    } catch (error) {
      return this.tryAgain(error, undefined);
    }
    if (waiting) void this.adopt(waiting);
  }

  /** Ends the tries again: none after a stop. */
  stop(): void {
    clearTimeout(this.retry);
    this.retry = undefined;
  }

  /**
   * Adopts a rebuild (`npm run projections:rebuild`): once this projector has published at least as far as
   * the rebuild reached (so that the feed misses nothing), it stops, replaces the live documents with the
   * rebuilt ones (each published on its change subject), moves its checkpoint to the rebuild's position, and
   * follows the log again from there. The rebuilt buckets are then deleted. An offer it can never adopt is refused
   * before it waits (`refuseUnadoptable`), and a wait that makes no progress is given up (`publishedAsFarAs`): either
   * would hold up every adoption after it.
   */
  adopt(handOver: HandOver): Promise<void> {
    this.chain = this.chain
      .then(() => this.adoptNow(handOver))
      .then(() => void (this.retryInMs = FIRST_START_RETRY_MS))
      .catch((error: unknown) => {
        // Another instance writes now (this one was paused past its lease), or the offer cannot be adopted
        // (`refuseUnadoptable`), or not now (`publishedAsFarAs`): the hand-over stays offered, and the next offer or
        // takeover adopts it, or refuses it again; one not adopted now, also this projector once it has published as
        // far as it (`adoptOnceThere`). The log or NATS failed (a read of the log's, the copy): tried again.
        if (error instanceof FenceLostError) {
          this.logger.warn({ err: error, position: handOver.position }, 'stopped adopting the rebuild');
          if (this.state.leader) this.hooks.standBy();
        } else if (error instanceof UnadoptableRebuild || error instanceof PublishingStalled)
          this.logger.error({ err: error, position: handOver.position }, 'could not adopt the rebuild');
        else this.tryAgain(error, handOver.position);
        if (!this.hooks.following() && !this.state.stopped) this.hooks.startFollowing();
        if (error instanceof PublishingStalled) void this.adoptOnceThere(error.position);
      });
    return this.chain;
  }

  /**
   * An adoption the log or NATS failed (a read of the log's as it began: the event the rebuild ended at, the head):
   * the offer that stands is adopted after a pause, doubled at each failure in a row, while this instance writes.
   * Left to the next offer or takeover, it waited for good when none came, the projector healthy past it.
   */
  private tryAgain(error: unknown, position: string | undefined): void {
    const retryInMs = this.retryInMs;
    this.logger.warn(
      { err: error, position, retryInMs },
      'could not adopt the rebuild (the log or NATS did not answer): trying again',
    );
    if (this.state.stopped || this.retry) return;
    this.retryInMs = Math.min(retryInMs * 2, LONGEST_START_RETRY_MS);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.state.stopped) void this.adoptWaiting();
    }, retryInMs);
    this.retry.unref();
  }

  /**
   * After a wait given up (`PublishingStalled`): once this projector, still writing, has published as far as the
   * rebuild after all (the log or NATS was only away for a while), the offer that stands then is adopted. Given up
   * for good, it stayed unadopted until a restart, with the projector healthy past it. Outside the chain: later
   * offers are not held up by it. One such wait at a time, for the latest position given up.
   */
  private async adoptOnceThere(position: bigint): Promise<void> {
    const waiting = this.awaited !== undefined;
    this.awaited = position;
    if (waiting) return;
    try {
      while (!this.state.stopped && this.state.leader && this.state.checkpoint < (this.awaited ?? position))
        await this.state.checkpointMoved(Math.min(this.state.lease!.leaseMs, 1_000));
    } finally {
      this.awaited = undefined;
    }
    if (this.state.stopped || !this.state.leader) return;
    await this.adoptWaiting().catch((error: unknown) =>
      this.logger.warn({ err: error }, 'could not read the rebuild offered: the next offer or takeover adopts it'),
    );
  }

  private async adoptNow(handOver: HandOver): Promise<void> {
    if (this.state.stopped || !this.state.leader) return;
    const position = BigInt(handOver.position);
    // Before waiting for its position: a rebuild of another log, or of this one as it was before a restore, may be
    // at a position this log never reaches, or reaches with other events; every adoption after it would wait too.
    await this.refuseUnadoptable(handOver, position);
    if (!(await this.publishedAsFarAs(position))) return;
    // The rebuild that offered lets its lock go once the offer is written; one that runs meanwhile waits.
    const lock = await RebuildLock.take(this.nats, this.config.natsPrefix, this.state.lease!.leaseMs, {
      waitMs: 3 * this.state.lease!.leaseMs,
      givingUp: () => this.state.stopped || !this.state.leader,
      replicas: this.config.natsReplicas,
    });
    if (!lock) throw new Error('the rebuild lock stayed held: another rebuild runs; its offer will be adopted');
    try {
      await this.adoptHolding(handOver, position, lock);
    } finally {
      await lock.release();
    }
  }

  /**
   * Throws, saying what to do, when the offer can never be adopted here: it names buckets no rebuild made, is of
   * another log or of this one as it was before a restore from a backup, or of a newer fold than this version's. The
   * offer stays (a later rebuild withdraws it; an instance of a newer version adopts its own fold's when it takes over).
   */
  private async refuseUnadoptable(handOver: HandOver, position: bigint): Promise<void> {
    const never = await this.whyNeverAdoptable(handOver, position);
    if (never) throw new UnadoptableRebuild(never);
    // This version would fold on from documents whose fold it does not know, and record that fold as theirs.
    if (handOver.foldVersion !== undefined && handOver.foldVersion > FOLD_VERSION)
      throw new UnadoptableRebuild(
        `the rebuild was folded with fold version ${handOver.foldVersion}, newer than this version's ` +
          `${FOLD_VERSION}: not adopted here. An instance of its version adopts it when it takes over the writing`,
      );
  }

  /**
   * Whether no instance of any version could adopt the offer (`whyNeverAdoptable`): a rebuild started here, which
   * withdraws it, takes nothing from anyone. An offer of a newer fold is not one: an instance of its version adopts it.
   */
  async neverAdoptable(handOver: HandOver): Promise<boolean> {
    return (await this.whyNeverAdoptable(handOver, BigInt(handOver.position))) !== undefined;
  }

  /**
   * Why the offer can be adopted by no instance on this log, whatever its version: it names buckets no rebuild made,
   * or is of another log, or of this one as it was before a restore from a backup. Undefined when it may be.
   */
  private async whyNeverAdoptable(handOver: HandOver, position: bigint): Promise<string | undefined> {
    // The live buckets (no suffix) copied onto themselves would be emptied: only a rebuild's are adopted.
    if (!handOver.suffix.startsWith(REBUILD_SUFFIX))
      return `the offer names buckets "${handOver.suffix}" that no rebuild made: not adopted`;
    // Documents of another log would replace every live one (the rebuild refuses to offer them; an offer made by
    // another version, or with the live log replaced meanwhile, is caught here).
    if (handOver.logId !== undefined && handOver.logId !== this.state.logId)
      return (
        `the rebuild read another event log (${handOver.logId}) than this one (${this.state.logId}): not adopted. ` +
        'Run `npm run projections:rebuild` with EVENT_STORE_URL naming this engine’s log'
      );
    // Of this log as it was: restored from a backup since, it keeps its identity but lost the events after it.
    const gone = handOver.mark ? await markGone(this.store, handOver.mark) : undefined;
    // An offer of a version before marks: past the head, it cannot be this log's as it is (unless reads lag).
    const head = handOver.mark || this.store.readsMayLag ? undefined : await this.store.headPosition();
    if (gone || (head !== undefined && position > head)) {
      const where = head === undefined ? `position ${position}` : `position ${position}, past the log's head ${head}`;
      return (
        `the log does not have the event the rebuild ended at (${where}): ` +
        'the rebuild read the log as it was before it was restored from a backup. Not adopted: run ' +
        '`npm run projections:rebuild` again'
      );
    }
    return undefined;
  }

  /**
   * Waits, while this instance writes, until it has published as far as `position`, so that the feed misses nothing:
   * true once it has, false when it stopped or stood by meanwhile. Woken by each checkpoint it saves; said once when it
   * takes longer than a lease, and given up (thrown) when the checkpoint has not moved for `STALLED_LEASES` leases.
   */
  private async publishedAsFarAs(position: bigint): Promise<boolean> {
    const leaseMs = this.state.lease!.leaseMs;
    const began = Date.now();
    let at = this.state.checkpoint;
    let movedAt = began;
    let said = false;
    while (this.state.checkpoint < position) {
      if (this.state.stopped || !this.state.leader) return false;
      const now = Date.now();
      if (this.state.checkpoint !== at) {
        at = this.state.checkpoint;
        movedAt = now;
      }
      if (now - movedAt >= STALLED_LEASES * leaseMs)
        throw new PublishingStalled(
          `this projector has published nothing past position ${at} for ${Math.round((now - movedAt) / 1_000)} s, ` +
            `short of the rebuild's ${position}: it is stopped at an event it cannot fold, or cannot write to NATS ` +
            '(GET /health names the event, its log the cause). Not adopted now: the offer stays, and is adopted ' +
            'once this projector has published as far as it, when an instance takes over the writing (restart the ' +
            'projections app once the cause is mended), or when a rebuild is run again',
          position,
        );
      if (!said && now - began >= leaseMs) {
        said = true;
        this.logger.warn(
          { position: position.toString(), checkpoint: at.toString() },
          'waiting for this projector to publish as far as the rebuild before adopting it',
        );
      }
      await this.state.checkpointMoved(Math.min(leaseMs, 1_000));
    }
    return !this.state.stopped && this.state.leader;
  }

  private async adoptHolding(handOver: HandOver, position: bigint, lock: RebuildLock): Promise<void> {
    // Only the offer as it still stands (a later rebuild withdraws it and removes its buckets), with its buckets as
    // they are (never made again, empty, should that rebuild remove them meanwhile: `existing`), and only with
    // every document it was made with.
    const offered = await this.state.buckets!.handOverAt();
    if (offered?.offer.suffix !== handOver.suffix || offered.offer.position !== handOver.position) return;
    const rebuilt = await ReadModelBuckets.existing(this.nats, this.config.natsPrefix, handOver.suffix);
    const held = await rebuilt.count();
    if (handOver.documents !== undefined && held !== handOver.documents)
      throw new UnadoptableRebuild(
        `the rebuild offered ${handOver.documents} documents, but its buckets hold ${held}: not adopted`,
      );
    await this.hooks.stopFollowing();
    // The steps below are not fenced (the rebuilt documents may be behind the live ones, on purpose): each
    // is taken only while the lease still holds by this instance's clock; lost, the new writer adopts it.
    if (!this.state.leader || !this.state.lease!.holds() || !lock.stillHeld()) return this.hooks.startFollowing();
    this.state.copying = true;
    try {
      await this.copyRebuild(rebuilt, handOver, offered.revision, position, () => lock.stillHeld());
    } finally {
      this.state.copying = false;
    }
  }

  private async copyRebuild(
    rebuilt: ReadModelBuckets,
    handOver: HandOver,
    offeredAt: number,
    position: bigint,
    lockHeld: () => boolean,
  ): Promise<void> {
    let documents = 0;
    // Copied bucket to bucket, each published as KV takes it: a long history is never all in memory.
    const copied = (change: Change) => {
      documents += 1;
      this.state.publisher!.publishChanges([change]);
    };
    await this.state.buckets!.copyFrom(rebuilt, copied, lockHeld);
    if (!this.state.lease!.holds()) return this.hooks.startFollowing();
    // One more than KV's count when this instance took the lease (`ProjectorLeadership.lead`): another adoption
    // since moved the checkpoint's revision, which fences the reset.
    const adoptions = this.state.adoptions + 1;
    // The rebuild's fold version goes with its documents (none from a rebuild of a version before it was recorded).
    await this.state.buckets!.resetCheckpoint(position, this.state.logId, adoptions, undefined, handOver.foldVersion);
    this.state.adoptions = adoptions;
    this.foldVersions.note(position, handOver.foldVersion);
    // What this instance folded past the rebuild's position is folded again from it: a batch still unwritten
    // (a flush that failed before the copy) is of the documents before, and must not go over the adopted ones.
    this.state.pending = new Map();
    this.state.pendingEvents = [];
    this.state.projector = this.hooks.tellingEnds(await this.hooks.projectorFromKv());
    this.state.published(position);
    this.state.folded = position;
    this.state.droppedUpTo = 0n;
    // This offer goes, and no later one (another revision); its buckets are its rebuild's own, which no later
    // rebuild writes into, and which one may have removed already.
    await this.state.buckets!.clearHandOver(offeredAt);
    await rebuilt
      .destroy()
      .catch((error: unknown) =>
        this.logger.warn({ err: error }, 'could not remove the adopted rebuild’s buckets: the next rebuild does'),
      );
    this.logger.log({ position: handOver.position, documents }, 'adopted the rebuilt read models');
    this.hooks.startFollowing();
  }
}

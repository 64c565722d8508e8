import type { Logger } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ProjectionsConfig } from '../projections.config';
import type { ReadModelProjector } from '../read-models/read-model.projector';
import type { Change } from '../read-models/read-model.types';
import { REBUILD_SUFFIX } from '../rebuild/rebuild';
import { RebuildLock } from '../rebuild/rebuild-lock';
import type { FoldVersionWatch } from './fold-version.watch';
import type { ProjectorState } from './projector.state';
import { FenceLostError, ReadModelBuckets, type HandOver } from './read-model.buckets';

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

  constructor(
    private readonly state: ProjectorState,
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
   * follower is not running yet: bootstrap calls this again once it is).
   */
  async adoptWaiting(): Promise<void> {
    const waiting = this.state.leader && this.hooks.following() ? await this.state.buckets!.handOver() : undefined;
    if (waiting) void this.adopt(waiting);
  }

  /**
   * Adopts a rebuild (`npm run projections:rebuild`): once this projector has published at least as far as
   * the rebuild reached (so that the feed misses nothing), it stops, replaces the live documents with the
   * rebuilt ones (each published on its change subject), moves its checkpoint to the rebuild's position, and
   * follows the log again from there. The rebuilt buckets are then deleted.
   */
  adopt(handOver: HandOver): Promise<void> {
    this.chain = this.chain
      .then(() => this.adoptNow(handOver))
      .catch((error: unknown) => {
        // NATS failed midway, or another instance writes now (this one was paused past its lease): the
        // hand-over stays offered, and the next offer or takeover adopts it.
        if (error instanceof FenceLostError) {
          this.logger.warn({ err: error, position: handOver.position }, 'stopped adopting the rebuild');
          if (this.state.leader) this.hooks.standBy();
        } else this.logger.error({ err: error, position: handOver.position }, 'could not adopt the rebuild');
        if (!this.hooks.following() && !this.state.stopped) this.hooks.startFollowing();
      });
    return this.chain;
  }

  private async adoptNow(handOver: HandOver): Promise<void> {
    if (this.state.stopped || !this.state.leader) return;
    const position = BigInt(handOver.position);
    while (this.state.checkpoint < position && !this.state.stopped && this.state.leader)
      await new Promise((resolve) => setTimeout(resolve, 20));
    if (this.state.stopped || !this.state.leader) return;
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

  private async adoptHolding(handOver: HandOver, position: bigint, lock: RebuildLock): Promise<void> {
    // The live buckets (no suffix) copied onto themselves would be emptied: only a rebuild's are adopted.
    if (!handOver.suffix.startsWith(REBUILD_SUFFIX))
      throw new Error(`the offer names buckets "${handOver.suffix}" that no rebuild made: not adopted`);
    // Documents of another log would replace every live one (the rebuild refuses to offer them; an offer made by
    // another version, or with the live log replaced meanwhile, is caught here).
    if (handOver.logId !== undefined && handOver.logId !== this.state.logId)
      throw new Error(
        `the rebuild read another event log (${handOver.logId}) than this one (${this.state.logId}): not adopted`,
      );
    // Only the offer as it still stands (a later rebuild withdraws it and removes its buckets), with its buckets as
    // they are (never made again, empty, should that rebuild remove them meanwhile: `existing`), and only with
    // every document it was made with.
    const offered = await this.state.buckets!.handOverAt();
    if (offered?.offer.suffix !== handOver.suffix || offered.offer.position !== handOver.position) return;
    const rebuilt = await ReadModelBuckets.existing(this.nats, this.config.natsPrefix, handOver.suffix);
    const held = await rebuilt.count();
    if (handOver.documents !== undefined && held !== handOver.documents)
      throw new Error(`the rebuild offered ${handOver.documents} documents, but its buckets hold ${held}: not adopted`);
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
    this.state.checkpoint = position;
    this.state.stored = position;
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

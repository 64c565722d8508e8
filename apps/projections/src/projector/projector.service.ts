import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { EVENT_STORE, logIdentity, markGone, type EventStore, type LogFollower, type LogMark } from '@app/event-store';
import {
  EngineOfAnotherLogError,
  NATS_CONNECTION,
  natsAway,
  PROJECTOR_LEADER_KEY,
  refuseEngineOfAnotherLog,
} from '@app/messaging';
import {
  ANOTHER_LOG_CHECK,
  LOG_SUBSCRIPTIONS,
  METRICS_REGISTRY,
  paymentMetrics,
  StartRetries,
  type AnotherLogCheck,
  type LogSubscriptions,
  type PaymentMetrics,
} from '@app/platform';
import type { Registry } from 'prom-client';
import { PROJECTIONS_CONFIG, type ProjectionsConfig } from '../projections.config';
import { ReadModelProjector } from '../read-models/read-model.projector';
import { foldVersionOutdated } from '../read-models/fold-version';
import type { Change, StoreDayDoc } from '../read-models/read-model.types';
import { EventFeed } from './event-feed';
import { ReadModelPublisher } from './read-model.publisher';
import { ProjectorState } from './projector.state';
import { StoreDayQueries } from './store-day.queries';
import { ReadModelWriter } from './read-model.writer';
import { RebuildAdoption } from './rebuild-adoption';
import { ProjectorLeadership } from './projector-leadership';
import { PROJECTED_STREAMS } from './projected-streams';
import { PaymentIndexBucket } from './payment-index.bucket';
import { ProjectorLease } from './projector-lease';
import { LeaseCampaign } from './lease-campaign';
import { OutdatedCheck } from './outdated-check';
import { rebuildReadModels } from '../rebuild/rebuild';
import { RepairRebuild } from '../rebuild/repair-rebuild';
import { FoldVersionWatch, OLDER_FOLD } from './fold-version.watch';
import { ReadModelBuckets, UnreadableDocumentError } from './read-model.buckets';

export { PROJECTED_STREAMS };

/** The projector's follower, and its start's name in `/health` until the read models are loaded. */
const PROJECTOR = 'projector';

/**
 * Reads the log from its checkpoint (catch-up, then live), keeps the read models, and after each batch:
 * writes the changed documents to KV (which publishes each on its change subject, `ReadModelBuckets.open`),
 * publishes the batch's events to the feed, and only then moves the checkpoint. A crash anywhere replays
 * from the checkpoint: documents already written are recognised by their position and left alone, feed
 * messages are de-duplicated by event id, and consumers may see a change twice but never miss one
 * (invariant 5).
 *
 * Any number of instances may run. Each folds the log in memory (and so answers queries and serves the
 * dashboard), but only the holder of the projector lease writes (`ProjectorLease`). When it dies, another
 * takes the lease within about a lease and writes what it folded past the checkpoint in KV. Every write is
 * fenced (`ReadModelBuckets.claim`, `putFenced`, `saveCheckpoint`), so a holder that was paused and wakes up
 * after losing the lease cannot put a document or the checkpoint back.
 *
 * Its start reads the log (its identity, its head, the event the checkpoint was made at) and KV: a read that fails
 * (KurrentDB electing a leader, SQLite's file busy) is tried again (`StartRetries`) where it ended the app, and
 * `apps/engine` with it. Until a try has loaded the read models, the dashboard answers 503 `READ_MODELS_NOT_READY`
 * (`loaded`), the NATS queries are not subscribed (`whenLoaded`), `/health` names the projector, and nothing is
 * written.
 */
@Injectable()
export class ProjectorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ProjectorService.name);
  /** What the roles below share: the fold, the batch not yet written, the positions, the writing. */
  private readonly state = new ProjectorState();
  private campaign: NodeJS.Timeout | undefined;
  private follower: LogFollower | undefined;
  private stopWatching: () => void = () => undefined;
  /** A rebuild in this process, as `npm run projections:rebuild` runs it, until `signal` stops it. */
  private readonly rebuildHere = (signal: AbortSignal) =>
    rebuildReadModels(this.store, this.nats, this.config.natsPrefix, {
      leaseMs: this.config.projectorLeaseSeconds * 1_000,
      signal,
      replicas: this.config.natsReplicas,
    });
  /** The rebuild started when a document in KV cannot be read (`unreadable`). */
  private readonly repair = new RepairRebuild(this.rebuildHere, this.logger);
  /** The rebuild started when the read models are of an older fold (`PROJECTIONS_REBUILD_WHEN_OUTDATED`). */
  private readonly refold = new RepairRebuild(this.rebuildHere, this.logger, undefined, OLDER_FOLD);

  private readonly metrics: PaymentMetrics;
  /** The fold version of the read models in KV, as this instance knows it. */
  private readonly foldVersions: FoldVersionWatch;
  /** The store days out of memory, for the fold and for queries. */
  private readonly storeDays: StoreDayQueries;
  /** The fold of each event and the flushes of its batch. */
  private readonly writer: ReadModelWriter;
  /** The adoption of a rebuild's hand-over, by the writer. */
  private readonly adoption: RebuildAdoption;
  /** Who writes: the lease contended for, the takeovers, standing by. */
  private readonly leadership: ProjectorLeadership;
  private gauges: NodeJS.Timeout | undefined;
  /** The check for read models of an older fold, made by the writer (`OutdatedCheck`). */
  private readonly outdated: OutdatedCheck;
  /** The start, tried again while the log or NATS does not answer; another log's engine on the prefix refuses it. */
  private readonly starts: StartRetries;
  /** Each turn of the lease's campaign, and its failures said (`LeaseCampaign`). */
  private readonly campaignTurns: LeaseCampaign;
  /** Resolved once the read models are loaded (`whenLoaded`). */
  private readonly loading: Promise<void>;
  private resolveLoaded!: () => void;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(PROJECTIONS_CONFIG) private readonly config: ProjectionsConfig,
    @Inject(METRICS_REGISTRY) registry: Registry,
    @Inject(LOG_SUBSCRIPTIONS) private readonly subscriptions: LogSubscriptions,
    /** Made once no engine of another log is found on the prefix: in `apps/engine`, the POS API and ingest wait for it. */
    @Inject(ANOTHER_LOG_CHECK) private readonly anotherLog: AnotherLogCheck,
  ) {
    this.metrics = paymentMetrics(registry);
    this.foldVersions = new FoldVersionWatch(this.metrics, this.logger);
    this.tellingEnds(this.state.projector);
    this.storeDays = new StoreDayQueries(this.state, store, (error) => this.unreadable(error));
    this.writer = new ReadModelWriter(this.state, store, config, this.logger, this.foldVersions, this.storeDays, {
      standBy: () => this.leadership.standBy(),
      load: (projector, change) => this.load(projector, change),
    });
    this.adoption = new RebuildAdoption(this.state, store, nats, config, this.logger, this.foldVersions, {
      standBy: () => this.leadership.standBy(),
      following: () => this.follower !== undefined,
      startFollowing: () => this.startFollowing(),
      stopFollowing: () => this.stopFollowing(),
      projectorFromKv: () => this.projectorFromKv(),
      tellingEnds: (projector) => this.tellingEnds(projector),
    });
    this.leadership = new ProjectorLeadership(this.state, store, this.metrics, this.logger, this.foldVersions, {
      following: () => this.follower !== undefined,
      startFollowing: () => this.startFollowing(),
      stopFollowing: () => this.stopFollowing(),
      projectorFromKv: () => this.projectorFromKv(),
      tellingEnds: (projector) => this.tellingEnds(projector),
      takeNewer: (put) => this.writer.takeNewer(put),
      adoptWaiting: () => this.adoption.adoptWaiting(),
    });
    this.campaignTurns = new LeaseCampaign(() => this.leadership.contend(), this.logger);
    this.outdated = new OutdatedCheck(
      () => this.rebuildIfOutdated(),
      () => !this.state.stopped && this.state.leader,
      this.logger,
    );
    this.starts = new StartRetries(PROJECTOR, subscriptions, this.logger, {
      refused: (error) => error instanceof EngineOfAnotherLogError,
    });
    this.loading = new Promise<void>((resolve) => (this.resolveLoaded = resolve));
  }

  /** Position, lag behind the log's head, busy terminals and closes that disagree, once a second. */
  private async updateGauges(): Promise<void> {
    const head = await this.store.headPosition();
    this.metrics.logHead.set(Number(head));
    this.metrics.projectionPosition.set(Number(this.state.stored));
    this.metrics.projectorLeader.set(this.state.leader ? 1 : 0);
    this.metrics.projectionLag.set(Number(head > this.state.stored ? head - this.state.stored : 0n));
    this.metrics.terminalsBusy.set(this.state.projector.busyTerminals());
    this.metrics.closeMismatches.set(this.state.projector.closeMismatches());
  }

  /** A projector holding what KV holds (each store's days within its window), to fold on from KV's checkpoint. */
  private async projectorFromKv(): Promise<ReadModelProjector> {
    const projector = new ReadModelProjector();
    for await (const change of this.state.buckets!.loadAll((error) => this.unreadable(error)))
      this.load(projector, change);
    return projector;
  }

  /** A document from KV into the fold; one that is not a document of this version's is `unreadable`. */
  private load(projector: ReadModelProjector, change: Change): void {
    try {
      projector.load(change);
    } catch (error) {
      this.unreadable(new UnreadableDocumentError(change.model, change.key, error));
    }
  }

  /**
   * A document in KV this version cannot read (a bug wrote it, or a person): left out and said so, rather than
   * stop the projector, and the read models are rebuilt from the log (`RepairRebuild`), which the leader adopts.
   * Until then the next event of its key is folded onto nothing.
   */
  private unreadable(error: UnreadableDocumentError): void {
    this.logger.error(
      { err: error, model: error.model, key: error.key },
      'a read-model document in KV cannot be read: left out until a rebuild writes it again',
    );
    this.repair.request();
  }

  /**
   * With `PROJECTIONS_REBUILD_WHEN_OUTDATED`, the writer (`OutdatedCheck`) rebuilds read models of an older fold itself, once
   * (tried again only should it fail), and adopts the result as any other. Not when a rebuild of this fold (or a newer
   * one's, for an instance of its version) waits to be adopted already; refused while another rebuild runs, which is
   * left to write them. An offer that no instance can adopt (of another log, or of this one before a restore) does not
   * hold it up: it waited for good on such an offer, refused at each takeover, the read models left outdated.
   */
  private async rebuildIfOutdated(): Promise<void> {
    if (!this.config.rebuildWhenOutdated || !this.foldVersions.saidOutdated || !this.state.leader) return;
    const waiting = await this.state.buckets!.handOver();
    if (waiting && !foldVersionOutdated(1n, waiting.foldVersion) && !(await this.adoption.neverAdoptable(waiting)))
      return;
    this.refold.request();
  }

  /**
   * A store's day, for queries: from memory, or, for a day out of its window, from KV (`StoreDayQueries.storeDay`).
   */
  storeDay(storeId: string, date: string): Promise<StoreDayDoc | 'none' | 'unknown'> {
    return this.storeDays.storeDay(storeId, date);
  }

  /** Whether a document this instance does not hold may yet be in the log (`StoreDayQueries.mayLackFolded`). */
  mayLackFolded(): Promise<boolean> {
    return this.storeDays.mayLackFolded();
  }

  /**
   * Whether the log has the event the checkpoint was made at. A log restored from a backup keeps its identity, and
   * its new events take the positions of the lost ones: the checkpoint's position would pass them by. A read that
   * may only lag is not taken as a loss (`markGone`).
   */
  private async stillHas(mark: LogMark): Promise<boolean> {
    const gone = await markGone(this.store, mark);
    if (!gone) return true;
    this.logger.warn(
      { stream: mark.streamName, revision: mark.revision, gone },
      'the log does not have the event the read models’ checkpoint was made at (restored from a backup?)',
    );
    return false;
  }

  /** Position of the last event whose effects are all durable and published (a standby: folded). */
  get checkpoint(): bigint {
    return this.state.checkpoint;
  }

  /** The read models as this instance has them: what queries answer from. */
  get models(): ReadModelProjector {
    return this.state.projector;
  }

  /** Whether the read models are loaded (the start's reads done): until then, the dashboard is answered not ready. */
  get loaded(): boolean {
    return this.state.loaded;
  }

  /**
   * Resolves once the read models are loaded (at once when they are), for what waits for them rather than answering
   * not ready meanwhile: the NATS queries' queue group. Never rejects; a stop before the load leaves it unresolved.
   */
  get whenLoaded(): Promise<void> {
    return this.loading;
  }

  /**
   * Starts the projector; a start whose reads of the log or NATS fail is tried again in the background, the app
   * listening meanwhile (`StartRetries`). Another log's engine on the prefix refuses it (the app does not start, or,
   * found at a later try, is stopped).
   */
  onApplicationBootstrap(): Promise<void> {
    return this.starts.start(() => this.start());
  }

  /**
   * One try of the start: what it opens is kept for the next try, what it reads is taken only once every read is
   * done, and nothing is written or followed before. Once the hand-overs are watched nothing fails it (a try again
   * would load the read models under a follower): the lease is contended for again on the campaign's next turn, an
   * adoption that fails is tried again (`RebuildAdoption`), and so is the check for an older fold (`OutdatedCheck`).
   */
  private async start(): Promise<void> {
    await this.open();
    const lease = this.state.lease!;
    await refuseEngineOfAnotherLog(this.config.natsPrefix, lease.leaseMs, () =>
      lease.heldForAnotherLog(this.state.logId),
    );
    // Passed during a stop, it started `apps/engine`'s ingest workers as the engine stopped.
    if (this.state.stopped) return;
    this.anotherLog.pass();
    await this.loadFromCheckpoint();
    if (this.state.stopped) return;
    // A rebuild is adopted by the leader: one waiting when it takes over, or one that finishes later.
    this.stopWatching = await this.state.buckets!.watchHandOver((handOver) => void this.adoption.adopt(handOver));
    // The lease is tried before following: an instance that wins it now has nothing folded past KV to write,
    // and it is the writer before its first batch (start-up does not wait on a catch-up's flushes). A rebuild
    // waiting to be adopted is taken up once the follower runs.
    let bidFailed = false;
    await this.leadership.contend(true).catch((error: unknown) => {
      bidFailed = true;
      this.campaignTurns.failed(error, 'lease not taken at start: contended for again');
    });
    if (this.state.stopped) return;
    // The writer at start checks for read models of an older fold; so does one that would have been, but whose bid
    // or takeover NATS failed. A standby that takes over later, another instance writing at start, does not.
    this.outdated.pending = bidFailed || this.state.lease!.holds();
    this.startFollowing();
    await this.adoption.adoptWaiting();
    await this.outdated.make();
    this.campaign = setInterval(
      () => void this.campaignTurns.turn().then(() => this.outdated.make()),
      Math.max(200, Math.floor(lease.leaseMs / 3)),
    );
    this.campaign.unref();
    this.gauges = setInterval(() => void this.updateGauges().catch(() => undefined), 1_000);
    this.gauges.unref();
  }

  /** The buckets, the feed and the lease (named by the log's identity), each opened once, by the first try it works. */
  private async open(): Promise<void> {
    const { natsPrefix: prefix, natsReplicas: replicas } = this.config;
    this.state.buckets ??= await ReadModelBuckets.open(this.nats, prefix, '', replicas);
    this.state.index ??= await PaymentIndexBucket.open(this.nats, prefix, replicas);
    if (!this.state.publisher) {
      const limits = { maxAgeHours: this.config.feedMaxAgeHours, maxMib: this.config.feedMaxMib };
      const feed = await EventFeed.open(this.nats, prefix, limits, replicas);
      this.state.publisher = new ReadModelPublisher(this.nats, prefix, this.state.buckets, feed);
    }
    if (this.state.lease) return;
    const logId = await logIdentity(this.store);
    this.state.lease = await ProjectorLease.open(
      this.nats,
      prefix,
      this.config.projectorLeaseSeconds * 1_000,
      PROJECTOR_LEADER_KEY,
      logId,
      replicas,
    );
    this.state.logId = logId;
  }

  /**
   * The log's head, the checkpoint in KV and the documents it is of, read first and only then taken as the state the
   * projector folds on from: a try that fails midway leaves nothing half read behind.
   */
  private async loadFromCheckpoint(): Promise<void> {
    const bootHead = await this.store.headPosition();
    const saved = await this.state.buckets!.checkpoint();
    // A checkpoint from before identities were kept has only its position: past the log's head, it is of
    // another log (the one time positions are compared; from then on the checkpoint carries the identity).
    let replacedAtBoot = saved.logId === undefined ? saved.position > bootHead : saved.logId !== this.state.logId;
    let staleMark: LogMark | undefined;
    if (!replacedAtBoot && saved.mark && !(await this.stillHas(saved.mark))) {
      replacedAtBoot = true;
      staleMark = saved.mark;
    }
    const projector = replacedAtBoot ? undefined : await this.projectorFromKv();
    this.state.bootHead = bootHead;
    this.state.replacedAtBoot = replacedAtBoot;
    this.state.staleMark = staleMark;
    this.state.kvOfThisLog = !replacedAtBoot;
    this.state.foldingFrom0To = replacedAtBoot ? bootHead : undefined;
    if (!projector) {
      // The read models reflect a log that is not this one (it was replaced, e.g. a new SQLite file or a
      // new cluster): fold this one from position 0, and the instance that leads replaces them rather than
      // serve documents of another log. A checkpoint that names its log is told by the identity, never by
      // positions (a lagging follower's head is not a new log); for a legacy one, a wrongly read head costs
      // one rebuild, never wrong data.
      this.logger.warn(
        { checkpoint: saved.position.toString(), checkpointLogId: saved.logId ?? 'none', logId: this.state.logId },
        'the read models are of another log: rebuilding them from position 0',
      );
      this.foldVersions.note(0n, undefined);
    } else {
      this.foldVersions.note(saved.position, saved.foldVersion);
      this.state.checkpoint = saved.position;
      this.state.stored = saved.position;
      this.state.adoptions = saved.adoptions ?? 0;
      this.state.projector = this.tellingEnds(projector);
    }
    this.state.folded = this.state.checkpoint;
    this.state.loaded = true;
    this.resolveLoaded();
    this.logger.log({ checkpoint: this.state.checkpoint.toString() }, 'projecting from the checkpoint');
  }

  async onApplicationShutdown(): Promise<void> {
    this.state.stopped = true;
    // A try under way sees `stopped` and follows nothing; a pause before the next ends.
    await this.starts.stop();
    clearInterval(this.gauges);
    clearInterval(this.campaign);
    this.stopWatching();
    await this.repair.stop();
    await this.refold.stop();
    this.adoption.stop();
    await this.adoption.adopting;
    await this.stopFollowing();
    // Given up rather than left to lapse: a standby takes over at once. With NATS away no standby can take it, and
    // the delete would only wait for its timeout: the lease lapses by its TTL.
    if (this.state.leader && natsAway(this.nats))
      this.logger.warn('NATS is away: the projector lease is left to lapse rather than given back');
    else if (this.state.leader) await this.state.lease?.release();
    this.state.leader = false;
  }

  /**
   * Follows the log from the checkpoint. A drop resubscribes after the last event applied (those not yet
   * flushed are still pending), so the read models neither miss nor repeat an event.
   */
  private startFollowing(): void {
    this.follower = this.subscriptions.follower(PROJECTOR, this.store, {
      streamPrefixes: PROJECTED_STREAMS,
      onEvent: (event) => this.writer.apply(event),
    });
    this.follower.start(this.state.checkpoint);
  }

  private async stopFollowing(): Promise<void> {
    const follower = this.follower;
    this.follower = undefined;
    await follower?.stop();
    this.subscriptions.forget(PROJECTOR);
    await this.writer.flush();
  }

  /** The projector, its ends collected for the next flush (`ProjectorState.pendingEnds`). */
  private tellingEnds(projector: ReadModelProjector): ReadModelProjector {
    projector.onEnds = (ends) => this.state.pendingEnds.push(...ends);
    projector.onUnreadable = (unreadable) =>
      this.logger.warn(unreadable, 'an event in the log has a time the read models cannot read: folded as unknown');
    return projector;
  }
}

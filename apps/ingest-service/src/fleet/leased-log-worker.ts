import {
  Inject,
  Injectable,
  type Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { DINTERO_CLIENT, type DinteroClient } from '@app/dintero';
import { EVENT_STORE, logIdentity, type EventStore, type LogFollower, type RecordedEvent } from '@app/event-store';
import { NATS_CONNECTION, natsAway } from '@app/messaging';
import {
  ANOTHER_LOG_CHECK,
  LOG_SUBSCRIPTIONS,
  OutageWarnings,
  StartRetries,
  type AnotherLogCheck,
  type LogSubscriptions,
} from '@app/platform';
import { CheckpointKeeper, type CheckpointKeeperOptions } from '../checkpoints/checkpoint-keeper';
import { INGEST_CONFIG, type IngestServiceConfig } from '../ingest-service.config';
import { SettleLeases } from '../reconciler/settle-leases';

export interface LeasedLogWorkerOptions<State extends object = object> {
  /** The follower's name (metrics, logs). */
  readonly name: string;
  /** The streams it follows from the start of the log. */
  readonly streamPrefixes: readonly string[];
  readonly onEvent: (event: RecordedEvent) => void;
  /**
   * One round of work, every `intervalMs`, one after another; the first only once the index holds the log as it
   * stood when the worker started.
   */
  readonly tick: () => Promise<void>;
  readonly intervalMs: number;
  readonly natsPrefix: string;
  /** On how many servers of the NATS cluster the leases' bucket is kept (`NATS_REPLICAS`; `replicatedBucket`). */
  readonly natsReplicas?: number;
  /** How long a lease on one item holds. */
  readonly leaseMs: number;
  /**
   * The index's checkpoint, when it keeps one (`CheckpointKeeper`): the log is followed from after it rather than from
   * its start. Without NATS, or without a checkpoint of this version and log, from its start.
   */
  readonly checkpoint?: Omit<CheckpointKeeperOptions<State>, 'natsPrefix' | 'natsReplicas'>;
}

/** How soon the worker looks again whether its index holds the log, while it waits for that to start its rounds. */
const REPLAY_CHECK_MS = 100;
/** How often a worker still waiting for that says so (a follower stopped at an event it cannot handle waits on). */
const WAITING_LOG_MS = 60_000;

/**
 * What the ingest service's followers of the fleet share (terminal statuses, terminal operations): an index
 * kept from the log, a round of work on a timer, and leases in the reconciler's bucket, so that with several
 * instances one looks at an item at a time. Without NATS each instance looks at everything: the deciders
 * absorb a second look, it only costs a Dintero call.
 *
 * The index is built again from the log at every start (from its checkpoint on, when it keeps one), and no round
 * runs before it holds the log as it stood then: a round on half of it would act on old settings (a store's close
 * time changed last week, read as the one before, closes its day hours early) or on terminals since taken out of use.
 */
export class LeasedLogWorker<State extends object = object> {
  private follower: LogFollower | undefined;
  private leases: SettleLeases | undefined;
  private checkpoints: CheckpointKeeper<State> | undefined;
  /** The log position the worker started following from: its checkpoint's, or 0 without one. */
  resumedFrom = 0n;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  /** The log's head when the worker first looked: the index must hold every event up to it before a round. */
  private startHead: bigint | undefined;
  private replayed = false;
  /** When the worker last said that its first round waits (epoch ms). */
  private waitingSaidAt: number | undefined;
  /** The leases' takes that NATS failed, said backing off (`mayTake`). */
  private readonly takeWarnings: OutageWarnings;

  constructor(
    private readonly options: LeasedLogWorkerOptions<State>,
    private readonly store: EventStore,
    private readonly nats: NatsConnection,
    private readonly subscriptions: LogSubscriptions,
    private readonly logger: Logger,
    /** The clock of the warnings' pauses. */
    now?: () => number,
  ) {
    this.takeWarnings = new OutageWarnings(logger, `${options.name}: leases taken again: NATS answers again`, now);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Opens the leases and the checkpoint, restores the index from it, and follows the log. Rejects when the log does
   * not answer (its identity, the event the checkpoint was made at): tried again as a whole (`StartRetries`), keeping
   * what an earlier try opened, it starts as a first try that worked would have.
   */
  async start(): Promise<void> {
    const { name, natsPrefix, natsReplicas, leaseMs, streamPrefixes, onEvent } = this.options;
    const warn = (message: string, error: unknown) => this.logger.warn({ err: error }, message);
    [this.leases, this.checkpoints] = await Promise.all([
      this.leases ??
        SettleLeases.open(this.nats, natsPrefix, leaseMs, warn, leaseMs, natsReplicas).catch((error: unknown) => {
          this.logger.warn({ err: error }, `${name}: no leases (NATS): every instance looks at every item`);
          return undefined;
        }),
      this.checkpoints ?? this.openCheckpoints(),
    ]);
    const resumedFrom = (await this.checkpoints?.resume()) ?? 0n;
    // Stopped while it read: nothing is followed, nothing scheduled.
    if (this.stopped) return;
    this.resumedFrom = resumedFrom;
    this.follower = this.subscriptions.follower(name, this.store, { streamPrefixes: [...streamPrefixes], onEvent });
    this.follower.start(this.resumedFrom);
    this.checkpoints?.keep(this.follower);
    this.schedule();
  }

  /**
   * The keeper of the index's checkpoint, if it keeps one and NATS can be reached. The log's identity not read (the
   * log away) rejects: taken for NATS away, it made the worker follow the log from its start, and save no checkpoint.
   */
  private async openCheckpoints(): Promise<CheckpointKeeper<State> | undefined> {
    const { name, natsPrefix, natsReplicas, checkpoint } = this.options;
    if (!checkpoint) return undefined;
    const logId = await logIdentity(this.store);
    return CheckpointKeeper.open(
      { ...checkpoint, natsPrefix, natsReplicas },
      logId,
      this.store,
      this.nats,
      this.logger,
    ).catch((error: unknown) => {
      this.logger.warn({ err: error }, `${name}: no checkpoint (NATS): following the log from its start`);
      return undefined;
    });
  }

  /** Stops it; `starting`, a try of its start under way (`StartRetries.stop`), sees it stopped and follows nothing. */
  async stop(starting: Promise<void> = Promise.resolve()): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await starting;
    await this.follower?.stop();
    await this.running;
    // Only once the round in flight has ended: an item it was working on is never given up while it is. The checkpoint
    // is saved as of where the follower stopped.
    await Promise.all([this.checkpoints?.stop(), this.releaseLeases()]);
  }

  /**
   * Gives up the leases this instance holds (`SettleLeases.release`, bounded in time). Each holder is one process:
   * kept, a stopped instance's leases would hold the items from every other instance, and from this one started
   * again, for a whole lease (RECONCILER_LEASE_SECONDS, TERMINAL_STATUS_POLL_SECONDS), and a rolling restart would
   * put off the nightly closes and the operations' follow-ups. With NATS out of reach they are left to run out:
   * each write would only hold the stop for its timeout.
   */
  private async releaseLeases(): Promise<void> {
    if (!this.leases) return;
    const { name } = this.options;
    if (natsAway(this.nats)) {
      this.logger.warn(`${name}: NATS is away: the leases are not given up at stop; they run out`);
      return;
    }
    await this.leases
      .release()
      .catch((error: unknown) => this.logger.warn({ err: error }, `${name}: could not give up the leases at stop`));
  }

  /**
   * Whether this instance may look at the item now: it holds the item's lease (or there are no leases). NATS not
   * answering, it looks anyway. That failure is said backing off (`OutageWarnings`): while NATS was gone, a warning
   * for every take was one for each item due in every round (an operation polled every 2 s, each terminal not active
   * every 30 s), thousands an hour. The first take NATS answers again is said once.
   */
  async mayTake(key: string): Promise<boolean> {
    const leases = this.leases;
    if (!leases) return true;
    const why = `${this.options.name}: could not take a lease; looking anyway`;
    return this.takeWarnings.answerOf(() => leases.take(key), true, why, { key });
  }

  private schedule(delayMs = this.options.intervalMs): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.round().then((next) => this.schedule(next));
    }, delayMs);
    this.timer.unref();
  }

  /**
   * A round of work once the index holds the log; until then, when to look again. A wait that lasts (the log out
   * of reach, or the follower stopped at an event it cannot handle, which `/health` names) is logged once a minute.
   */
  private async round(): Promise<number> {
    const { intervalMs, name } = this.options;
    let problem: unknown;
    const replayed = await this.holdsTheLog().catch((error: unknown) => {
      problem = error;
      return false;
    });
    if (!replayed) {
      const now = Date.now();
      if (this.waitingSaidAt === undefined || now - this.waitingSaidAt >= WAITING_LOG_MS) {
        this.waitingSaidAt = now;
        this.logger.warn(
          { err: problem, position: this.follower?.position.toString(), startHead: this.startHead?.toString() },
          `${name}: no round before the index holds the log as it stood at start; waiting`,
        );
      }
      return Math.min(intervalMs, REPLAY_CHECK_MS);
    }
    await this.options.tick().catch((error: unknown) => this.logger.error({ err: error }, `${name}: a round failed`));
    return intervalMs;
  }

  /**
   * Whether the index holds every followed event up to the head the worker first saw: the first one after the
   * follower's position is past it, or there is none. Asked before each round until it is so, then never again.
   */
  private async holdsTheLog(): Promise<boolean> {
    if (this.replayed) return true;
    this.startHead ??= await this.store.headPosition();
    const [next] = await this.store.readAll({
      after: this.follower!.position,
      limit: 1,
      streamPrefixes: [...this.options.streamPrefixes],
    });
    this.replayed = next === undefined || next.position > this.startHead;
    return this.replayed;
  }
}

/** What every service of the fleet is built from: one provider, instead of the same five injections in each. */
@Injectable()
export class LeasedLogDependencies {
  constructor(
    @Inject(EVENT_STORE) readonly store: EventStore,
    @Inject(DINTERO_CLIENT) readonly dintero: DinteroClient,
    @Inject(INGEST_CONFIG) readonly config: IngestServiceConfig,
    @Inject(NATS_CONNECTION) readonly nats: NatsConnection,
    @Inject(LOG_SUBSCRIPTIONS) readonly subscriptions: LogSubscriptions,
    @Inject(ANOTHER_LOG_CHECK) readonly anotherLog: AnotherLogCheck,
  ) {}
}

/**
 * A service of the fleet kept by a `LeasedLogWorker`: it follows its streams into its own index (`onEvent`),
 * does a round of work on its timer (`tick`), and runs while the app runs, when `enabled`.
 */
export abstract class LeasedLogService<State extends object = object>
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  protected readonly worker: LeasedLogWorker<State>;
  /** The worker's start, tried again while the log or NATS does not answer. */
  private readonly starts: StartRetries;
  protected readonly store: EventStore;
  protected readonly dintero: DinteroClient;
  protected readonly config: IngestServiceConfig;
  private readonly anotherLog: AnotherLogCheck;

  constructor(
    options: Omit<LeasedLogWorkerOptions<State>, 'onEvent' | 'tick'>,
    dependencies: LeasedLogDependencies,
    protected readonly logger: Logger,
  ) {
    ({ store: this.store, dintero: this.dintero, config: this.config, anotherLog: this.anotherLog } = dependencies);
    this.worker = new LeasedLogWorker(
      { ...options, onEvent: (event) => this.onEvent(event), tick: () => this.tick() },
      dependencies.store,
      dependencies.nats,
      dependencies.subscriptions,
      logger,
    );
    this.starts = new StartRetries(options.name, dependencies.subscriptions, logger);
  }

  protected abstract get enabled(): boolean;
  protected abstract onEvent(event: RecordedEvent): void;
  protected abstract tick(): Promise<void>;

  /**
   * Starts the worker once the app has made sure that no engine of another log runs on its NATS prefix (its rounds
   * write the log and its leases NATS); a start the log or NATS fails is tried again in the background
   * (`StartRetries`), the app running on: the first failed read at start stopped the whole app.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (this.enabled) await this.onceChecked(() => this.startWorker());
  }

  /** `start` tried (and tried again) once the check of another log's engine is made (`startOnceChecked`). */
  protected onceChecked(start: () => Promise<void>): Promise<void> {
    return this.starts.startOnceChecked(this.anotherLog, start);
  }

  /** One try of the worker's start. */
  protected startWorker(): Promise<void> {
    return this.worker.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.worker.stop(this.starts.stop());
  }
}

import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DINTERO_CLIENT, type DinteroClient } from '@app/dintero';
import { EVENT_STORE, logIdentity, type EventStore, type LogFollower } from '@app/event-store';
import { NATS_CONNECTION, natsAway } from '@app/messaging';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import {
  ANOTHER_LOG_CHECK,
  countedFromZero,
  LOG_SUBSCRIPTIONS,
  METRICS_REGISTRY,
  paymentMetrics,
  StartRetries,
  type AnotherLogCheck,
  type LogSubscriptions,
  type PaymentMetrics,
} from '@app/platform';
import { INGEST_CONFIG, type IngestServiceConfig } from '../ingest-service.config';
import { PaymentFacts } from '../facts/payment-facts.service';
import { DuePayments } from './due-payments';
import type { LookSettings } from './next-look';
import { PaymentSettler } from './payment-settler';
import { ReconcilerRound, type RoundSettings } from './reconciler-round';
import { RefundLooks } from './refund-looks';
import { ReviewFlags } from './review-flags';
import { CheckpointKeeper } from '../checkpoints/checkpoint-keeper';
import { RECONCILER_CHECKPOINT, type ReconcilerSnapshot } from './reconciler-checkpoints';
import { ourOrigin } from '../webhook/our-callback-url';
import { REFUND_SWEEP_LEASE, RefundSweep, type RefundSweepSummary } from './refund-sweep';
import { SettleLeases } from './settle-leases';

/** The longest pause between two looks at a payment Dintero still cannot settle. */
const MAX_RETRY_MS = 5 * 60_000;

/**
 * Settles what Dintero never reported (docs/design.md invariant 7): payments past their session's expiry,
 * session creations and transactions with an unknown outcome, refunds without an outcome, and terminals
 * still claimed by payments that ended. It follows the log to know what is due, asks Dintero (session,
 * then transactions by our reference), and records the answer through the same path as callbacks.
 *
 * Several instances may run. Each keeps its own index of what is due, from the log, and resumes it from the
 * shared checkpoint (`RECONCILER_CHECKPOINT`, kept by a `CheckpointKeeper`) rather than replaying the whole log at
 * boot. A due payment is looked at by the instance that holds its lease (`SettleLeases`); the others leave it for the
 * lease's length. Correctness does not rest on the lease: whatever two instances record twice is absorbed by the
 * payment decider and the log's expected revisions, so a lost lease costs only a Dintero call.
 * Work is bounded: at most `RECONCILER_MAX_PER_SECOND` payments are looked at per second, per instance.
 */
@Injectable()
export class ReconcilerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReconcilerService.name);
  private readonly due: DuePayments;
  private readonly metrics: PaymentMetrics;
  private readonly refundSweep: RefundSweep;
  /** One round of looks, every `RECONCILER_INTERVAL_MS`. */
  private readonly round: ReconcilerRound;
  /** The start, tried again while the log or NATS does not answer. */
  private readonly starts: StartRetries;
  private follower: LogFollower | undefined;
  private leases: SettleLeases | undefined;
  private checkpoints: CheckpointKeeper<ReconcilerSnapshot> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  /** The log position this instance started following from: its checkpoint's, or 0 without one. */
  resumedFrom = 0n;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DINTERO_CLIENT) dintero: DinteroClient,
    @Inject(INGEST_CONFIG) private readonly config: IngestServiceConfig,
    facts: PaymentFacts,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(LOG_SUBSCRIPTIONS) private readonly subscriptions: LogSubscriptions,
    @Inject(ANOTHER_LOG_CHECK) private readonly anotherLog: AnotherLogCheck,
  ) {
    this.metrics = paymentMetrics(registry);
    this.starts = new StartRetries('reconciler', subscriptions, this.logger);
    this.due = new DuePayments({
      graceMs: config.reconcilerGraceSeconds * 1000,
      unknownDelayMs: config.reconcilerUnknownDelaySeconds * 1000,
      refundWaitMs: this.refundWaitMs,
      orphanClaimMs: config.reconcilerOrphanClaimSeconds * 1000,
    });
    const refunds = new RefundLooks(
      () => ({ ...this.lookSettings, refundWaitMs: this.refundWaitMs }),
      store,
      dintero,
      facts,
      this.due,
      this.metrics,
      this.logger,
    );
    const flags = new ReviewFlags(() => this.lookSettings, store, facts, refunds, this.metrics, this.logger);
    this.refundSweep = new RefundSweep(
      {
        everyMs: config.reconcilerRefundSweepMinutes * 60_000,
        windowMs: config.reconcilerRefundSweepDays * 86_400_000,
        leaseMs: config.reconcilerLeaseSeconds * 1000,
        ourOrigin: ourOrigin(config.ingestPublicUrl),
      },
      dintero,
      facts,
      () => this.leases,
      this.metrics,
      this.logger,
      Date.now(),
    );
    const settler = new PaymentSettler(
      () => ({ ...this.lookSettings, orphanClaimMs: config.reconcilerOrphanClaimSeconds * 1000 }),
      store,
      dintero,
      facts,
      this.due,
      refunds,
      flags,
      this.metrics,
      this.logger,
    );
    this.round = new ReconcilerRound(
      () => this.roundSettings,
      this.due,
      settler,
      flags,
      this.refundSweep,
      () => this.leases,
      () => this.stopped,
      this.metrics,
      this.logger,
    );
  }

  /**
   * Starts the reconciler once the app has made sure that no engine of another log runs on its NATS prefix: what it
   * settles goes into the log, its leases and checkpoint into NATS. A start the log or NATS fails is tried again in
   * the background (`StartRetries`), the app running on: the first failed read at start stopped the whole app.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.reconcilerEnabled) return;
    countedFromZero(this.registry, ['reconciler', 'refundSweeps', 'refundSweepTransactions']);
    await this.starts.startOnceChecked(this.anotherLog, () => this.start());
  }

  /**
   * One try of the start: the leases and the checkpoint opened (what an earlier try opened kept), what is due
   * restored from the checkpoint, then the log followed from it and the rounds begun.
   */
  private async start(): Promise<void> {
    const { natsPrefix, natsReplicas, reconcilerLeaseSeconds } = this.config;
    [this.leases, this.checkpoints] = await Promise.all([
      this.leases ??
        SettleLeases.open(
          this.nats,
          natsPrefix,
          reconcilerLeaseSeconds * 1000,
          (message, error) => this.logger.warn({ err: error }, message),
          // The refund sweep's instance holds its lease until the next sweep (\`RefundSweep\`).
          Math.max(MAX_RETRY_MS, this.config.reconcilerRefundSweepMinutes * 60_000) + reconcilerLeaseSeconds * 1000,
          natsReplicas,
        ),
      this.checkpoints ?? this.openCheckpoints(),
    ]);
    const resumedFrom = await this.checkpoints.resume();
    // Stopped while it read: nothing is followed, nothing scheduled.
    if (this.stopped) return;
    this.resumedFrom = resumedFrom;
    this.follower = this.subscriptions.follower('reconciler', this.store, {
      streamPrefixes: ['payment-', 'terminal-'],
      onEvent: (event) => this.due.apply(event, Date.now()),
    });
    this.follower.start(this.resumedFrom);
    this.schedule();
    this.checkpoints.keep(this.follower);
  }

  /** The keeper of what is due's checkpoint, on this log (its identity read first: a read of the log). */
  private async openCheckpoints(): Promise<CheckpointKeeper<ReconcilerSnapshot>> {
    const { natsPrefix, natsReplicas } = this.config;
    return CheckpointKeeper.open<ReconcilerSnapshot>(
      {
        kind: RECONCILER_CHECKPOINT,
        natsPrefix,
        natsReplicas,
        everyMs: this.config.reconcilerCheckpointSeconds * 1000,
        snapshot: () => ({ due: this.due.snapshot(Date.now()) }),
        restore: ({ due }) => this.due.restore(due),
        described: () => ({ due: this.due.size }),
      },
      await logIdentity(this.store),
      this.store,
      this.nats,
      this.logger,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.starts.stop();
    clearTimeout(this.timer);
    await this.follower?.stop();
    await this.running;
    // With NATS away the leases' release would only wait for its timeout and fail, as the save would (which says so).
    await Promise.all([this.checkpoints?.stop(), natsAway(this.nats) ? undefined : this.releaseLeases()]);
  }

  /**
   * Gives up this instance's leases: each holder is one process, so the leases of a stopped one were another's to
   * the instance started after it, which waited for them (up to MAX_RETRY_MS, an hour for the refund sweep's) and
   * counted each look as `leased_elsewhere`, even with one instance. The refund sweep's lease keeps the time of the
   * next sweep, unless one is under way.
   */
  private async releaseLeases(): Promise<void> {
    await this.leases
      ?.release(this.refundSweep.sweeping ? [] : [REFUND_SWEEP_LEASE])
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not give up the reconciler leases at stop'));
  }

  /** The position of the last event this instance has followed. */
  get following(): bigint {
    return this.follower?.position ?? 0n;
  }

  /** How long a refund may go without an outcome before Dintero's silence is taken as a no. */
  private get refundWaitMs(): number {
    return Math.max(this.config.reconcilerGraceSeconds, this.config.reconcilerUnknownDelaySeconds) * 1000;
  }

  /** How long before a payment that could not be settled, or is still open at Dintero, is looked at again. */
  private get retryMs(): number {
    return Math.max(1_000, this.config.reconcilerGraceSeconds * 1000);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.round.run().finally(() => this.schedule());
    }, this.config.reconcilerIntervalMs);
  }

  /**
   * Runs a refund sweep from the next round on, whatever its schedule (\`RECONCILER_REFUND_SWEEP_MINUTES\`), and
   * resolves with its summary once it is done. For tests and operators' tools.
   */
  sweepRefundsNow(): Promise<RefundSweepSummary> {
    return this.refundSweep.sweepNow();
  }

  /** What `nextLook` and the review deadlines read of the configuration. */
  private get lookSettings(): LookSettings {
    const { reconcilerGraceSeconds, reconcilerReviewAfterSeconds } = this.config;
    return {
      graceMs: reconcilerGraceSeconds * 1000,
      reviewAfterMs: reconcilerReviewAfterSeconds * 1000,
      retryMs: this.retryMs,
      maxRetryMs: MAX_RETRY_MS,
    };
  }

  /** What a round reads of the configuration. */
  private get roundSettings(): RoundSettings {
    const { reconcilerMaxPerSecond, reconcilerIntervalMs, reconcilerLeaseSeconds } = this.config;
    return {
      budget: Math.max(1, Math.floor((reconcilerMaxPerSecond * reconcilerIntervalMs) / 1000)),
      leaseMs: reconcilerLeaseSeconds * 1000,
      retry: { baseMs: this.retryMs, maxMs: MAX_RETRY_MS },
    };
  }
}

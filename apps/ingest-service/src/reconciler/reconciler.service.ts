import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  DINTERO_CLIENT,
  DinteroRejectedError,
  sessionError,
  type DinteroClient,
  type DinteroSession,
} from '@app/dintero';
import { EVENT_STORE, logIdentity, readState, type EventStore, type LogFollower } from '@app/event-store';
import { NATS_CONNECTION, natsAway } from '@app/messaging';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  isOpen,
  operationDecider,
  operationStream,
  knownClaims,
  instantOf,
  paymentDecider,
  paymentStream,
  type DinteroErrorKind,
  type OpenPayment,
  type PaymentState,
} from '@app/payment-domain';
import type { Registry } from 'prom-client';
import {
  countedFromZero,
  LOG_SUBSCRIPTIONS,
  METRICS_REGISTRY,
  paymentMetrics,
  releaseClaim,
  StartRetries,
  type LogSubscriptions,
  type PaymentMetrics,
} from '@app/platform';
import { INGEST_CONFIG, type IngestServiceConfig } from '../ingest-service.config';
import { PaymentFacts } from '../facts/payment-facts.service';
import { DuePayments } from './due-payments';
import { nextLook, type LookSettings } from './next-look';
import { CONTEXT, logIds } from './reconciler-context';
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
  private readonly refunds: RefundLooks;
  private readonly flags: ReviewFlags;
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
    @Inject(DINTERO_CLIENT) private readonly dintero: DinteroClient,
    @Inject(INGEST_CONFIG) private readonly config: IngestServiceConfig,
    private readonly facts: PaymentFacts,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(LOG_SUBSCRIPTIONS) private readonly subscriptions: LogSubscriptions,
  ) {
    this.metrics = paymentMetrics(registry);
    this.starts = new StartRetries('reconciler', subscriptions, this.logger);
    this.due = new DuePayments({
      graceMs: config.reconcilerGraceSeconds * 1000,
      unknownDelayMs: config.reconcilerUnknownDelaySeconds * 1000,
      refundWaitMs: this.refundWaitMs,
      orphanClaimMs: config.reconcilerOrphanClaimSeconds * 1000,
    });
    this.refunds = new RefundLooks(
      () => ({ ...this.lookSettings, refundWaitMs: this.refundWaitMs }),
      store,
      dintero,
      facts,
      this.due,
      this.metrics,
      this.logger,
    );
    this.flags = new ReviewFlags(() => this.lookSettings, store, facts, this.refunds, this.metrics, this.logger);
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
  }

  /**
   * Starts the reconciler; a start the log or NATS fails is tried again in the background (`StartRetries`), the app
   * taking Dintero's deliveries meanwhile: the first failed read at start stopped the whole app.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.reconcilerEnabled) return;
    countedFromZero(this.registry, ['reconciler', 'refundSweeps', 'refundSweepTransactions']);
    await this.starts.start(() => this.start());
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

  /**
   * Whether this instance may look at the payment now: it holds the payment's lease. Without NATS the
   * payment is looked at all the same (a duplicate look is harmless, a payment left open is not).
   */
  private async mayLookAt(paymentId: string): Promise<boolean> {
    try {
      return await this.leases!.take(paymentId);
    } catch (error) {
      this.logger.warn(
        { correlationId: CONTEXT.correlationId, err: error, paymentId },
        'could not take the lease on a due payment: looking at it anyway',
      );
      return true;
    }
  }

  /**
   * Keeps the lease on a payment this instance will look at again until a lease past that look. Let lapse after
   * one lease, it went to another instance, which looked too, on a back-off of its own: N instances asked Dintero
   * about a payment stuck at UNKNOWN about N times as often as one.
   */
  private async holdUntilNextLook(paymentId: string): Promise<void> {
    const next = this.due.dueAt(paymentId);
    if (next === undefined || !this.leases) return;
    await this.leases.holdUntil(paymentId, next + this.config.reconcilerLeaseSeconds * 1000).catch((error: unknown) => {
      this.logger.warn(
        { correlationId: CONTEXT.correlationId, err: error, paymentId },
        'could not keep the lease until the next look',
      );
    });
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
      this.running = this.tick().finally(() => this.schedule());
    }, this.config.reconcilerIntervalMs);
  }

  /**
   * Runs a refund sweep from the next round on, whatever its schedule (\`RECONCILER_REFUND_SWEEP_MINUTES\`), and
   * resolves with its summary once it is done. For tests and operators' tools.
   */
  sweepRefundsNow(): Promise<RefundSweepSummary> {
    return this.refundSweep.sweepNow();
  }

  /**
   * One round: the payments due now, as many as the rate allows less the refund sweep's share (`RefundSweep.reserve`),
   * one after another; then, with what is left of the round's budget, pages of the refund sweep (one Dintero request
   * each).
   */
  private async tick(): Promise<void> {
    const budget = Math.max(
      1,
      Math.floor((this.config.reconcilerMaxPerSecond * this.config.reconcilerIntervalMs) / 1000),
    );
    this.flags.forgetUnless((paymentId) => this.due.dueAt(paymentId) !== undefined);
    // The refund sweep's share first: due payments taking the whole budget round after round would starve it.
    const due = this.due.takeDue(Date.now(), budget - this.refundSweep.reserve(budget, Date.now()));
    for (const paymentId of due) {
      if (this.stopped) return;
      if (!(await this.mayLookAt(paymentId))) {
        // Another instance is on it: its outcome reaches this index through the log; if the payment is
        // still due once the lease has lapsed, this instance looks then.
        this.metrics.reconciler.inc({ result: 'leased_elsewhere' });
        this.due.schedule(paymentId, Date.now() + this.config.reconcilerLeaseSeconds * 1000);
        continue;
      }
      try {
        await this.settle(paymentId);
        this.flags.settled(paymentId);
        await this.holdUntilNextLook(paymentId);
      } catch (error) {
        this.metrics.reconciler.inc({ result: 'failed' });
        // Dintero or the log unreachable, or an answer this engine cannot take: try again later, less and less
        // often, nothing is lost; past the review deadline, a person is told.
        await this.flags.failed(paymentId, error);
        this.due.retry(paymentId, Date.now(), { baseMs: this.retryMs, maxMs: MAX_RETRY_MS });
        await this.holdUntilNextLook(paymentId);
      }
    }
    if (this.stopped) return;
    await this.refundSweep
      .step(budget - due.length, Date.now())
      .catch((error: unknown) =>
        this.logger.warn({ correlationId: CONTEXT.correlationId, err: error }, 'refund sweep round failed'),
      );
  }

  private async settle(paymentId: string): Promise<void> {
    const { state } = await readState(this.store, paymentStream(paymentId), paymentDecider);
    const { state: settled, sessionEnded } =
      state.status === 'none'
        ? { state, sessionEnded: false }
        : isOpen(state)
          ? await this.settleOpen(state)
          : { state: await this.refunds.settle(state), sessionEnded: false };
    await this.facts.releaseEnded(settled, CONTEXT);
    const orphansDueAt = await this.releaseOrphanClaims(paymentId, settled);
    if (isOpen(settled)) {
      this.metrics.reconciler.inc({ result: 'still_open' });
      await this.releaseUnknown(settled, sessionEnded);
      await this.flags.flagIfDue(settled);
      this.logger.log(logIds(settled), 'still open at Dintero');
      this.due.retry(paymentId, Date.now(), nextLook(settled, Date.now(), this.lookSettings));
      return;
    }
    if (settled.status !== 'none') this.metrics.reconciler.inc({ result: 'settled' });
    // What is not due yet (a refund still within its wait, a claim within its grace) is looked at then.
    const next = [orphansDueAt, this.refunds.dueAt(settled)].filter((at): at is number => at !== undefined);
    if (next.length > 0) this.due.schedule(paymentId, Math.min(...next));
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

  /**
   * A transaction Dintero reports as UNKNOWN: the terminal is released once Dintero's session has ended,
   * so that the next customer can pay. Dintero is still asked, less and less often, until it says what happened.
   */
  private async releaseUnknown(payment: OpenPayment, sessionEnded: boolean): Promise<void> {
    if (payment.status !== 'outcome_unknown' || payment.unknownSince === undefined || !sessionEnded) return;
    await this.release(payment.paymentId, payment.terminalId, payment.claimId, payment.storeId);
  }

  /** Asks Dintero: the session and its transaction, or, without a session, transactions by our reference. */
  private async settleOpen(state: OpenPayment): Promise<{ state: PaymentState; sessionEnded: boolean }> {
    const { paymentId } = state;
    let transactionId: string | undefined;
    let refused: DinteroErrorKind | undefined;
    const session =
      (await this.cancelAsRequested(state)) ??
      (state.sessionId ? await this.dintero.findSession(state.sessionId) : undefined);
    if (session) {
      transactionId = session.transaction_id ?? state.transactionId;
      // Cancelled, declined or failed with no transaction: what the callback that never came would have said.
      refused = sessionError(session);
    } else if (state.transactionId) {
      // A transaction a callback or webhook already named: asked about by its id, not searched for.
      transactionId = state.transactionId;
    } else {
      // By our payment id, Dintero's `merchant_reference_2` filter: the POS's reference may repeat, and a
      // terminal's newest hundred transactions with it need not hold this one (then taken for expired).
      const candidates = await this.dintero.listTransactions({
        merchantReference2: paymentId,
        storeId: [state.storeId],
        limit: 100,
      });
      transactionId = candidates.find((tx) => tx.merchant_reference_2 === paymentId)?.id;
    }
    if (transactionId) {
      await this.facts.recordTransactionById(paymentId, transactionId, CONTEXT);
      // The payment's own transaction Dintero could not tell of, where the session names another since (a later try):
      // asked about too, after, so that a later try captured is the payment's end whatever became of the first. Asked
      // while the payment still waits on it (the later try's refusal does not end it), or once it has ended (a
      // capture of the first is then money taken twice, recorded as a late capture), not while a later try runs.
      const own = state.status === 'outcome_unknown' ? state.transactionId : undefined;
      if (own !== undefined && own !== transactionId) {
        const now = (await readState(this.store, paymentStream(paymentId), paymentDecider)).state;
        const waitsOnIt = now.status === 'outcome_unknown' && now.transactionId === own;
        if (waitsOnIt) await this.facts.recordTransactionById(paymentId, own, CONTEXT);
        else if (now.status !== 'none' && !isOpen(now))
          // The payment has its end: not reaching the first try changes nothing of it (a webhook may still bring it).
          await this.facts
            .recordTransactionById(paymentId, own, CONTEXT)
            .catch((error: unknown) =>
              this.logger.warn(
                { ...logIds(state), err: error, transactionId: own },
                'could not ask Dintero about the first try of a payment ended on a later one',
              ),
            );
      }
    } else if (refused) await this.facts.recordError(paymentId, refused, CONTEXT, session);
    else if (Date.now() >= Date.parse(state.expiresAt)) await this.facts.expire(paymentId, CONTEXT);
    // The terminal's part is over once the session has a transaction (the card was presented and the
    // terminal answered), was cancelled or refused, or has expired.
    const expiresAt = instantOf(session?.expires_at) ?? state.expiresAt;
    const sessionEnded = transactionId !== undefined || refused !== undefined || Date.now() >= Date.parse(expiresAt);
    return { state: (await readState(this.store, paymentStream(paymentId), paymentDecider)).state, sessionEnded };
  }

  /**
   * A cancel the POS asked for that Dintero has not confirmed (its answer to the command service was lost, or never
   * came): asked again while the session runs, so that the terminal stops prompting and a card presented later is
   * not charged for a sale the POS cancelled. Dintero answers with the session (`cancelled_at`, or the transaction it
   * voided); undefined when it refuses (a transaction past authorisation: the session is then read as usual). Not
   * reached, Dintero is asked again at the next look (`tick`'s retry).
   */
  private async cancelAsRequested(state: OpenPayment): Promise<DinteroSession | undefined> {
    if (!state.cancellationRequested || !state.sessionId || Date.now() >= Date.parse(state.expiresAt)) return undefined;
    const { sessionId } = state;
    this.logger.log(logIds(state), 'asking Dintero again to cancel the session the POS cancelled');
    try {
      return await this.dintero.cancelSession(sessionId);
    } catch (error) {
      if (error instanceof DinteroRejectedError) return undefined;
      throw error;
    }
  }

  /** Releases a claim the reconciler found to be over (its session ended, or nothing was recorded behind it). */
  private release(paymentId: string, terminalId: string, claimId: string, storeId?: string): Promise<void> {
    const at = new Date().toISOString();
    return releaseClaim(
      this.store,
      { terminalId, claimId, reason: 'reconciled', at },
      { correlationId: CONTEXT.correlationId, occurredAt: at, paymentId, terminalId, ...(storeId ? { storeId } : {}) },
    );
  }

  /**
   * Claims that name this payment with nothing recorded behind them: a payment never requested, or a
   * refund never recorded (the command service stopped in between, or a refused command whose release
   * failed). Each is released once it is older than the grace; the rim's `TerminalReleased` carries the
   * claim's store, so the read models free the terminal too. Returns when the next such claim is due.
   */
  private async releaseOrphanClaims(paymentId: string, state: PaymentState): Promise<number | undefined> {
    const known = knownClaims(state);
    const now = Date.now();
    let next: number | undefined;
    for (const [claimId, { terminalId, storeId, claimedAt, operation }] of [...this.due.openClaims(paymentId)]) {
      if (known.has(claimId)) continue;
      if (
        operation &&
        (await readState(this.store, operationStream(claimId), operationDecider)).state.status !== 'none'
      ) {
        this.due.forgetClaim(paymentId, claimId);
        continue;
      }
      const dueAt = claimedAt + this.config.reconcilerOrphanClaimSeconds * 1000;
      if (dueAt > now) {
        next = Math.min(next ?? dueAt, dueAt);
        continue;
      }
      await this.release(paymentId, terminalId, claimId, storeId);
      this.logger.warn(
        { correlationId: CONTEXT.correlationId, paymentId, storeId, terminalId, claimId },
        'released a claim with nothing recorded behind it',
      );
    }
    return next;
  }
}

import { Inject, Injectable, Logger } from '@nestjs/common';
import { handleCommand, type RecordedEvent } from '@app/event-store';
import { NIGHTLY_CLOSE_SWITCH_STREAM, addDays, nightlyCloseSwitchDecider } from '@app/payment-domain';
import type { Registry } from 'prom-client';
import { countedFromZero, METRICS_REGISTRY, paymentMetrics, type PaymentMetrics } from '@app/platform';
import { giveUpReason, nextAttempt, stateOf } from './close-attempt';
import { BUSY_TERMINAL, missedDayReason, supersededReason, type MissedTerminalDay } from './close-give-up-reasons';
import { terminalCloseAt } from './close-due';
import { closeOperationId } from './close-schedule';
import { LeasedLogDependencies, LeasedLogService } from './leased-log-worker';
import {
  dueCloses,
  lookBackFrom,
  missedCloses,
  outOfUseAtCloseTime,
  supersededCloses,
  type CloseDaySettings,
  type DueClose,
} from './nightly-close-days';
import { CORRELATION_ID, KEEP_DAYS_MS, NightlyCloseIndex } from './nightly-close-index';
import {
  NIGHTLY_CLOSE_CHECKPOINT,
  prunedPastLookBack,
  restoreInto,
  snapshotOf,
  type NightlyCloseSnapshot,
} from './nightly-close-snapshot';
import { NightlyCloseWriter } from './nightly-close.writer';

/**
 * Every night, at each store's `endOfDayTime` (its time zone), closes the day of each of its terminals that
 * is in use (not deactivated, `ACTIVE` at Dintero): an `end_of_day` operation, spread over
 * `NIGHTLY_CLOSE_SPREAD_SECONDS` and at most `NIGHTLY_CLOSE_MAX_PER_SECOND`. A terminal busy with a payment or
 * refund is closed once it is free; a close that ended without completing (`timed_out`, `failed`, …) is tried
 * again after `NIGHTLY_CLOSE_RETRY_SECONDS`, up to `NIGHTLY_CLOSE_MAX_ATTEMPTS`.
 *
 * A close is given up, and `CloseGivenUp` recorded for the store day, when its last attempt ended without closing;
 * at once when Dintero refused it (a 4xx: the terminal unknown there, say) or the domain refused to start it, which
 * another attempt would not change; and when it could not be started for a passing reason (the log out of reach)
 * `NIGHTLY_CLOSE_MAX_ATTEMPTS` times in all for that attempt (counted in NATS, `CloseStartFailures`, so across restarts
 * and instances; a busy terminal between two such starts does not start the count again). Dintero out of reach is no such reason: the operation is recorded and sent again with its key by the
 * operations reconciler, and ends timed out or expired, which counts as an attempt. And it is given up when the
 * terminal's next day's close falls due before it closed (`supersededCloses`), but for one still under way at
 * Dintero, which may yet complete. A terminal day that was due and left no trace (`missedCloses`: the engine down all
 * night, or for days, back to the terminal's last day the log shows the nightly close at work and at most
 * `NIGHTLY_CLOSE_LOOK_BACK_DAYS`; or a busy terminal or failed starts that only NATS kept, this instance restarted
 * since) is given up when found, and says it was found late (a held-up one, when its next day's close fell due before
 * this instance started). A day of a terminal out of use at its close time that took
 * payments or refunds in it before it was taken out of use is given up at that close time (`outOfUseAtCloseTime`), or
 * found late when it fell due before this instance started, or as missed. Found late means found after it fell due
 * with no instance known to run the nightly close then (`foundLate`): a day that falls due between this instance's
 * start and its first round (which waits for the log to be read) was due while it ran, and is not; nor is one a
 * store's close time moved to one past made due while it ran (it fell due as the move was made, not at its close
 * time). Every give-up of a terminal day goes on that day's own stream (`closeDayKey`) at the revision read, so that
 * instances knowing the close differently record the one give-up, the first's, with or without NATS.
 *
 * Each close has an id made from the store, the terminal, the day and the attempt, the same on every instance
 * and after a restart, and is started only when the log has no operation of that id, and once it is claimed on the
 * day's stream, where the give-up goes (`close-day-claims.ts`: so the day is never both given up and under way or
 * closed, with or without the lease): so it runs once, however
 * many ingest instances run, and a close that came due while the engine was down runs when it is back (until
 * the next day's close time, when that day's close is the one due).
 *
 * What it knows is folded from the log into its index (`NightlyCloseIndex`), and the `terminal-` streams it follows
 * hold two events a payment or refund: over a chain's months, millions to read again at every start. So the index is
 * kept in a checkpoint (`NIGHTLY_CLOSE_CHECKPOINT`, object store `{prefix}_nightly_close`, one object per log), saved
 * by any instance every `NIGHTLY_CLOSE_CHECKPOINT_SECONDS` and at stop, as of the position it has followed to, and a
 * start follows the log from after it (`CheckpointKeeper`). It holds what was folded from the log and nothing else
 * (`snapshotOf`): not this instance's notes of its closes (a busy terminal, a start that failed, with the pause its own
 * settings set), nor what one run knows (the days it had due, the days found no missed close), which a start from the
 * log's beginning would not have either.
 * The index reads no setting, so a checkpoint saved by an instance set otherwise (`NIGHTLY_CLOSE_MAX_ATTEMPTS`,
 * `NIGHTLY_CLOSE_RETRY_SECONDS`) is one this instance would have made. A checkpoint missing, not read within 10 s, of
 * another version (`NightlyCloseSnapshot`'s shape), made on a log since restored from a backup, or pruned to fewer days
 * back than this instance looks (`prunedPastLookBack`) is passed over, and
 * the log is followed from its start, as at a first start. Either way no round runs before the index holds the log as
 * it stood at the start (`LeasedLogWorker`).
 */
@Injectable()
export class NightlyClose extends LeasedLogService<NightlyCloseSnapshot> {
  /** What the nightly close knows, folded from the log. */
  private readonly index: NightlyCloseIndex;
  /** This instance's rounds so far: at a budget of one a round, every other one is the give-ups' first. */
  private rounds = 0;
  /**
   * When this instance started (as its switch records it): a give-up that fell due before then is found late
   * (`foundLate`); one that fell due since fell due while this instance ran, before its first round or after it.
   */
  private startedAt = Date.now();
  /** Whether this instance has recorded how it was started (on), which the look for missed days waits for. */
  private switchRecorded = false;
  private readonly metrics: PaymentMetrics;
  /** What it writes: the attempts of a close and the give-ups, with the failed starts kept in NATS. */
  private readonly writer: NightlyCloseWriter;

  constructor(
    dependencies: LeasedLogDependencies,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
  ) {
    const { config } = dependencies;
    const index = new NightlyCloseIndex();
    super(
      {
        name: 'nightly-close',
        // `terminal-` for the payments and refunds that claim a terminal: whether a day it was out of use at the close
        // time of took any (`outOfUseAtCloseTime`).
        streamPrefixes: ['store-', 'operation-', 'nightly-close-', 'terminal-'],
        intervalMs: dependencies.config.nightlyCloseCheckMs,
        natsPrefix: dependencies.config.natsPrefix,
        natsReplicas: dependencies.config.natsReplicas,
        leaseMs: dependencies.config.reconcilerLeaseSeconds * 1000,
        // The `terminal-` streams hold two events a payment or refund: over months, millions to read at each start.
        checkpoint: {
          kind: NIGHTLY_CLOSE_CHECKPOINT,
          everyMs: config.nightlyCloseCheckpointSeconds * 1000,
          snapshot: () => snapshotOf(index),
          restore: (state) => restoreInto(index, state),
          refuses: (state) => prunedPastLookBack(state, lookBackFrom(Date.now(), config.nightlyCloseLookBackDays)),
        },
      },
      dependencies,
      new Logger(NightlyClose.name),
    );
    this.index = index;
    this.metrics = paymentMetrics(registry);
    this.writer = new NightlyCloseWriter(dependencies, this.metrics, this.logger, this.index);
  }

  /** The log position this instance started following from: its checkpoint's, or 0 without one. */
  get resumedFrom(): bigint {
    return this.worker.resumedFrom;
  }

  protected get enabled(): boolean {
    return this.config.reconcilerEnabled && this.config.nightlyCloseEnabled;
  }

  /**
   * Records whether the nightly close is on, as this instance starts (an instance that runs the reconcilers: those
   * with `RECONCILER_ENABLED=false` do no background work and say nothing), before it follows the log. Both only once
   * the app has made sure that no engine of another log runs on its NATS prefix (`onceChecked`): the switch recorded
   * before went into a log that may be another engine's.
   */
  override async onApplicationBootstrap(): Promise<void> {
    if (this.enabled) countedFromZero(this.registry, ['nightlyCloses']);
    if (this.enabled) await super.onApplicationBootstrap();
    // Switched off, no round follows to record it: a write the log did not take fails the try, which is tried again.
    else if (this.config.reconcilerEnabled) await this.onceChecked(() => this.writeSwitch(Date.now()));
  }

  /**
   * One try of the worker's start: the instance runs the nightly close from the try that starts it on (a day that fell
   * due while the log did not answer at start is found late, as one that fell due before the start). The switch is
   * recorded first, at the first try; one the log did not take is recorded by a later try or round.
   */
  protected override async startWorker(): Promise<void> {
    this.startedAt = Date.now();
    if (!this.switchRecorded) await this.recordSwitch(this.startedAt);
    return super.startWorker();
  }

  /** The switch recorded (nothing when the log says so already); when the log cannot take it, the next round tries. */
  private async recordSwitch(now: number): Promise<void> {
    try {
      await this.writeSwitch(now);
    } catch (error) {
      this.logger.warn(
        { err: error, enabled: this.config.nightlyCloseEnabled },
        'could not record the nightly close switched on or off; trying again',
      );
    }
  }

  /** The switch recorded (nothing when the log says so already); rejects when the log does not take it. */
  private async writeSwitch(now: number): Promise<void> {
    const enabled = this.config.nightlyCloseEnabled;
    await handleCommand(
      this.store,
      NIGHTLY_CLOSE_SWITCH_STREAM,
      nightlyCloseSwitchDecider,
      { type: 'SwitchNightlyClose', data: { enabled, at: new Date(now).toISOString() } },
      { metadata: { correlationId: CORRELATION_ID } },
    );
    this.switchRecorded = true;
  }

  protected onEvent(record: RecordedEvent): void {
    this.index.onEvent(record);
  }

  protected async tick(): Promise<void> {
    const now = Date.now();
    // The first day kept: closes of days before it are forgotten, and no day before it is looked at for a missed close.
    const oldest = new Date(now - KEEP_DAYS_MS).toISOString().slice(0, 10);
    const lookBack = lookBackFrom(now, this.config.nightlyCloseLookBackDays);
    this.index.prune(oldest, lookBack);
    const due = dueCloses(this.index, this.daySettings, now);
    for (const { key } of due) this.index.seenDue.add(key);
    const counts = { completed: 0, running: 0, waiting: 0, failed: 0, given_up_earlier: 0 };
    for (const { key } of due) counts[stateOf(this.index.closes.get(key), this.config.nightlyCloseMaxAttempts)] += 1;
    // Closes of earlier days of the days kept given up (superseded, or missed), by any instance as the log has them:
    // each is counted on `payments_nightly_closes_total{result="given_up"}` by the instance that gave it up, and
    // `failed` counts the due day's only.
    const dueKeys = new Set(due.map(({ key }) => key));
    for (const [key, close] of this.index.closes)
      if (close.status === 'given_up' && !dueKeys.has(key)) counts.given_up_earlier += 1;
    for (const [state, count] of Object.entries(counts)) this.metrics.nightlyCloseTerminals.set({ state }, count);
    let budget = Math.max(
      1,
      Math.floor((this.config.nightlyCloseMaxPerSecond * this.config.nightlyCloseCheckMs) / 1000),
    );
    // The closes due now first: after a long outage the give-ups of past days (superseded, missed: up to
    // NIGHTLY_CLOSE_LOOK_BACK_DAYS a terminal) would otherwise take rounds of budget while tonight's closes waited, and
    // were superseded themselves. No give-up has to come before its terminal's next day's close: the day's give-up and
    // the next day's claim are on streams of their own, a superseded close holds no terminal (one under way is not given
    // up), the missed days looked at are those before the due one, and the store day takes a later day's close before
    // the give-up (`withCloseGivenUp`). A tenth of the budget is kept for the give-ups, which a fleet larger than the
    // budget, its busy terminals tried again every round, would otherwise hold off all night; what they leave, the due
    // closes not reached take. A budget of one has no tenth to keep: the give-ups have it every other round instead (and
    // the due closes take it back when no give-up is waiting), so that neither kind holds the other off for good.
    this.rounds += 1;
    const keptForGiveUps = budget > 1 ? Math.ceil(budget / 10) : this.rounds % 2;
    const first = await this.workOnDue(due, 0, budget - keptForGiveUps, now);
    budget -= first.spent;
    budget -= await this.giveUpEarlier(due, budget, now, lookBack);
    if (budget > 0) await this.workOnDue(due, first.next, budget, now);
  }

  /**
   * The closes due now, from `from`, at most `allowance` of them started (or given up): where it stopped, and how many
   * it spent.
   */
  private async workOnDue(
    due: readonly DueClose[],
    from: number,
    allowance: number,
    now: number,
  ): Promise<{ next: number; spent: number }> {
    let spent = 0;
    let next = from;
    for (; next < due.length; next++) {
      if (spent >= allowance || this.worker.isStopped) break;
      const close = due[next]!;
      const current = this.index.closes.get(close.key);
      const reason = current && giveUpReason(current, this.config.nightlyCloseMaxAttempts);
      if (current && reason !== undefined) {
        if (!(await this.worker.mayTake(`nightly-close.${close.key}`))) continue;
        spent += 1;
        await this.giveUp(close, current, reason, now);
        continue;
      }
      const attempt = nextAttempt(this.index.closes.get(close.key), now, {
        maxAttempts: this.config.nightlyCloseMaxAttempts,
        retryMs: this.config.nightlyCloseRetrySeconds * 1000,
      });
      if (attempt === undefined || !(await this.worker.mayTake(`nightly-close.${close.key}`))) continue;
      spent += 1;
      await this.close({ ...close, attempt }, now);
    }
    return { next, spent };
  }

  /**
   * The give-ups of days before the due one, with at most `budget` of them: superseded closes, then missed days. How
   * many it spent.
   */
  private async giveUpEarlier(
    due: readonly DueClose[],
    budget: number,
    now: number,
    lookBackFrom: string,
  ): Promise<number> {
    // Until this instance has said it runs, a day of its own run would be taken for one the nightly close was off.
    if (!this.switchRecorded) await this.recordSwitch(now);
    if (budget <= 0) return 0;
    let spent = 0;
    for (const day of outOfUseAtCloseTime(this.index, this.daySettings, now)) {
      if (spent >= budget || this.worker.isStopped) return spent;
      if (!(await this.worker.mayTake(`nightly-close.${day.key}`))) continue;
      spent += 1;
      const close = { businessDay: day.businessDay, attempt: 1, status: 'unstarted' as const, notBefore: 0 };
      await this.giveUp(day, close, day.reason, now, this.foundLate(day.storeId, day.businessDay, day.dueAt));
    }
    for (const superseded of supersededCloses(this.index, this.daySettings, due, now)) {
      if (spent >= budget || this.worker.isStopped) return spent;
      if (!(await this.worker.mayTake(`nightly-close.${superseded.key}`))) continue;
      spent += 1;
      // Had due here, it was superseded while this instance ran (its store's close time moved, say, to a time passed).
      const late =
        !this.index.seenDue.has(superseded.key) &&
        this.foundLate(superseded.storeId, addDays(superseded.businessDay, 1), superseded.supersededAt);
      await this.giveUp(superseded, superseded.close, superseded.reason, now, late);
    }
    // A terminal's missed days oldest first, and none after one left unsettled this round (another instance holds it,
    // NATS could not be read, the log not written): a give-up bounds the next round's look back, which must not pass
    // over an earlier day still to give up.
    const unsettled = new Set<string>();
    for (const missed of this.switchRecorded ? missedCloses(this.index, this.daySettings, now, lookBackFrom) : []) {
      if (spent >= budget || this.worker.isStopped) return spent;
      const terminal = `${missed.storeId}.${missed.terminalId}`;
      if (unsettled.has(terminal)) continue;
      if (!(await this.worker.mayTake(`nightly-close.${missed.key}`))) {
        unsettled.add(terminal);
        continue;
      }
      const found = await this.missedReason(missed);
      if (found === undefined) {
        if (!this.index.notMissed.has(missed.key)) unsettled.add(terminal);
        continue;
      }
      spent += 1;
      const close = { businessDay: missed.businessDay, attempt: 1, status: 'unstarted' as const, notBefore: 0 };
      if (!(await this.giveUp(missed, close, found.reason, now, found.late))) unsettled.add(terminal);
    }
    return spent;
  }

  /**
   * Whether a give-up that fell due at `dueAt` (the close time of `businessDay` with the terminal's spread; for a close
   * superseded, `businessDay` is the next day, whose close superseded it) is found late: it fell due before this instance
   * started, when no instance may have been running the nightly close. One that fell due since fell due while this
   * instance ran (reading the log for its first round, maybe), and is given up as it would have been at that time. What
   * the log cannot tell: whether another instance ran then (it would have given the day up itself, unless it stopped
   * first): found late, the safe word. A day a change of its store's schedule made due as it was made (its close time
   * moved to one past, say) fell due only then (`NightlyCloseIndex.fellDueAt`): found late only when that was before
   * this instance started. Any other change leaves the day due when it was.
   */
  private foundLate(storeId: string, businessDay: string, dueAt: number): boolean {
    return this.index.fellDueAt(storeId, businessDay, dueAt) < this.startedAt;
  }

  /** `NIGHTLY_CLOSE_SPREAD_SECONDS`, in milliseconds. */
  private get spreadMs(): number {
    return this.config.nightlyCloseSpreadSeconds * 1000;
  }

  /** What the look at the days needs of the configuration. */
  private get daySettings(): CloseDaySettings {
    return { spreadMs: this.spreadMs, maxAttempts: this.config.nightlyCloseMaxAttempts };
  }

  /**
   * Why a terminal day with no trace in the log is given up, if it is: its first attempt was held up by a busy terminal
   * or could not be started (as NATS kept it, this instance restarted since), or no close of it was made at all while
   * the nightly close was in service (`CloseInService`: on at its close time, or at work while it was due). The give-up
   * is dated when found. One with no close made at all is found late, and says so: it fell due with no instance at work
   * on it. One held up that only NATS kept was superseded when its next day's close fell due, and is found late when
   * that was before this instance started (`foundLate`), as a close superseded is. A day the nightly close was off over,
   * or before it ran, is none of its, and is not looked at again.
   */
  private async missedReason(missed: MissedTerminalDay): Promise<{ reason: string; late: boolean } | undefined> {
    const { storeId, terminalId, businessDay, key, closeAt, nextCloseAt } = missed;
    const next = addDays(businessDay, 1);
    const note = await this.writer.notesOf(closeOperationId(storeId, terminalId, businessDay, 1), {
      storeId,
      terminalId,
      businessDay,
    });
    // NATS out of reach: looked at again next round, for the reason it may hold.
    if (note === null) return undefined;
    if (note && (note.count > 0 || note.busy)) {
      const why = note.count > 0 ? note.reason : BUSY_TERMINAL;
      const supersededAt = terminalCloseAt(storeId, terminalId, nextCloseAt, this.spreadMs);
      return { reason: supersededReason(next, why), late: this.foundLate(storeId, next, supersededAt) };
    }
    if (!this.index.inService.forDay(closeAt, nextCloseAt)) {
      this.index.notMissed.add(key);
      return undefined;
    }
    return { reason: missedDayReason(missed), late: true };
  }

  /** Starts an attempt of a terminal day's close (`NightlyCloseWriter.close`). */
  private close(...args: Parameters<NightlyCloseWriter['close']>): Promise<void> {
    return this.writer.close(...args);
  }

  /** Records that the close of a terminal day is given up (`NightlyCloseWriter.giveUp`): whether it is in the log now. */
  private giveUp(...args: Parameters<NightlyCloseWriter['giveUp']>): Promise<boolean> {
    return this.writer.giveUp(...args);
  }
}

import { Inject, Injectable, Logger } from '@nestjs/common';
import { handleCommand, readState, type RecordedEvent } from '@app/event-store';
import {
  DEFAULT_END_OF_DAY_TIME,
  DomainError,
  NIGHTLY_CLOSE_SWITCH_STREAM,
  addDays,
  asDomainEvent,
  nightlyCloseSwitchDecider,
  operationDecider,
  operationOpen,
  operationStream,
  ownEntry,
  storeDecider,
  type OperationStatus,
  type StoreEvent,
  type StoreState,
} from '@app/payment-domain';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import {
  countedFromZero,
  METRICS_REGISTRY,
  operationMetadata,
  paymentMetrics,
  startOperation,
  type PaymentMetrics,
} from '@app/platform';
import { claimCloseAttempt, settleDayAttempts } from './close-day-claims';
import {
  daysBefore,
  notItsDay,
  terminalCloseAt,
  terminalDayDue,
  terminalInUse,
  type DueDay,
  type MissedDay,
} from './close-due';
import { closeDayKey, closeOperationId, closeTime, dueClose } from './close-schedule';
import { CloseInService } from './close-in-service';
import { CloseStartFailures } from './close-start-failures';
import { LeasedLogDependencies, LeasedLogService } from './leased-log-worker';
import { TerminalUsePeriods, type UsePeriod } from './terminal-use-periods';

const CORRELATION_ID = 'nightly-close';

/** A terminal's close of one day: its latest attempt, how that stands, and when it may be tried again. */
interface CloseAttempt {
  readonly businessDay: string;
  readonly attempt: number;
  /**
   * The operation's status, or why it has none: `busy` (a payment or refund held the terminal), `refused` (the
   * domain refused to start it: it would be refused again), `unstarted` (it could not be started for a passing
   * reason, the log out of reach say), `given_up` (the give-up is in the log).
   */
  readonly status: OperationStatus | 'busy' | 'refused' | 'unstarted' | 'given_up';
  /** Not before then: after a busy terminal, or an attempt that did not complete. */
  readonly notBefore: number;
  /** Why the attempt ended without closing, or could not start: the give-up's reason. */
  readonly reason?: string;
  /** Starts of this attempt that failed for a passing reason, one after another. */
  readonly failedStarts?: number;
}

/** Closes older than this are forgotten: only the latest due day's close is ever started. */
const KEEP_DAYS_MS = 3 * 86_400_000;
/** How soon a close of a busy terminal is tried again. */
const BUSY_RETRY_MS = 15_000;

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
 * since) is given up when found, and says it was found late. A day of a terminal out of use at its close time that took
 * payments or refunds in it before it was taken out of use is given up at that close time (`outOfUseAtCloseTime`), or
 * found late as missed. Every give-up of a terminal day goes on that day's own stream
 * (`closeDayKey`) at the revision read, so that instances knowing the close differently record the one give-up, the
 * first's, with or without NATS.
 *
 * Each close has an id made from the store, the terminal, the day and the attempt, the same on every instance
 * and after a restart, and is started only when the log has no operation of that id, and once it is claimed on the
 * day's stream, where the give-up goes (`close-day-claims.ts`: so the day is never both given up and under way or
 * closed, with or without the lease): so it runs once, however
 * many ingest instances run, and a close that came due while the engine was down runs when it is back (until
 * the next day's close time, when that day's close is the one due).
 */
/** Why an attempt voided by its day's give-up (`CloseAttemptVoided`) is not started: the day is to be given up. */
const VOIDED = 'its attempt was voided by a give-up of the day';

/** A terminal day due and never closed, given up or closed by hand, as `missedCloses` finds it. */
interface MissedTerminalDay {
  readonly storeId: string;
  readonly terminalId: string;
  readonly businessDay: string;
  readonly key: string;
  readonly closeAt: number;
  readonly nextCloseAt: number;
  /** When the terminal was taken out of use, if it was after this day's close time (the end of its period in use). */
  readonly outOfUseAt?: number;
  /** Its period in use at the close time: when it began, and no earlier than when the log recorded that. */
  readonly inUse?: { readonly from: number; readonly recordedAfter?: number };
  /**
   * Out of use at the day's close time: the period in use that ended in the day after taking payments or refunds
   * (`outOfUseReason`).
   */
  readonly outOfUseBefore?: UsePeriod;
}

/** A terminal's close due now: of the latest day whose close time (with its spread) has come. */
interface DueClose {
  readonly storeId: string;
  readonly terminalId: string;
  readonly businessDay: string;
  readonly key: string;
  readonly dinteroTerminalId: string;
}

@Injectable()
export class NightlyClose extends LeasedLogService {
  private readonly stores = new Map<string, StoreState>();
  /**
   * When each terminal (`{storeId}.{terminalId}`) was last registered, first or again after its removal (a new entry,
   * another device maybe): the due close of a day whose close time came before that is none of its.
   */
  private readonly registeredAt = new Map<string, number>();
  /**
   * When each terminal was in use, period by period (registered or reactivated, `ACTIVE` at Dintero, until deactivated,
   * removed or moved, or not `ACTIVE` there any more), within the days looked back over: a day is a missed close of its
   * only when its close time fell in one of them, before a reactivation as after it.
   */
  private readonly use = new TerminalUsePeriods();
  /** Terminals removed from their store (or moved to another), by store: no longer listed there, still looked at. */
  private readonly removed = new Map<string, Set<string>>();
  /**
   * Terminal days (`{storeId}.{terminalId}.{day}`) the log shows the nightly close at work on (a close requested or
   * given up), for the days looked back over: the look for missed days of a terminal goes back no further than the
   * latest of them before the day due, the days before it found (or not) while the engine ran then.
   */
  private readonly tracedDays = new Set<string>();
  /**
   * When the nightly close was switched on and off (`NightlyCloseSwitched`), and when the log shows it at work (a close
   * requested or given up): whether a day was due, for the look for missed days.
   */
  private readonly inService = new CloseInService();
  /** By `{timeZone} {endOfDayTime}`, the days the look for missed days goes over, as of the due day and the first day. */
  private schedules = new Map<
    string,
    { readonly due: string; readonly from: string; readonly days: readonly MissedDay[] }
  >();
  /** This instance's rounds so far: at a budget of one a round, every other one is the give-ups' first. */
  private rounds = 0;
  /** Whether this instance has recorded how it was started (on), which the look for missed days waits for. */
  private switchRecorded = false;
  /** Terminal days (`{storeId}.{terminalId}.{day}`) a close by hand closed: no nightly close of theirs is missed. */
  private readonly closedByHand = new Set<string>();
  private readonly handCloseOf = new Map<string, string>();
  /** Terminal days with no trace found to be no missed close (the nightly close not in service then): not read again. */
  private readonly notMissed = new Set<string>();
  /**
   * Terminal days this instance had due, since it started: a close superseded that it never had due it found late (it
   * was down, or not yet deployed, when the next day's close fell due), and its give-up says so.
   */
  private readonly seenDue = new Set<string>();
  /** Closes by `{storeId}.{terminalId}.{day}`, and which close each operation id is. */
  private readonly closes = new Map<string, CloseAttempt>();
  private readonly closeOf = new Map<string, { readonly key: string; readonly attempt: number }>();
  private readonly metrics: PaymentMetrics;
  private readonly nats: NatsConnection;
  /** The failed starts kept in NATS, opened at the first that is needed; undefined while it could not be. */
  private failures: Promise<CloseStartFailures | undefined> | undefined;

  constructor(
    dependencies: LeasedLogDependencies,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
  ) {
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
      },
      dependencies,
      new Logger(NightlyClose.name),
    );
    this.metrics = paymentMetrics(registry);
    this.nats = dependencies.nats;
  }

  /** The failed starts kept in NATS; when NATS is out of reach, none (counted in memory only), and tried again next time. */
  private startFailures(): Promise<CloseStartFailures | undefined> {
    const { natsPrefix, natsReplicas } = this.config;
    this.failures ??= CloseStartFailures.open(this.nats, natsPrefix, KEEP_DAYS_MS, natsReplicas).catch(
      (error: unknown) => {
        this.failures = undefined;
        this.logger.warn({ err: error }, 'could not open the nightly close’s failed starts (NATS): counted in memory');
        return undefined;
      },
    );
    return this.failures;
  }

  protected get enabled(): boolean {
    return this.config.reconcilerEnabled && this.config.nightlyCloseEnabled;
  }

  /**
   * Records whether the nightly close is on, as this instance starts (an instance that runs the reconcilers: those
   * with `RECONCILER_ENABLED=false` do no background work and say nothing), before it follows the log.
   */
  override async onApplicationBootstrap(): Promise<void> {
    if (this.enabled) countedFromZero(this.registry, ['nightlyCloses']);
    if (this.config.reconcilerEnabled) await this.recordSwitch(Date.now());
    await super.onApplicationBootstrap();
  }

  /** The switch recorded (nothing when the log says so already); when the log cannot take it, the next round tries. */
  private async recordSwitch(now: number): Promise<void> {
    const enabled = this.config.nightlyCloseEnabled;
    try {
      await handleCommand(
        this.store,
        NIGHTLY_CLOSE_SWITCH_STREAM,
        nightlyCloseSwitchDecider,
        { type: 'SwitchNightlyClose', data: { enabled, at: new Date(now).toISOString() } },
        { metadata: { correlationId: CORRELATION_ID } },
      );
      this.switchRecorded = true;
    } catch (error) {
      this.logger.warn({ err: error, enabled }, 'could not record the nightly close switched on or off; trying again');
    }
  }

  protected onEvent(record: RecordedEvent): void {
    const known = asDomainEvent(record);
    if (known?.stream === 'nightly-close') {
      this.inService.switched(Date.parse(known.event.data.at), known.event.data.enabled);
      return;
    }
    if (known?.stream === 'store') {
      const state = this.stores.get(known.id) ?? storeDecider.initialState;
      const next = storeDecider.evolve(state, known.event);
      this.stores.set(known.id, next);
      if (known.event.type === 'TerminalRegistered')
        this.registeredAt.set(`${known.id}.${known.event.data.terminalId}`, Date.parse(known.event.data.at));
      if (known.event.type !== 'StoreRegistered' && known.event.type !== 'StoreDetailsChanged')
        this.noteUse(known.id, known.event, state, next);
      return;
    }
    if (known?.stream === 'terminal') {
      const { event } = known;
      if (event.type === 'TerminalClaimed' && (event.data.kind === 'payment' || event.data.kind === 'refund'))
        this.use.used(`${event.data.storeId}.${event.data.terminalId}`, Date.parse(event.data.claimedAt));
      return;
    }
    if (known?.stream !== 'operation') return;
    const { event, id } = known;
    if (event.type === 'CloseGivenUp') {
      const { storeId, terminalId, businessDay, attempts } = event.data;
      const key = `${storeId}.${terminalId}.${businessDay}`;
      this.closes.set(key, { businessDay, attempt: attempts, status: 'given_up', notBefore: 0 });
      this.tracedDays.add(key);
      this.inService.sawAtWork(businessDay, event.data.at);
      return;
    }
    if (event.type === 'OperationRequested') {
      const { storeId, terminalId, businessDay, requestedBy } = event.data;
      if (businessDay === undefined || event.data.operation !== 'end_of_day') return;
      if (requestedBy !== CORRELATION_ID) {
        this.handCloseOf.set(id, `${storeId}.${terminalId}.${businessDay}`);
        return;
      }
      this.inService.sawAtWork(businessDay, event.data.requestedAt);
      this.tracedDays.add(`${storeId}.${terminalId}.${businessDay}`);
      const attempt = this.attemptOf(id, storeId, terminalId, businessDay);
      if (attempt === undefined) return;
      const key = `${storeId}.${terminalId}.${businessDay}`;
      this.closeOf.set(id, { key, attempt });
      const current = this.closes.get(key);
      if (!current || (current.attempt <= attempt && current.status !== 'given_up'))
        this.closes.set(key, { businessDay, attempt, status: 'requested', notBefore: 0 });
      return;
    }
    const byHand = this.handCloseOf.get(id);
    if (byHand !== undefined && event.type === 'OperationCompleted') this.closedByHand.add(byHand);
    const of = this.closeOf.get(id);
    const current = of && this.closes.get(of.key);
    // Another attempt's news (an older one ending late) leaves the latest attempt as it is.
    if (!of || !current || current.attempt !== of.attempt || current.status === 'given_up') return;
    if (event.type === 'OperationCompleted') this.closes.set(of.key, { ...current, status: 'completed' });
    else if (event.type === 'OperationEnded') {
      const notBefore = Date.parse(event.data.at) + this.config.nightlyCloseRetrySeconds * 1000;
      this.closes.set(of.key, { ...current, status: event.data.outcome, notBefore, reason: event.data.reason });
    }
  }

  /** Notes when the terminal the store event concerns was taken out of use, or back into it, and whether it left the store. */
  private noteUse(storeId: string, event: TerminalStoreEvent, before: StoreState, after: StoreState): void {
    const { terminalId, at } = event.data;
    const key = `${storeId}.${terminalId}`;
    const wasInUse = inUse(before, terminalId);
    const isInUse = inUse(after, terminalId);
    if (wasInUse && !isInUse) this.use.ended(key, Date.parse(at), endedAs(event));
    // A status is dated when Dintero was asked, and may be recorded much later: no earlier than the latest close the
    // log showed the nightly close make before it. Every other change is dated as it is recorded.
    else if (!wasInUse && isInUse)
      this.use.began(
        key,
        Date.parse(at),
        event.type === 'TerminalStatusChanged' ? this.inService.lastAtWork : undefined,
      );
    const listed = after.status === 'registered' && ownEntry(after.terminals, terminalId) !== undefined;
    const removed = this.removed.get(storeId) ?? new Set<string>();
    if (listed) removed.delete(terminalId);
    else if (before.status === 'registered' && ownEntry(before.terminals, terminalId) !== undefined)
      removed.add(terminalId);
    if (removed.size > 0) this.removed.set(storeId, removed);
    else this.removed.delete(storeId);
  }

  /** Which attempt of the store day's close the operation is, if it is one of them. */
  private attemptOf(operationId: string, storeId: string, terminalId: string, businessDay: string) {
    for (let attempt = 1; attempt <= this.config.nightlyCloseMaxAttempts; attempt++)
      if (closeOperationId(storeId, terminalId, businessDay, attempt) === operationId) return attempt;
    return undefined;
  }

  /**
   * Forgets closes of days long past, so that memory stays bounded by the fleet, not by its history: closes before
   * `oldest` (the days kept), and what the look for missed days needs before `lookBackFrom`.
   */
  private prune(oldest: string, lookBackFrom: string): void {
    for (const [key, close] of this.closes) if (close.businessDay < oldest) this.closes.delete(key);
    for (const [operationId, { key }] of this.closeOf) if (!this.closes.has(key)) this.closeOf.delete(operationId);
    this.inService.prune(lookBackFrom);
    // Keys end in the day, ten characters.
    const before = (day: string) => (key: string) => key.slice(-10) < day;
    for (const key of this.seenDue) if (before(oldest)(key)) this.seenDue.delete(key);
    for (const keys of [this.closedByHand, this.notMissed, this.tracedDays])
      for (const key of keys) if (before(lookBackFrom)(key)) keys.delete(key);
    for (const [operationId, key] of this.handCloseOf)
      if (before(lookBackFrom)(key)) this.handCloseOf.delete(operationId);
    // A terminal removed before the days looked back over has no day left to look at, nor its periods in use before.
    const lookBackStart = Date.parse(lookBackFrom);
    this.use.prune(lookBackStart);
    for (const [storeId, terminalIds] of this.removed) {
      for (const terminalId of terminalIds)
        if (!this.use.inUseSince(`${storeId}.${terminalId}`, lookBackStart)) terminalIds.delete(terminalId);
      if (terminalIds.size === 0) this.removed.delete(storeId);
    }
  }

  protected async tick(): Promise<void> {
    const now = Date.now();
    // The first day kept: closes of days before it are forgotten, and no day before it is looked at for a missed close.
    const oldest = new Date(now - KEEP_DAYS_MS).toISOString().slice(0, 10);
    // The first day looked at for a missed close: an outage longer than the days kept is looked back over too.
    const lookBackFrom = new Date(now - this.config.nightlyCloseLookBackDays * 86_400_000).toISOString().slice(0, 10);
    this.prune(oldest, lookBackFrom);
    const due = this.dueCloses(now);
    for (const { key } of due) this.seenDue.add(key);
    const counts = { completed: 0, running: 0, waiting: 0, failed: 0, given_up_earlier: 0 };
    for (const { key } of due) counts[this.stateOf(key)] += 1;
    // Closes of earlier days of the days kept given up (superseded, or missed), by any instance as the log has them:
    // each is counted on `payments_nightly_closes_total{result="given_up"}` by the instance that gave it up, and
    // `failed` counts the due day's only.
    const dueKeys = new Set(due.map(({ key }) => key));
    for (const [key, close] of this.closes)
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
    budget -= await this.giveUpEarlier(due, budget, now, lookBackFrom);
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
      const current = this.closes.get(close.key);
      const reason = current && giveUpReason(current, this.config.nightlyCloseMaxAttempts);
      if (current && reason !== undefined) {
        if (!(await this.worker.mayTake(`nightly-close.${close.key}`))) continue;
        spent += 1;
        await this.giveUp(close, current, reason, now);
        continue;
      }
      const attempt = this.nextAttempt(close.key, now);
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
    for (const day of this.outOfUseAtCloseTime(now)) {
      if (spent >= budget || this.worker.isStopped) return spent;
      if (!(await this.worker.mayTake(`nightly-close.${day.key}`))) continue;
      spent += 1;
      const close = { businessDay: day.businessDay, attempt: 1, status: 'unstarted' as const, notBefore: 0 };
      await this.giveUp(day, close, day.reason, now);
    }
    for (const superseded of this.supersededCloses(due, now)) {
      if (spent >= budget || this.worker.isStopped) return spent;
      if (!(await this.worker.mayTake(`nightly-close.${superseded.key}`))) continue;
      spent += 1;
      await this.giveUp(superseded, superseded.close, superseded.reason, now, !this.seenDue.has(superseded.key));
    }
    // A terminal's missed days oldest first, and none after one left unsettled this round (another instance holds it,
    // NATS could not be read, the log not written): a give-up bounds the next round's look back, which must not pass
    // over an earlier day still to give up.
    const unsettled = new Set<string>();
    for (const missed of this.switchRecorded ? this.missedCloses(now, lookBackFrom) : []) {
      if (spent >= budget || this.worker.isStopped) return spent;
      const terminal = `${missed.storeId}.${missed.terminalId}`;
      if (unsettled.has(terminal)) continue;
      if (!(await this.worker.mayTake(`nightly-close.${missed.key}`))) {
        unsettled.add(terminal);
        continue;
      }
      const reason = await this.missedReason(missed);
      if (reason === undefined) {
        if (!this.notMissed.has(missed.key)) unsettled.add(terminal);
        continue;
      }
      spent += 1;
      const close = { businessDay: missed.businessDay, attempt: 1, status: 'unstarted' as const, notBefore: 0 };
      if (!(await this.giveUp(missed, close, reason, now, true))) unsettled.add(terminal);
    }
    return spent;
  }

  /**
   * Closes of an earlier day of a terminal whose next day's close is due now, that did not close and are not given up:
   * no attempt of them is made any more (only the latest due day's close is ever started), so each is given up, for the
   * store day to say that its batch was not closed. One still under way (asked for, sent, pending at Dintero) may yet
   * complete, and is left to end: it is given up here once it ended without closing. A terminal with no close due now
   * (taken out of use, or removed, after its close ended without closing and before it was tried again) has its
   * store's next day instead, once that day's close time (with the terminal's spread) has come: it is never tried again.
   */
  private supersededCloses(due: readonly { storeId: string; terminalId: string; businessDay: string }[], now: number) {
    const dueOf = new Map(due.map((close) => [`${close.storeId}.${close.terminalId}`, close]));
    const superseded: {
      storeId: string;
      terminalId: string;
      businessDay: string;
      key: string;
      close: CloseAttempt;
      reason: string;
    }[] = [];
    for (const [key, close] of this.closes) {
      if (close.status === 'completed' || close.status === 'given_up' || operationOpen(close.status)) continue;
      // The key is `{storeId}.{terminalId}.{businessDay}`, the day always ten characters.
      const terminal = key.slice(0, -(close.businessDay.length + 1));
      const next = dueOf.get(terminal) ?? this.storeDayDue(terminal, now);
      if (next === undefined || next.businessDay <= close.businessDay) continue;
      const why = close.status === 'busy' ? 'the terminal was busy' : (close.reason ?? close.status);
      superseded.push({
        storeId: next.storeId,
        terminalId: next.terminalId,
        businessDay: close.businessDay,
        key,
        close,
        reason:
          giveUpReason(close, this.config.nightlyCloseMaxAttempts) ??
          `the close of ${next.businessDay} fell due before it could be tried again (${why})`,
      });
    }
    return superseded;
  }

  /**
   * The day whose close is due now at the terminal's store (`{storeId}.{terminalId}`, ids of neither holding a dot), its
   * close time and the terminal's spread come, whether the terminal is in use or listed there still: for a close of an
   * earlier day no due close of the terminal supersedes.
   */
  private storeDayDue(terminal: string, now: number) {
    const [storeId, terminalId] = terminal.split('.') as [string, string];
    const state = this.stores.get(storeId);
    if (state?.status !== 'registered') return undefined;
    const day = terminalDayDue({ storeId, terminalId, schedule: state.details, now, spreadMs: this.spreadMs });
    return day && { storeId, terminalId, businessDay: day.businessDay };
  }

  /**
   * The days due now (their close time and the terminal's spread come) of terminals out of use at that close time
   * (deactivated, moved, not `ACTIVE` at Dintero: `notItsDay`), that took payments or refunds in the day before they were
   * taken out of use: no close of theirs is made, and what they took would reach no close until they came back into
   * use, and none if they never did. Each is given up at once, saying why (`outOfUseReason`), for the store day to list
   * it not closed; a close made when the terminal is back marks it closed since. A day with a close tried, or closed by
   * hand, is left to those. Given up later, found late, by the look for missed days when it could not be then.
   */
  private outOfUseAtCloseTime(now: number) {
    const found: { storeId: string; terminalId: string; businessDay: string; key: string; reason: string }[] = [];
    const days = new Map<string, DueDay>();
    const previous = new Map<string, number>();
    for (const [storeId, state] of this.stores) {
      if (state.status !== 'registered') continue;
      const { timeZone, endOfDayTime = DEFAULT_END_OF_DAY_TIME } = state.details;
      for (const terminalId of [...Object.keys(state.terminals), ...(this.removed.get(storeId) ?? [])]) {
        const day = terminalDayDue(
          { storeId, terminalId, schedule: state.details, now, spreadMs: this.spreadMs },
          days,
        );
        if (day === undefined) continue;
        const { businessDay, closeAt } = day;
        const key = `${storeId}.${terminalId}.${businessDay}`;
        if (this.closes.has(key) || this.closedByHand.has(key)) continue;
        const schedule = `${timeZone} ${endOfDayTime} ${businessDay}`;
        const previousCloseAt = previous.get(schedule) ?? closeTime(addDays(businessDay, -1), endOfDayTime, timeZone);
        previous.set(schedule, previousCloseAt);
        const period = this.use.usedAndEndedBetween(`${storeId}.${terminalId}`, previousCloseAt, closeAt);
        if (period !== undefined)
          found.push({ storeId, terminalId, businessDay, key, reason: outOfUseReason(businessDay, period) });
      }
    }
    return found;
  }

  /** `NIGHTLY_CLOSE_SPREAD_SECONDS`, in milliseconds. */
  private get spreadMs(): number {
    return this.config.nightlyCloseSpreadSeconds * 1000;
  }

  /**
   * Terminal days before the day due now that were due and left no trace: no close of theirs was requested or given up
   * (the engine was down when the next day's close fell due, for however many days, or this instance knew of one only
   * in memory, a busy terminal or starts that failed, and was restarted since). Nothing will try them any more, and
   * nothing said their batch was not closed: each is given up, once (`missedReason` says whether and why). A day the
   * terminal was not in use at (its close time in none of the terminal's periods in use: not yet registered or
   * `ACTIVE` at Dintero, or out of use then, between two periods or since) and a day a close by hand closed are none of
   * these, but for one it took payments or refunds in before it was taken out of use (`outOfUseBefore`); a terminal taken out of use since (deactivated, removed), or taken back into use since, still has the days
   * of its earlier periods looked at. Each terminal's days are looked at from the day before the due one back to the
   * latest the log shows the nightly close at work on it (the days before then were looked at while the engine ran),
   * and no further back than `lookBackFrom` (`NIGHTLY_CLOSE_LOOK_BACK_DAYS`).
   */
  private missedCloses(now: number, lookBackFrom: string) {
    const missed: MissedTerminalDay[] = [];
    // By schedule, the days looked back over before the due one, built again only when the due day or the first day
    // looked at moves (or a store takes a schedule no store had): those of schedules no store has now are dropped.
    const held = this.schedules;
    this.schedules = new Map();
    for (const [storeId, state] of this.stores) {
      if (state.status !== 'registered') continue;
      const { timeZone, endOfDayTime = DEFAULT_END_OF_DAY_TIME } = state.details;
      const key = `${timeZone} ${endOfDayTime}`;
      let schedule = this.schedules.get(key);
      if (!schedule) {
        const due = dueClose(timeZone, endOfDayTime, now).businessDay;
        const before = held.get(key);
        schedule =
          before?.due === due && before.from === lookBackFrom
            ? before
            : { due, from: lookBackFrom, days: daysBefore(due, lookBackFrom, timeZone, endOfDayTime) };
        this.schedules.set(key, schedule);
      }
      const { days } = schedule;
      // Its terminals, and those removed from it: one taken out of use after a day's close time, before that day's
      // close was made, still has that day to give up.
      for (const terminalId of [...Object.keys(state.terminals), ...(this.removed.get(storeId) ?? [])]) {
        const terminalKey = `${storeId}.${terminalId}`;
        // Out of use since before the days looked back over (its periods in use forgotten): no day of its to look at.
        const since = this.use.since(terminalKey);
        if (since === undefined || !this.use.inUseSince(terminalKey, Date.parse(lookBackFrom))) continue;
        // Looked at newest first, up to the terminal's latest day with a trace (or the last before it was first in use,
        // of its periods kept), over every period it was in use (before a reactivation too); given up oldest first, so
        // that a give-up, a trace itself, never hides an earlier day from the next round.
        const its: typeof missed = [];
        for (const { day, closeAt, nextCloseAt, previousCloseAt } of days) {
          const key = `${terminalKey}.${day}`;
          if (since > closeAt || this.tracedDays.has(key)) break;
          if (this.closes.has(key) || this.closedByHand.has(key) || this.notMissed.has(key)) continue;
          // The day stays this terminal's close until its next day's falls due, spread and all (as `dueCloses` has it).
          if (now < terminalCloseAt(storeId, terminalId, nextCloseAt, this.spreadMs)) continue;
          const found = { storeId, terminalId, businessDay: day, key, closeAt, nextCloseAt };
          // Not in use at that day's close time (out of use then, between two periods): no close of its was due. But
          // one that took payments or refunds in the day before it was taken out of use has them in no close.
          const period = this.use.at(terminalKey, closeAt);
          if (period === undefined) {
            const outOfUseBefore = this.use.usedAndEndedBetween(terminalKey, previousCloseAt, closeAt);
            if (outOfUseBefore !== undefined) its.push({ ...found, outOfUseBefore });
            continue;
          }
          const { from, until: outOfUseAt, recordedAfter } = period;
          const out = outOfUseAt === undefined ? {} : { outOfUseAt };
          its.push({ ...found, inUse: { from, ...(recordedAfter === undefined ? {} : { recordedAfter }) }, ...out });
        }
        missed.push(...its.reverse());
      }
    }
    return missed;
  }

  /**
   * Why a terminal day with no trace in the log is given up, if it is: its first attempt was held up by a busy terminal
   * or could not be started (as NATS kept it, this instance restarted since), or no close of it was made at all while
   * the nightly close was in service (`CloseInService`: on at its close time, or at work while it was due). Both are
   * found late, and say so: the give-up is dated when found. A day the nightly close was off over, or before it ran, is
   * none of its, and is not looked at again.
   */
  private async missedReason(missed: MissedTerminalDay): Promise<string | undefined> {
    const { storeId, terminalId, businessDay, key, closeAt, nextCloseAt, outOfUseAt, inUse, outOfUseBefore } = missed;
    const next = addDays(businessDay, 1);
    const failures = await this.startFailures();
    const note = await failures?.of(closeOperationId(storeId, terminalId, businessDay, 1)).catch((error: unknown) => {
      this.logger.warn({ storeId, terminalId, businessDay, err: error }, 'could not read a nightly close’s notes');
      return null;
    });
    // NATS out of reach: looked at again next round, for the reason it may hold.
    if (note === null) return undefined;
    if (note && (note.count > 0 || note.busy)) {
      const why = note.count > 0 ? note.reason : 'the terminal was busy';
      return `the close of ${next} fell due before it could be tried again (${why})`;
    }
    if (!this.inService.forDay(closeAt, nextCloseAt)) {
      this.notMissed.add(key);
      return undefined;
    }
    if (outOfUseBefore !== undefined) return outOfUseReason(businessDay, outOfUseBefore);
    // Its coming into use, dated before the close time (a status, when Dintero was asked), recorded only once the next
    // day's close had fallen due: no close of the day could be made while it was due.
    if (inUse?.recordedAfter !== undefined && inUse.recordedAfter >= nextCloseAt)
      return `missed: the terminal's coming into use at ${new Date(inUse.from).toISOString()}, before the close time of ${businessDay}, was recorded only after the close of ${next} fell due`;
    // Taken out of use while the day was still its close (after its close time, before the close was made).
    if (outOfUseAt !== undefined && outOfUseAt < nextCloseAt)
      return `missed: no close of ${businessDay} was made before the terminal was taken out of use, at ${new Date(outOfUseAt).toISOString()}`;
    return `missed: no close of ${businessDay} was made before the close of ${next} fell due (the nightly close was not running then)`;
  }

  /** Every terminal in use whose day's close time (with its spread) has come: the closes due now. */
  private dueCloses(now: number) {
    const due: DueClose[] = [];
    const days = new Map<string, DueDay>();
    for (const [storeId, state] of this.stores) {
      if (state.status !== 'registered') continue;
      for (const [terminalId, terminal] of Object.entries(state.terminals)) {
        const day = terminalDayDue(
          { storeId, terminalId, schedule: state.details, now, spreadMs: this.spreadMs },
          days,
        );
        if (day === undefined) continue;
        const { businessDay, closeAt } = day;
        const key = `${storeId}.${terminalId}.${businessDay}`;
        const terminalKey = `${storeId}.${terminalId}`;
        const close = this.closes.get(key);
        // A day that is none of the terminal's (put in use after its close time, say) has no close: `notItsDay` says why.
        const notIts = notItsDay(closeAt, {
          inUse: terminalInUse(terminal),
          registeredAt: this.registeredAt.get(terminalKey),
          inUseAtCloseTime: this.use.at(terminalKey, closeAt) !== undefined,
          tried: close !== undefined,
          toGiveUp: close !== undefined && giveUpReason(close, this.config.nightlyCloseMaxAttempts) !== undefined,
        });
        if (notIts !== undefined) continue;
        const dinteroTerminalId = terminal.dintero?.dinteroTerminalId ?? terminalId;
        due.push({ storeId, terminalId, businessDay, key, dinteroTerminalId });
      }
    }
    return due;
  }

  /**
   * Where a due close stands, for the gauge: closed, under way, waiting to start (again: after a busy terminal, or
   * for the pause before its next attempt), or given up (its last attempt ended without closing).
   */
  private stateOf(key: string): 'completed' | 'running' | 'waiting' | 'failed' {
    const close = this.closes.get(key);
    if (close?.status === 'completed') return 'completed';
    if (close && operationOpen(close.status)) return 'running';
    const givenUp =
      close !== undefined &&
      (close.status === 'given_up' || giveUpReason(close, this.config.nightlyCloseMaxAttempts) !== undefined);
    return givenUp ? 'failed' : 'waiting';
  }

  /** The attempt to start now, if any: the first, or the next after one that did not complete. */
  private nextAttempt(key: string, now: number): number | undefined {
    const close = this.closes.get(key);
    if (!close) return 1;
    if (now < close.notBefore) return undefined;
    if (close.status === 'busy' || close.status === 'unstarted') return close.attempt;
    if (!ENDED_WITHOUT_CLOSING.has(close.status)) return undefined;
    return close.attempt < this.config.nightlyCloseMaxAttempts ? close.attempt + 1 : undefined;
  }

  private async close(
    target: {
      storeId: string;
      terminalId: string;
      businessDay: string;
      attempt: number;
      key: string;
      dinteroTerminalId: string;
    },
    now: number,
  ): Promise<void> {
    const { storeId, terminalId, businessDay, attempt, key, dinteroTerminalId } = target;
    const operationId = closeOperationId(storeId, terminalId, businessDay, attempt);
    const log = { storeId, terminalId, operationId, businessDay, attempt, correlationId: CORRELATION_ID };
    // Given up already (by another instance, and not yet followed here): no attempt after a give-up. On the terminal
    // day's stream, or on the attempt's own where an earlier version recorded it.
    const day = await readState(
      this.store,
      operationStream(closeDayKey(storeId, terminalId, businessDay)),
      operationDecider,
    );
    // Recorded already (by another instance, or before a restart, and not yet followed here): not again.
    const { state: recorded } = await readState(this.store, operationStream(operationId), operationDecider);
    if (day.state.givenUp || recorded.givenUp) {
      this.closes.set(key, { businessDay, attempt, status: 'given_up', notBefore: 0 });
      return;
    }
    // Voided by a give-up of the day whose own append has not been read here (or never landed: its instance stopped
    // between the two writes): never to be recorded, so given up, by this instance's next round unless it is already.
    if (recorded.status === 'none' && recorded.voided) {
      this.closes.set(key, { businessDay, attempt, status: 'refused', notBefore: 0, reason: VOIDED });
      return;
    }
    if (recorded.status !== 'none') {
      this.metrics.nightlyCloses.inc({ result: 'recorded' });
      this.closeOf.set(operationId, { key, attempt });
      const notBefore = now + this.config.nightlyCloseRetrySeconds * 1000;
      const reason = recorded.reason === undefined ? {} : { reason: recorded.reason };
      this.closes.set(key, { businessDay, attempt, status: recorded.status, notBefore, ...reason });
      return;
    }
    // Started and failed that many times already, before a restart or on another instance: given up, not tried again.
    const failures = await this.startFailures();
    const failed = await failures?.of(operationId).catch((error: unknown) => {
      this.logger.warn({ ...log, err: error }, 'could not read a nightly close’s failed starts');
      return undefined;
    });
    if (failed && failed.count >= this.config.nightlyCloseMaxAttempts) {
      const reason = failed.reason === '' ? {} : { reason: failed.reason };
      this.closes.set(key, {
        businessDay,
        attempt,
        status: 'unstarted',
        notBefore: 0,
        failedStarts: failed.count,
        ...reason,
      });
      return;
    }
    const requestedAt = new Date(now);
    try {
      // Claimed on the day's stream first, where the day's give-up goes: the log orders the two, and whichever lands
      // second sees the first (the claim refused on a day given up; the give-up, while the attempt may yet run).
      await claimCloseAttempt(this.store, target, attempt, requestedAt.toISOString());
      const started = await startOperation(
        this.store,
        this.dintero,
        {
          operationId,
          storeId,
          terminalId,
          dinteroTerminalId,
          operation: 'end_of_day',
          claimId: operationId,
          requestedBy: CORRELATION_ID,
          requestedAt: requestedAt.toISOString(),
          expiresAt: new Date(now + this.config.operationClaimSeconds * 1000).toISOString(),
          businessDay,
        },
        CORRELATION_ID,
      );
      this.closeOf.set(operationId, { key, attempt });
      const known = this.closes.get(key);
      // The log's news may have arrived first (the follower saw it end): the later word stands.
      if (known?.attempt === attempt && known.status !== 'requested') return;
      const retryAt = ENDED_WITHOUT_CLOSING.has(started.status) ? now + this.config.nightlyCloseRetrySeconds * 1000 : 0;
      const reason = started.reason === undefined ? {} : { reason: started.reason };
      this.closes.set(key, { businessDay, attempt, status: started.status, notBefore: retryAt, ...reason });
      this.metrics.nightlyCloses.inc({ result: 'started' });
      this.logger.log({ ...log, status: started.status }, 'nightly close started');
    } catch (error) {
      if (error instanceof DomainError && error.details.givenUp === true) {
        // Given up (by another instance) since this one looked: no attempt after a give-up.
        this.closes.set(key, { businessDay, attempt, status: 'given_up', notBefore: 0 });
        return;
      }
      if (error instanceof DomainError && error.code === 'TERMINAL_BUSY') {
        // A payment or refund holds the terminal: closed once it is free.
        this.metrics.nightlyCloses.inc({ result: 'busy' });
        const before = this.closes.get(key);
        this.closes.set(key, { businessDay, attempt, status: 'busy', notBefore: now + BUSY_RETRY_MS });
        // Noted in NATS (once an attempt), for a restart to give the close up as held up by a busy terminal, should
        // the next day's close fall due first: the log never hears of it.
        if (before?.attempt !== attempt || before.status !== 'busy')
          await failures?.noteBusy(operationId).catch((kvError: unknown) => {
            this.logger.warn({ ...log, err: kvError }, 'could not note a busy terminal’s nightly close in NATS');
          });
        return;
      }
      if (error instanceof DomainError && error.details.voided === true) {
        // Voided by another instance's give-up of the day between this one's look and its request: nothing failed,
        // and the day is given up by that instance (or, should its give-up not land, by this one's next round).
        this.closes.set(key, { businessDay, attempt, status: 'refused', notBefore: 0, reason: VOIDED });
        this.logger.log({ ...log }, 'nightly close attempt voided by a give-up of its day meanwhile: not started');
        return;
      }
      const notBefore = now + this.config.nightlyCloseRetrySeconds * 1000;
      this.metrics.nightlyCloses.inc({ result: 'failed' });
      if (error instanceof DomainError) {
        // Refused by the domain (the terminal is another store's, say): the same request is refused again.
        const reason = `could not be started: ${error.code}: ${error.message}`;
        this.closes.set(key, { businessDay, attempt, status: 'refused', notBefore, reason });
        this.logger.warn({ ...log, err: error }, 'a nightly close was refused; giving it up');
        return;
      }
      // A passing failure (the log out of reach): the same attempt again, a bounded number of times, counted in NATS
      // so that the bound holds across restarts and instances (in memory too, for when NATS is out of reach as well).
      const before = this.closes.get(key);
      const inMemory =
        (before?.attempt === attempt && before.status === 'unstarted' ? (before.failedStarts ?? 0) : 0) + 1;
      const reason = `could not be started: ${error instanceof Error ? error.message : String(error)}`;
      const counted = await failures?.add(operationId, reason).catch((kvError: unknown) => {
        this.logger.warn({ ...log, err: kvError }, 'could not count a nightly close’s failed start in NATS');
        return undefined;
      });
      const failedStarts = Math.max(inMemory, counted ?? 0);
      this.closes.set(key, { businessDay, attempt, status: 'unstarted', notBefore, reason, failedStarts });
      this.logger.warn({ ...log, err: error, failedStarts }, 'could not start a nightly close; trying again');
    }
  }

  /**
   * Records that the close is given up, for the store day: once, whichever instance or restart gets here first, and
   * whatever attempt each knows it at. The give-up is appended to the terminal day's own stream (`closeDayKey`, the
   * same on every instance), at the revision read: a second writer conflicts, reads the first's give-up, and the
   * operation's decider records nothing, so it holds through the log alone, NATS out of reach or not. Every attempt is
   * claimed on that stream before it is recorded (`claimCloseAttempt`): a claim the give-up read is settled first (its
   * attempt ended, or voided before it was recorded: `settleDayAttempts`), and one that lands after the read refuses
   * the append, so the day is never both given up and closed or under way, with or without the lease. When it cannot be
   * recorded, the next round tries again. `late`: found only after the next day's close fell due (no trace of it, or
   * this instance did not have it due); the reason says so and when, beside the day it concerns. Whether it is in the log
   * now (recorded, or given up before).
   */
  private async giveUp(
    target: { storeId: string; terminalId: string; businessDay: string; key: string },
    close: CloseAttempt,
    why: string,
    now: number,
    late = false,
  ): Promise<boolean> {
    const { storeId, terminalId, businessDay, key } = target;
    const attempt = close.attempt;
    const operationId = closeOperationId(storeId, terminalId, businessDay, attempt);
    const at = new Date(now).toISOString();
    // The reason is kept to 500 characters, the part saying it was found late whole.
    const foundLate = late ? `; found late, at ${at}` : '';
    const reason = `${why.slice(0, 500 - foundLate.length)}${foundLate}`;
    const log = { storeId, terminalId, operationId, businessDay, attempt, reason, correlationId: CORRELATION_ID };
    try {
      // The attempts as the log has them: one under way at Dintero may yet complete, and one completed is closed, so
      // neither is given up; one claimed and not recorded is voided, never to be. Given up already: on the day's stream,
      // or on an attempt's own, where an earlier version recorded it (during a rolling upgrade): that is the day's one.
      const found = await settleDayAttempts(this.store, target, attempt, at);
      if (found.kind === 'given_up') {
        this.closes.set(key, { businessDay, attempt, status: 'given_up', notBefore: 0 });
        return true;
      }
      if (found.kind === 'completed') {
        this.closes.set(key, { businessDay, attempt: found.attempt, status: 'completed', notBefore: 0 });
        return true;
      }
      if (found.kind === 'under_way') {
        this.logger.warn(
          { ...log, underWay: found.attempt, status: found.status },
          'nightly close under way: not given up',
        );
        return false;
      }
      // Given up at the latest attempt the log has, claimed or recorded, where this instance may know an earlier one
      // (another instance claimed the next, or this one did before a restart: claims are not followed here). That one
      // counts among the attempts made only when it was recorded: voided (its terminal busy, its start failed or was
      // refused) or never claimed, it was not made, and the one before it was (an attempt is started only after the one
      // before it ended without closing). 1 when not even the first could be made, as the event has always said.
      const last = Math.max(attempt, ...found.settledAttempts);
      const givenUpAt = closeOperationId(storeId, terminalId, businessDay, last);
      const attempts = found.made.includes(last) ? last : Math.max(1, last - 1);
      const { events } = await handleCommand(
        this.store,
        operationStream(closeDayKey(storeId, terminalId, businessDay)),
        operationDecider,
        {
          type: 'GiveUpClose',
          data: {
            operationId: givenUpAt,
            storeId,
            terminalId,
            businessDay,
            attempts,
            reason,
            at,
            settledAttempts: found.settledAttempts,
          },
        },
        { metadata: operationMetadata({ operationId: givenUpAt, storeId, terminalId, businessDay }, CORRELATION_ID) },
      );
      this.closes.set(key, { businessDay, attempt: attempts, status: 'given_up', notBefore: 0 });
      // Nothing recorded: another instance (or this one, before a restart) gave it up first.
      if (events.length === 0) return true;
      this.metrics.nightlyCloses.inc({ result: 'given_up' });
      this.logger.warn({ ...log, operationId: givenUpAt, attempt: last, attempts }, 'nightly close given up');
      return true;
    } catch (error) {
      if (error instanceof DomainError && error.details.claimedAttempts !== undefined) {
        // An attempt was claimed (by another instance) since the look: it may yet close the day.
        this.logger.warn({ ...log, err: error }, 'nightly close attempt claimed meanwhile: not given up');
        return false;
      }
      this.logger.warn({ ...log, err: error }, 'could not record a nightly close given up; trying again');
      return false;
    }
  }
}

/**
 * Why the close is to be given up now, if it is: Dintero or the domain refused it (another attempt would be refused
 * too), its last attempt ended without closing, or it could not be started `maxAttempts` times.
 */
function giveUpReason(close: CloseAttempt, maxAttempts: number): string | undefined {
  if (close.status === 'rejected' || close.status === 'refused') return close.reason ?? close.status;
  if (close.status === 'unstarted' && (close.failedStarts ?? 0) >= maxAttempts) return close.reason ?? close.status;
  if (ENDED_WITHOUT_CLOSING.has(close.status) && close.attempt >= maxAttempts) return close.reason ?? close.status;
  return undefined;
}

/**
 * Why a terminal day is given up whose close time found the terminal out of use, after it took payments or refunds in
 * the day: no close of it is made, and the day would otherwise end in neither a close nor a give-up, its sales in no
 * close until the terminal came back into use, and in none if it never did. Not closed anyway: the nightly close closes
 * terminals in use only. One deactivated or moved here is one the chain took out of service (switched off, or in
 * another store), whose last day a person closes by hand (`end_of_day` is the one operation it still takes) knowing
 * whether the device is there; Dintero documents no `end_of_day` for a terminal `INACTIVE` or `DELETED` there (only
 * `ACTIVE` ones take payments, and an operation is carried out by the device), so a close sent would most likely be
 * refused or time out, attempt after attempt, to be given up hours later with a vaguer reason. So the day is given up at
 * its close time, naming when and how the terminal left use and its last payment or refund, for the store day to list
 * it under `notClosed`: closed by hand, or by its next close should it come back into use (the store day then marks the
 * give-up closed since).
 */
function outOfUseReason(businessDay: string, period: UsePeriod): string {
  const until = period.until === undefined ? '' : ` at ${new Date(period.until).toISOString()}`;
  const how = period.endedAs === undefined ? '' : ` (${period.endedAs})`;
  const last = period.lastUsedAt === undefined ? '' : ` (the last at ${new Date(period.lastUsedAt).toISOString()})`;
  return `out of use at the close time of ${businessDay}: taken out of use${until}${how} after payments or refunds on it since the close time before${last}; its batch was not closed: close it by hand, or its next close takes it should it come back into use`;
}

/** A store event about one of its terminals. */
type TerminalStoreEvent = Exclude<StoreEvent, { readonly type: 'StoreRegistered' | 'StoreDetailsChanged' }>;

/** How the event took its terminal out of use, in words, for the give-up of a day it was out of use at the close of. */
function endedAs(event: TerminalStoreEvent): string | undefined {
  switch (event.type) {
    case 'TerminalDeactivated':
      return 'deactivated';
    case 'TerminalRemoved':
      return `moved to store ${event.data.movedToStoreId}`;
    case 'TerminalStatusChanged':
    case 'TerminalEnrolled':
      return `${event.data.status} at Dintero`;
    default:
      return undefined;
  }
}

/** Whether the store lists the terminal in use (`terminalInUse`). */
function inUse(state: StoreState, terminalId: string): boolean {
  const terminal = state.status === 'registered' ? ownEntry(state.terminals, terminalId) : undefined;
  return terminal !== undefined && terminalInUse(terminal);
}

/** Closes that ended without the terminal closing its batch: tried again, but for one Dintero refused (`giveUpReason`). */
const ENDED_WITHOUT_CLOSING = new Set<CloseAttempt['status']>(['failed', 'timed_out', 'rejected', 'expired']);

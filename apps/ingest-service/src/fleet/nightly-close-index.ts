import type { RecordedEvent } from '@app/event-store';
import {
  DEFAULT_END_OF_DAY_TIME,
  addDays,
  asDomainEvent,
  ownEntry,
  storeDecider,
  type StoreState,
} from '@app/payment-domain';
import { MAX_CLOSE_ATTEMPTS, type CloseAttempt } from './close-attempt';
import { lookBackStart, terminalInUse, type MissedDay } from './close-due';
import { endedAs, type TerminalStoreEvent } from './close-give-up-reasons';
import { closeOperationId, dueClose } from './close-schedule';
import { CloseInService } from './close-in-service';
import { TerminalUsePeriods } from './terminal-use-periods';

/** Who the nightly close's operations are requested by, and the correlation id of what it records. */
export const CORRELATION_ID = 'nightly-close';

/** Closes older than this are forgotten: only the latest due day's close is ever started. */
export const KEEP_DAYS_MS = 3 * 86_400_000;

/**
 * What the nightly close knows, folded from the log (`store-`, `operation-`, `nightly-close-` and `terminal-` streams,
 * `onEvent`): the stores and their terminals, when each was in use, the closes made and given up, and what the look
 * for missed days needs. The service acts on it; it does no I/O, and reads no clock. Nor does it read the
 * configuration: the same log folds to the same index on every instance, whatever its settings, which apply where
 * the index is asked (`nextAttempt`, `giveUpReason`). But for its prune, which forgets what the look for missed days
 * needs before the days the pruning instance looks back over (`NIGHTLY_CLOSE_LOOK_BACK_DAYS`): it keeps which day that
 * was (`prunedTo`), and the look goes back no further.
 */
export class NightlyCloseIndex {
  readonly stores = new Map<string, StoreState>();
  /**
   * By store, the latest change of its schedule (time zone, close time) that made days due as it was made: those whose
   * close time had come on the schedule it set and not on the one before (a close time moved to one past: today's close
   * falls due as the move is recorded). Such a day fell due then, not at its close time (`fellDueAt`), which is when its
   * give-up is found late by (`foundLate`). A change that made no day due (a close time moved to one to come, a time
   * zone of the same clock named anew) leaves every day due when it was, and the record as it was: taken for one that
   * did, a day due before the instance started (the engine down then) was found on time, should the change come after
   * the start and before the give-up. A registration has no day before it.
   */
  readonly scheduleMoved = new Map<string, ScheduleMove>();
  /**
   * When each terminal (`{storeId}.{terminalId}`) was last registered, first or again after its removal (a new entry,
   * another device maybe): the due close of a day whose close time came before that is none of its.
   */
  readonly registeredAt = new Map<string, number>();
  /**
   * When each terminal was in use, period by period (registered or reactivated, `ACTIVE` at Dintero, until deactivated,
   * removed or moved, or not `ACTIVE` there any more), within the days looked back over: a day is a missed close of its
   * only when its close time fell in one of them, before a reactivation as after it.
   */
  readonly use = new TerminalUsePeriods();
  /** Terminals removed from their store (or moved to another), by store: no longer listed there, still looked at. */
  readonly removed = new Map<string, Set<string>>();
  /**
   * Terminal days (`{storeId}.{terminalId}.{day}`) the log shows the nightly close at work on (a close requested or
   * given up), for the days looked back over: the look for missed days of a terminal goes back no further than the
   * latest of them before the day due, the days before it found (or not) while the engine ran then.
   */
  readonly tracedDays = new Set<string>();
  /**
   * When the nightly close was switched on and off (`NightlyCloseSwitched`), and when the log shows it at work (a close
   * requested or given up): whether a day was due, for the look for missed days.
   */
  readonly inService = new CloseInService();
  /** By `{timeZone} {endOfDayTime}`, the days the look for missed days goes over, as of the due day and the first day. */
  schedules = new Map<string, { readonly due: string; readonly from: string; readonly days: readonly MissedDay[] }>();
  /**
   * By terminal (`{storeId}.{terminalId}`), the closes by hand that completed: the day each is dated and when it was
   * asked for. Each closed the batch up to then, so what the terminal took before it is in a close, and what it took
   * after it in none of the day's (`outOfUseAtCloseTime`); which day's trading that was, `dayHandClose` in
   * `nightly-close-days.ts` says. Asked for, not completed: the close holds the terminal from then, so a payment or
   * refund that claimed it since came after the close ran, or after the close's claim ran out with the close still at
   * Dintero (taken for after it: a give-up too many rather than a sale in no close).
   */
  readonly closedByHand = new Map<string, readonly { readonly day: string; readonly at: number }[]>();
  /** Closes by hand by operation id: their terminal day, and when each was asked for. */
  readonly handCloseOf = new Map<string, { readonly key: string; readonly requestedAt: number }>();
  /**
   * By terminal (`{storeId}.{terminalId}`), when the latest close by hand the log has was asked for. A payment's claim
   * is dated when its request came (before its token, its checks), and may be written only after a close by hand asked
   * for since has run: the log has it after that close, and so is its use (`used`), or its sale would count as before
   * the close, in its batch, and be in no close.
   */
  readonly handCloseAskedAt = new Map<string, number>();
  /** Terminal days with no trace found to be no missed close (the nightly close not in service then): not read again. */
  readonly notMissed = new Set<string>();
  /**
   * Terminal days this instance had due, since it started: a close superseded that it had due was superseded while it
   * ran, and is not found late; one it never had due is found late only when its next day's close fell due before this
   * instance started (it was down then, or not yet deployed), and its give-up says so.
   */
  readonly seenDue = new Set<string>();
  /**
   * Closes by `{storeId}.{terminalId}.{day}`, as the log has them and as this instance's writes noted them since (an
   * attempt started or found recorded before the log is followed to it; a busy terminal, a start that failed or was
   * refused, which the log never has), and which close each operation id is.
   */
  readonly closes = new Map<string, CloseAttempt>();
  /**
   * The closes as the log alone has them, folded as `closes` is: what the checkpoint keeps, so that a start from it
   * knows them as a start from the log's beginning would. A note of one instance's (a pause before the next attempt,
   * set by its own `NIGHTLY_CLOSE_RETRY_SECONDS`) is not another's, nor its own after a restart.
   */
  readonly loggedCloses = new Map<string, CloseAttempt>();
  readonly closeOf = new Map<string, { readonly key: string; readonly attempt: number }>();
  /**
   * The first day whose look for missed days the index still holds what it needs of (`prune`): the latest
   * `lookBackFrom` it was pruned to, by this instance or by the one whose checkpoint it restored, which may have been
   * set to look back fewer days (`NIGHTLY_CLOSE_LOOK_BACK_DAYS`). Before it, the days with a trace are forgotten, and a
   * day the nightly close closed would be taken for one it never closed: `missedCloses` looks no further back.
   */
  prunedTo: string | undefined;

  onEvent(record: RecordedEvent): void {
    const known = asDomainEvent(record);
    if (known?.stream === 'nightly-close') {
      this.inService.switched(Date.parse(known.event.data.at), known.event.data.enabled);
      return;
    }
    if (known?.stream === 'store') {
      const state = this.stores.get(known.id) ?? storeDecider.initialState;
      const next = storeDecider.evolve(state, known.event);
      this.stores.set(known.id, next);
      const moved = madeDue(state, next, Date.parse(known.event.data.at));
      if (moved !== undefined) this.scheduleMoved.set(known.id, moved);
      if (known.event.type === 'TerminalRegistered')
        this.registeredAt.set(`${known.id}.${known.event.data.terminalId}`, Date.parse(known.event.data.at));
      if (known.event.type !== 'StoreRegistered' && known.event.type !== 'StoreDetailsChanged')
        this.noteUse(known.id, known.event, state, next);
      return;
    }
    if (known?.stream === 'terminal') {
      const { event } = known;
      if (event.type === 'TerminalClaimed' && (event.data.kind === 'payment' || event.data.kind === 'refund')) {
        const { storeId, terminalId, claimedAt, claimId } = event.data;
        const terminal = `${storeId}.${terminalId}`;
        const askedAt = this.handCloseAskedAt.get(terminal);
        const at = Date.parse(claimedAt);
        // Written after a close by hand was asked for, it is use after it, whatever instant its request had.
        this.use.used(terminal, askedAt !== undefined && at <= askedAt ? askedAt + 1 : at, claimId);
      }
      // A payment or refund refused before it reached the terminal is no use of it; any other stays use, a declined,
      // cancelled or failed payment's too: one may yet be captured late (`LateCaptureRecorded`), which this does not
      // follow, and Dintero documents no batch without it.
      if (event.type === 'TerminalReleased') this.use.released(event.data.claimId, event.data.reason === 'rejected');
      return;
    }
    if (known?.stream !== 'operation') return;
    const { event, id } = known;
    if (event.type === 'CloseGivenUp') {
      const { storeId, terminalId, businessDay, attempts } = event.data;
      const key = `${storeId}.${terminalId}.${businessDay}`;
      for (const closes of this.bothCloses)
        closes.set(key, { businessDay, attempt: attempts, status: 'given_up', notBefore: 0 });
      this.tracedDays.add(key);
      this.inService.sawAtWork(businessDay, event.data.at);
      return;
    }
    if (event.type === 'OperationRequested') {
      const { storeId, terminalId, businessDay, requestedBy } = event.data;
      if (businessDay === undefined || event.data.operation !== 'end_of_day') return;
      if (requestedBy !== CORRELATION_ID) {
        const key = `${storeId}.${terminalId}.${businessDay}`;
        const requestedAt = Date.parse(event.data.requestedAt);
        this.handCloseOf.set(id, { key, requestedAt });
        const terminal = `${storeId}.${terminalId}`;
        this.handCloseAskedAt.set(terminal, Math.max(requestedAt, this.handCloseAskedAt.get(terminal) ?? -Infinity));
        return;
      }
      this.inService.sawAtWork(businessDay, event.data.requestedAt);
      this.tracedDays.add(`${storeId}.${terminalId}.${businessDay}`);
      const attempt = this.attemptOf(id, storeId, terminalId, businessDay);
      if (attempt === undefined) return;
      const key = `${storeId}.${terminalId}.${businessDay}`;
      this.closeOf.set(id, { key, attempt });
      for (const closes of this.bothCloses) {
        const current = closes.get(key);
        if (!current || (current.attempt <= attempt && current.status !== 'given_up'))
          closes.set(key, { businessDay, attempt, status: 'requested', notBefore: 0 });
      }
      return;
    }
    const byHand = this.handCloseOf.get(id);
    if (byHand !== undefined && event.type === 'OperationCompleted') {
      const { key, requestedAt } = byHand;
      // The key is `{storeId}.{terminalId}.{businessDay}`, the day always ten characters.
      const terminal = key.slice(0, -11);
      this.closedByHand.set(terminal, [
        ...(this.closedByHand.get(terminal) ?? []),
        { day: key.slice(-10), at: requestedAt },
      ]);
    }
    const of = this.closeOf.get(id);
    if (!of) return;
    for (const closes of this.bothCloses) {
      const current = closes.get(of.key);
      // Another attempt's news (an older one ending late) leaves the latest attempt as it is.
      if (!current || current.attempt !== of.attempt || current.status === 'given_up') continue;
      if (event.type === 'OperationCompleted') closes.set(of.key, { ...current, status: 'completed' });
      else if (event.type === 'OperationEnded')
        closes.set(of.key, {
          ...current,
          status: event.data.outcome,
          // The log's end stands for the writer's note of it (a pause from when the writer found it recorded).
          notBefore: 0,
          endedAt: Date.parse(event.data.at),
          reason: event.data.reason,
        });
    }
  }

  /** The closes with this instance's notes, and as the log alone has them: the log's news goes to both. */
  private get bothCloses(): readonly Map<string, CloseAttempt>[] {
    return [this.closes, this.loggedCloses];
  }

  /**
   * When the store's day `businessDay`, due at `dueAt` on its schedule now (its close time, with a terminal's spread),
   * fell due: then, or as a change of the schedule made it due (`scheduleMoved`), if that came later.
   */
  fellDueAt(storeId: string, businessDay: string, dueAt: number): number {
    const moved = this.scheduleMoved.get(storeId);
    if (moved === undefined || businessDay < moved.from || businessDay > moved.through) return dueAt;
    return Math.max(dueAt, moved.at);
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
    for (let attempt = 1; attempt <= MAX_CLOSE_ATTEMPTS; attempt++)
      if (closeOperationId(storeId, terminalId, businessDay, attempt) === operationId) return attempt;
    return undefined;
  }

  /**
   * Forgets closes of days long past, so that memory stays bounded by the fleet, not by its history: closes before
   * `oldest` (the days kept), and what the look for missed days needs before `lookBackFrom`, or before the first day
   * it was pruned to already, if that is later (`prunedTo`).
   */
  prune(oldest: string, lookBackFrom: string): void {
    if (this.prunedTo === undefined || lookBackFrom > this.prunedTo) this.prunedTo = lookBackFrom;
    this.pruneBefore(oldest, this.prunedTo);
  }

  private pruneBefore(oldest: string, lookBackFrom: string): void {
    for (const closes of this.bothCloses)
      for (const [key, close] of closes) if (close.businessDay < oldest) closes.delete(key);
    for (const [operationId, { key }] of this.closeOf) if (!this.closes.has(key)) this.closeOf.delete(operationId);
    this.inService.prune(lookBackFrom);
    // Keys end in the day, ten characters.
    const before = (day: string) => (key: string) => key.slice(-10) < day;
    for (const key of this.seenDue) if (before(oldest)(key)) this.seenDue.delete(key);
    for (const keys of [this.notMissed, this.tracedDays])
      for (const key of keys) if (before(lookBackFrom)(key)) keys.delete(key);
    // What the look for missed days needs of its first day, `lookBackFrom` in the store's own time zone, from its close
    // time before on (`lookBackStart`), where the UTC midnight of that date may be up to 26 hours later: the periods in
    // use then, the closes by hand that count for it (`dayHandClose`: by when they were asked for, whatever day they
    // are dated), and when the latest was asked for (a payment claimed after it, dated before it, is use after it).
    const from = lookBackStart(lookBackFrom);
    for (const [terminal, closes] of this.closedByHand) {
      const kept = closes.filter(({ at }) => at >= from);
      if (kept.length > 0) this.closedByHand.set(terminal, kept);
      else this.closedByHand.delete(terminal);
    }
    // The same as the closes by hand kept: one asked for and completed after a prune counts as one folded before.
    for (const [operationId, { requestedAt }] of this.handCloseOf)
      if (requestedAt < from) this.handCloseOf.delete(operationId);
    for (const [terminal, askedAt] of this.handCloseAskedAt) if (askedAt < from) this.handCloseAskedAt.delete(terminal);
    // A terminal removed before the days looked back over has no day left to look at, nor its periods in use before.
    this.use.prune(from);
    for (const [storeId, terminalIds] of this.removed) {
      for (const terminalId of terminalIds)
        if (!this.use.inUseSince(`${storeId}.${terminalId}`, from)) terminalIds.delete(terminalId);
      if (terminalIds.size === 0) this.removed.delete(storeId);
    }
  }
}

/** Whether the store lists the terminal in use (`terminalInUse`). */
function inUse(state: StoreState, terminalId: string): boolean {
  const terminal = state.status === 'registered' ? ownEntry(state.terminals, terminalId) : undefined;
  return terminal !== undefined && terminalInUse(terminal);
}

/** Days a change of a store's schedule made due as it was made (`NightlyCloseIndex.scheduleMoved`). */
export interface ScheduleMove {
  /** When the change was made. */
  readonly at: number;
  /** The first day it made due: the day after the one due on the schedule before. */
  readonly from: string;
  /** The last: the day due on the schedule it set. */
  readonly through: string;
}

/**
 * The days a change of the store's schedule (time zone, close time) at `at` made due then: those after the day due on
 * the schedule before, up to the day due on the one after. None when the store was not registered before (no day
 * before its registration is any terminal's), or when the day due is the same or earlier (a close time moved later).
 */
function madeDue(before: StoreState, after: StoreState, at: number): ScheduleMove | undefined {
  if (before.status !== 'registered' || after.status !== 'registered') return undefined;
  const due = ({ details }: typeof before & { status: 'registered' }) =>
    dueClose(details.timeZone, details.endOfDayTime ?? DEFAULT_END_OF_DAY_TIME, at).businessDay;
  const was = due(before);
  const is = due(after);
  return is > was ? { at, from: addDays(was, 1), through: is } : undefined;
}

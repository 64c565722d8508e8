import { DEFAULT_END_OF_DAY_TIME, addDays, operationOpen, ownEntry } from '@app/payment-domain';
import { giveUpReason, type CloseAttempt } from './close-attempt';
import {
  daysBefore,
  lookBackStart,
  nextDayDueAt,
  notItsDay,
  terminalCloseAt,
  terminalDayDue,
  terminalInUse,
  type DueDay,
} from './close-due';
import { BUSY_TERMINAL, outOfUseReason, supersededReason, type MissedTerminalDay } from './close-give-up-reasons';
import { closeTime, dueClose } from './close-schedule';
import type { NightlyCloseIndex } from './nightly-close-index';
import type { UsePeriod } from './terminal-use-periods';

/**
 * Which terminal days the nightly close has to act on now, as its index knows them: the closes due, those superseded
 * by their next day's, the days out of use at their close time after taking payments or refunds, and the days missed.
 * Pure but for the days the look for missed days goes over, which `missedCloses` keeps in the index
 * (`NightlyCloseIndex.schedules`) from one round to the next: time is passed in.
 */

/** What the look at the days needs of the configuration. */
export interface CloseDaySettings {
  /** `NIGHTLY_CLOSE_SPREAD_SECONDS`, in milliseconds. */
  readonly spreadMs: number;
  /** `NIGHTLY_CLOSE_MAX_ATTEMPTS`. */
  readonly maxAttempts: number;
}

/** A terminal's close due now: of the latest day whose close time (with its spread) has come. */
export interface DueClose {
  readonly storeId: string;
  readonly terminalId: string;
  readonly businessDay: string;
  readonly key: string;
  readonly dinteroTerminalId: string;
}

/**
 * Closes of an earlier day of a terminal whose next day's close is due now, that did not close and are not given up:
 * no attempt of them is made any more (only the latest due day's close is ever started), so each is given up, for the
 * store day to say that its batch was not closed. One still under way (asked for, sent, pending at Dintero) may yet
 * complete, and is left to end: it is given up here once it ended without closing. A terminal with no close due now
 * (taken out of use, or removed, after its close ended without closing and before it was tried again) has its
 * store's next day instead, once that day's close time (with the terminal's spread) has come: it is never tried again.
 * `supersededAt`: when it was superseded, the close of its next day falling due at the terminal.
 */
export function supersededCloses(
  index: NightlyCloseIndex,
  settings: CloseDaySettings,
  due: readonly { storeId: string; terminalId: string; businessDay: string }[],
  now: number,
) {
  const dueOf = new Map(due.map((close) => [`${close.storeId}.${close.terminalId}`, close]));
  const superseded: {
    storeId: string;
    terminalId: string;
    businessDay: string;
    key: string;
    close: CloseAttempt;
    reason: string;
    supersededAt: number;
  }[] = [];
  for (const [key, close] of index.closes) {
    if (close.status === 'completed' || close.status === 'given_up' || operationOpen(close.status)) continue;
    // The key is `{storeId}.{terminalId}.{businessDay}`, the day always ten characters.
    const terminal = key.slice(0, -(close.businessDay.length + 1));
    const next = dueOf.get(terminal) ?? storeDayDue(index, settings, terminal, now);
    if (next === undefined || next.businessDay <= close.businessDay) continue;
    const store = index.stores.get(next.storeId);
    if (store?.status !== 'registered') continue;
    const why = close.status === 'busy' ? BUSY_TERMINAL : (close.reason ?? close.status);
    superseded.push({
      storeId: next.storeId,
      terminalId: next.terminalId,
      businessDay: close.businessDay,
      key,
      close,
      reason: giveUpReason(close, settings.maxAttempts) ?? supersededReason(next.businessDay, why),
      supersededAt: nextDayDueAt(
        { storeId: next.storeId, terminalId: next.terminalId, schedule: store.details, spreadMs: settings.spreadMs },
        close.businessDay,
      ),
    });
  }
  return superseded;
}

/**
 * The day whose close is due now at the terminal's store (`{storeId}.{terminalId}`, ids of neither holding a dot), its
 * close time and the terminal's spread come, whether the terminal is in use or listed there still: for a close of an
 * earlier day no due close of the terminal supersedes.
 */
function storeDayDue(index: NightlyCloseIndex, settings: CloseDaySettings, terminal: string, now: number) {
  const [storeId, terminalId] = terminal.split('.') as [string, string];
  const state = index.stores.get(storeId);
  if (state?.status !== 'registered') return undefined;
  const day = terminalDayDue({ storeId, terminalId, schedule: state.details, now, spreadMs: settings.spreadMs });
  return day && { storeId, terminalId, businessDay: day.businessDay };
}

/**
 * The days due now (their close time and the terminal's spread come) of terminals out of use at that close time
 * (deactivated, moved, not `ACTIVE` at Dintero: `notItsDay`), that took payments or refunds in the day before they were
 * taken out of use: no close of theirs is made, and what they took would reach no close until they came back into
 * use, and none if they never did. Each is given up at once, saying why (`outOfUseReason`), for the store day to list
 * it not closed; a close made when the terminal is back marks it closed since. A day with a close tried is left to
 * it. A day closed by hand is given up so only when the terminal took payments or refunds after that close was asked
 * for (before it was taken out of use): the close by hand closed the batch up to then, what came after is in no close.
 * One that fell due before this instance started is found late, and says so (`dueAt`: no instance may have been
 * running then); given up later, found late, by the look for missed days when it could not be then.
 */
export function outOfUseAtCloseTime(index: NightlyCloseIndex, settings: CloseDaySettings, now: number) {
  const found: {
    storeId: string;
    terminalId: string;
    businessDay: string;
    key: string;
    reason: string;
    /** When the day fell due at the terminal (its close time and spread). */
    dueAt: number;
  }[] = [];
  const around = new Map<string, { previousCloseAt: number; nextCloseAt: number }>();
  for (const { storeId, terminalId, store, businessDay, closeAt, key } of terminalDaysDue(index, settings, now)) {
    if (index.closes.has(key)) continue;
    const { timeZone, endOfDayTime = DEFAULT_END_OF_DAY_TIME } = store.details;
    const schedule = `${timeZone} ${endOfDayTime} ${businessDay}`;
    const closeTimes = around.get(schedule) ?? {
      previousCloseAt: closeTime(addDays(businessDay, -1), endOfDayTime, timeZone),
      nextCloseAt: closeTime(addDays(businessDay, 1), endOfDayTime, timeZone),
    };
    around.set(schedule, closeTimes);
    const { previousCloseAt } = closeTimes;
    const terminalKey = `${storeId}.${terminalId}`;
    const closedByHandAt = dayHandClose(index, terminalKey, { day: businessDay, ...closeTimes });
    const period = usedThenOutOfUse(index, terminalKey, { previousCloseAt, closeAt, closedByHandAt });
    if (period === undefined) continue;
    const reason = outOfUseReason(businessDay, period, closedByHandAt);
    const dueAt = terminalCloseAt(storeId, terminalId, closeAt, settings.spreadMs);
    found.push({ storeId, terminalId, businessDay, key, reason, dueAt });
  }
  return found;
}

/**
 * The first day looked at for a missed close, `days` back from `now` (`NIGHTLY_CLOSE_LOOK_BACK_DAYS`): an outage
 * longer than the days kept is looked back over too.
 */
export function lookBackFrom(now: number, days: number): string {
  return new Date(now - days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Terminal days before the day due now that were due and left no trace: no close of theirs was requested or given up
 * (the engine was down when the next day's close fell due, for however many days, or this instance knew of one only
 * in memory, a busy terminal or starts that failed, and was restarted since). Nothing will try them any more, and
 * nothing said their batch was not closed: each is given up, once (`missedReason` says whether and why). A day the
 * terminal was not in use at (its close time in none of the terminal's periods in use: not yet registered or
 * `ACTIVE` at Dintero, or out of use then, between two periods or since) and a day a close by hand closed are none of
 * these, but for one it took payments or refunds in (after its close by hand, if any) before it was taken out of use
 * (`outOfUseBefore`): a day in use at its close time and closed by hand has what it took after that close in its next
 * close, but for one the terminal left use after, before the next day's close time, having taken nothing since (given
 * up, as missed before it was taken out of use); a terminal taken out of use since (deactivated, removed), or taken
 * back into use since, still has the days of its earlier periods looked at. Each terminal's days are looked at from
 * the day before the due one back to the latest the log shows the nightly close at work on it (the days before then
 * were looked at while the engine ran), and no further back than `lookBackFrom` (`NIGHTLY_CLOSE_LOOK_BACK_DAYS`).
 */
export function missedCloses(index: NightlyCloseIndex, settings: CloseDaySettings, now: number, lookBackFrom: string) {
  const missed: MissedTerminalDay[] = [];
  // No further back than the index holds the traces of (`prunedTo`): pruned to a later day (by an instance set to look
  // back fewer days, whose checkpoint this one restored), a day before it closed would be taken for one never closed.
  const firstDay = index.prunedTo !== undefined && index.prunedTo > lookBackFrom ? index.prunedTo : lookBackFrom;
  // By schedule, the days looked back over before the due one, built again only when the due day or the first day
  // looked at moves (or a store takes a schedule no store had): those of schedules no store has now are dropped.
  const held = index.schedules;
  index.schedules = new Map();
  for (const [storeId, state] of index.stores) {
    if (state.status !== 'registered') continue;
    const { timeZone, endOfDayTime = DEFAULT_END_OF_DAY_TIME } = state.details;
    const key = `${timeZone} ${endOfDayTime}`;
    let schedule = index.schedules.get(key);
    if (!schedule) {
      const due = dueClose(timeZone, endOfDayTime, now).businessDay;
      const before = held.get(key);
      schedule =
        before?.due === due && before.from === firstDay
          ? before
          : { due, from: firstDay, days: daysBefore(due, firstDay, timeZone, endOfDayTime) };
      index.schedules.set(key, schedule);
    }
    const { days } = schedule;
    // Its terminals, and those removed from it: one taken out of use after a day's close time, before that day's
    // close was made, still has that day to give up.
    for (const terminalId of [...Object.keys(state.terminals), ...(index.removed.get(storeId) ?? [])]) {
      const terminalKey = `${storeId}.${terminalId}`;
      // Out of use since before the days looked back over (from the first's close time before, in any time zone: its
      // periods in use forgotten): no day of its to look at.
      const since = index.use.since(terminalKey);
      if (since === undefined || !index.use.inUseSince(terminalKey, lookBackStart(firstDay))) continue;
      // Looked at newest first, up to the terminal's latest day with a trace (or the last before it was first in use,
      // of its periods kept), over every period it was in use (before a reactivation too); given up oldest first, so
      // that a give-up, a trace itself, never hides an earlier day from the next round.
      const its: typeof missed = [];
      for (const { day, closeAt, nextCloseAt, previousCloseAt } of days) {
        const key = `${terminalKey}.${day}`;
        if (since > closeAt || index.tracedDays.has(key)) break;
        if (index.closes.has(key) || index.notMissed.has(key)) continue;
        // The day stays this terminal's close until its next day's falls due, spread and all (as `dueCloses` has it).
        if (now < terminalCloseAt(storeId, terminalId, nextCloseAt, settings.spreadMs)) continue;
        const found = { storeId, terminalId, businessDay: day, key, closeAt, nextCloseAt };
        // Not in use at that day's close time (out of use then, between two periods): no close of its was due. But
        // one that took payments or refunds in the day before it was taken out of use has them in no close.
        const period = index.use.at(terminalKey, closeAt);
        const closedByHandAt = dayHandClose(index, terminalKey, { day, previousCloseAt, nextCloseAt });
        if (period === undefined) {
          const outOfUseBefore = usedThenOutOfUse(index, terminalKey, { previousCloseAt, closeAt, closedByHandAt });
          const byHand = closedByHandAt === undefined ? {} : { closedByHandAt };
          if (outOfUseBefore !== undefined) its.push({ ...found, outOfUseBefore, ...byHand });
          continue;
        }
        const { from, until: outOfUseAt, recordedAfter } = period;
        // In use at its close time and closed by hand: the close by hand closed the batch up to it, and what the
        // terminal took after it the next close takes, unless the terminal left use before the next day's close time
        // (no nightly close of the day made by then), having taken nothing since this day's close time (anything since
        // has the next day given up as out of use at its close time, the batch with it). What it took after the close
        // by hand counts in an earlier period of the day too (taken out of use, and back before the close time). A close
        // by hand dated the day but asked for before its close time before (`dayHandClose`: dated by a close time moved
        // later since) closed none of the day's trading: the day is missed as one with no close by hand is, not left
        // alone with no close of its own and no give-up.
        const lastUsedAt =
          closedByHandAt === undefined ? undefined : index.use.lastUsedBetween(terminalKey, closedByHandAt, closeAt);
        if (closedByHandAt !== undefined) {
          const soldAfter = lastUsedAt !== undefined && (period.lastUsedAt ?? -Infinity) <= closeAt;
          if (!soldAfter || outOfUseAt === undefined || outOfUseAt >= nextCloseAt) continue;
        }
        const out = outOfUseAt === undefined ? {} : { outOfUseAt };
        const byHand = closedByHandAt === undefined || lastUsedAt === undefined ? {} : { closedByHandAt, lastUsedAt };
        its.push({
          ...found,
          inUse: { from, ...(recordedAfter === undefined ? {} : { recordedAfter }) },
          ...out,
          ...byHand,
        });
      }
      missed.push(...its.reverse());
    }
  }
  return missed;
}

/**
 * When the latest close by hand of the terminal day that completed was asked for, if any: it closed the batch up to
 * then, all the terminal took since its close before, so only what the terminal took after it is in no close. A day
 * with no close of its own (none other asks) is judged by the close times now, whatever day its closes by hand are
 * dated (`storeDayAt` dates one by the close time when it was asked for: after an evening close time, the local date,
 * so that one at 23:45 after 23:30 is dated that day and one at 00:30 after 22:00 the next). One asked for in the day's
 * trading (after its close time before, by its own) closed it up to then, and its close takes what came after. One
 * asked for after the day's close time and by the next day's closed the whole of the day's trading, as the day's
 * nightly close made as late would (due until then, and holding what came before it since the close time too): the
 * day has its close, and is neither missed nor out of use with its sales in none. Dated the day, one asked for later
 * still counts (dated by a close time or time zone changed since). One asked for before the day's close time before
 * (dated by a close time moved later since) closed none of the day's trading.
 */
function dayHandClose(
  index: NightlyCloseIndex,
  terminal: string,
  { day, previousCloseAt, nextCloseAt }: { day: string; previousCloseAt: number; nextCloseAt: number },
): number | undefined {
  let latest: number | undefined;
  for (const close of index.closedByHand.get(terminal) ?? [])
    if (
      close.at > previousCloseAt &&
      (close.at <= nextCloseAt || close.day === day) &&
      close.at > (latest ?? -Infinity)
    )
      latest = close.at;
  return latest;
}

/**
 * The period in use the terminal (`{storeId}.{terminalId}`) left before the day's close time (`closeAt`) after taking
 * payments or refunds that no close holds: those since the close time before (`previousCloseAt`), or since the day's
 * close by hand when there was one after it (`closedByHandAt`, as `dayHandClose` gives it), which closed the batch up
 * to then. None when the terminal is in use at the close time, or took nothing since. What makes a day out of use at
 * its close time (`outOfUseAtCloseTime`) or a missed day out of use before it (`missedCloses`) to be given up.
 */
function usedThenOutOfUse(
  index: NightlyCloseIndex,
  terminal: string,
  day: { previousCloseAt: number; closeAt: number; closedByHandAt: number | undefined },
): UsePeriod | undefined {
  const { previousCloseAt, closeAt, closedByHandAt } = day;
  return index.use.usedAndEndedBetween(terminal, closedByHandAt ?? previousCloseAt, closeAt);
}

/** Every terminal in use whose day's close time (with its spread) has come: the closes due now. */
export function dueCloses(index: NightlyCloseIndex, settings: CloseDaySettings, now: number) {
  const due: DueClose[] = [];
  for (const { storeId, terminalId, terminal, businessDay, closeAt, key } of terminalDaysDue(index, settings, now)) {
    // Removed from its store (or moved): no close of its is made there.
    if (terminal === undefined) continue;
    const terminalKey = `${storeId}.${terminalId}`;
    const close = index.closes.get(key);
    // A day that is none of the terminal's (put in use after its close time, say) has no close: `notItsDay` says why.
    const notIts = notItsDay(closeAt, {
      inUse: terminalInUse(terminal),
      registeredAt: index.registeredAt.get(terminalKey),
      inUseAtCloseTime: index.use.at(terminalKey, closeAt) !== undefined,
      tried: close !== undefined,
      toGiveUp: close !== undefined && giveUpReason(close, settings.maxAttempts) !== undefined,
    });
    if (notIts !== undefined) continue;
    const dinteroTerminalId = terminal.dintero?.dinteroTerminalId ?? terminalId;
    due.push({ storeId, terminalId, businessDay, key, dinteroTerminalId });
  }
  return due;
}

/**
 * Each terminal of a registered store, listed there (`terminal`) or removed from it since (no `terminal`), whose day's
 * close time and spread have come (`terminalDayDue`), with that day and its key: what the closes due and the days out
 * of use at their close time are looked for among.
 */
function* terminalDaysDue(index: NightlyCloseIndex, settings: CloseDaySettings, now: number) {
  // The store days due by schedule, worked out once a pair of time zone and close time.
  const days = new Map<string, DueDay>();
  for (const [storeId, store] of index.stores) {
    if (store.status !== 'registered') continue;
    const schedule = store.details;
    for (const terminalId of [...Object.keys(store.terminals), ...(index.removed.get(storeId) ?? [])]) {
      const day = terminalDayDue({ storeId, terminalId, schedule, now, spreadMs: settings.spreadMs }, days);
      if (day === undefined) continue;
      const terminal = ownEntry(store.terminals, terminalId);
      yield { storeId, terminalId, store, terminal, ...day, key: `${storeId}.${terminalId}.${day.businessDay}` };
    }
  }
}

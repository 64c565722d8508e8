import { DEFAULT_END_OF_DAY_TIME, addDays, type RegisteredTerminal } from '@app/payment-domain';
import { closeTime, dueClose, spreadOffsetMs } from './close-schedule';

/** A store day and its close time: the close due at a store, or at one of its terminals. */
export interface DueDay {
  readonly businessDay: string;
  readonly closeAt: number;
}

/** What a store's details say of its close: where, when (absent on stores registered before it was kept: the default). */
export interface StoreSchedule {
  readonly timeZone: string;
  readonly endOfDayTime?: string;
}

/** When a terminal's close of a day whose close time is `closeAt` falls due: that time and the terminal's spread. */
export function terminalCloseAt(storeId: string, terminalId: string, closeAt: number, spreadMs: number): number {
  return closeAt + spreadOffsetMs(storeId, terminalId, spreadMs);
}

/**
 * When the close of the day after `businessDay` fell due at the terminal (that day's close time, on the store's schedule
 * now, and the terminal's spread): when a close of `businessDay` not made by then was superseded.
 */
export function nextDayDueAt(terminal: Omit<TerminalNow, 'now'>, businessDay: string): number {
  const { storeId, terminalId, schedule, spreadMs } = terminal;
  const { timeZone, endOfDayTime = DEFAULT_END_OF_DAY_TIME } = schedule;
  return terminalCloseAt(storeId, terminalId, closeTime(addDays(businessDay, 1), endOfDayTime, timeZone), spreadMs);
}

/** A terminal of a store, its store's schedule, and the nightly close's spread, at `now`. */
export interface TerminalNow {
  readonly storeId: string;
  readonly terminalId: string;
  readonly schedule: StoreSchedule;
  readonly now: number;
  /** `NIGHTLY_CLOSE_SPREAD_SECONDS`, in milliseconds. */
  readonly spreadMs: number;
}

/**
 * The day whose close is due at a terminal now: the store's latest day whose close time has come (`dueClose`), once the
 * terminal's spread after that time has too. Undefined meanwhile: no close is due at the terminal until then (the day
 * before's is not tried again). `days`: the store days due by schedule, for a caller looking at many stores at one
 * `now` (stores share time zones and close times, and each pair's is worked out once).
 */
export function terminalDayDue(
  { storeId, terminalId, schedule, now, spreadMs }: TerminalNow,
  days?: Map<string, DueDay>,
): DueDay | undefined {
  const { timeZone, endOfDayTime = DEFAULT_END_OF_DAY_TIME } = schedule;
  const key = `${timeZone} ${endOfDayTime}`;
  let day = days?.get(key);
  if (!day) {
    day = dueClose(timeZone, endOfDayTime, now);
    days?.set(key, day);
  }
  return now < terminalCloseAt(storeId, terminalId, day.closeAt, spreadMs) ? undefined : day;
}

/** A day before the due one: its close time, its next day's (which superseded it), and the day before's. */
export interface MissedDay {
  readonly day: string;
  readonly closeAt: number;
  readonly nextCloseAt: number;
  readonly previousCloseAt: number;
}

/** The days from the one before `due` back to `from`, newest first, on the schedule: those the look for missed days goes over. */
export function daysBefore(due: string, from: string, timeZone: string, endOfDayTime: string): MissedDay[] {
  const days: MissedDay[] = [];
  let nextCloseAt = closeTime(due, endOfDayTime, timeZone);
  for (let day = addDays(due, -1); day >= from; day = addDays(day, -1)) {
    const closeAt = closeTime(day, endOfDayTime, timeZone);
    days.push({ day, closeAt, nextCloseAt, previousCloseAt: closeTime(addDays(day, -1), endOfDayTime, timeZone) });
    nextCloseAt = closeAt;
  }
  return days;
}

/**
 * The earliest instant the first day looked back over (`lookBackFrom`, a date as of UTC) may need: what a terminal took
 * from its close time before, its periods in use and its closes by hand since. That day is the store's local day of
 * that date, whose close time before is noon of the day before at the earliest (a close time before noon closes the
 * next morning): 26 hours before the date's UTC midnight at UTC+14. Two days before it hold every time zone and close
 * time, a store's changed since too.
 */
export function lookBackStart(lookBackFrom: string): number {
  return Date.parse(lookBackFrom) - 2 * 86_400_000;
}

/** Whether a registered terminal is in use: not deactivated, and `ACTIVE` at Dintero when it is enrolled there. */
export function terminalInUse(terminal: RegisteredTerminal): boolean {
  return terminal.active && (!terminal.dintero || terminal.dintero.status === 'ACTIVE');
}

/**
 * Whose store day is whose. A store day's nightly close, made at its close time (and the terminal's spread), closes the
 * terminal's batch: all it took since its last close. A terminal's days are those whose close time found it in use (not
 * deactivated, `ACTIVE` at Dintero: only then does the engine let it take a payment). Put in use at 23:30 after a 23:00
 * close time, its first day is the next, closed at the next close time with all it took from 23:30 on; the day before
 * is none of its: it took nothing in it, and a close made on its coming into use would close an empty batch. So
 * whichever way it came into use (registered, reactivated, `ACTIVE` at Dintero again) and however late the log
 * recorded it: a status is dated when Dintero was asked, so one asked before the close time and recorded after it puts
 * the day in the terminal's use, and the day is closed once the nightly close reads it.
 *
 * So every day of a terminal ends in one of: closed (by the nightly close, or by hand); given up (`CloseGivenUp`: its
 * attempts ended without closing, Dintero or the domain refused it, the next day's close fell due first, or it was
 * missed, the terminal taken out of use before its close was made among the reasons; or out of use at its close time
 * after taking payments or refunds in it, which no close would hold until the terminal came back into use); or none of
 * its, for the reason `NotItsDay` names. The look for missed days holds to the same rule: a day whose close time fell in
 * none of the terminal's periods in use is none of its, unless it took payments or refunds in it.
 */
export type NotItsDay =
  /** Out of use now (deactivated, removed, not `ACTIVE` at Dintero), no close of the day tried that is to be given up. */
  | 'out_of_use'
  /**
   * Registered (first, or again after a removal: a new entry, maybe another device) after the day's close time. A day
   * the entry before it was in use at is given up as missed, once the next day's close time has come.
   */
  | 'registered_after_close_time'
  /**
   * Not in use at the day's close time (put in use after it, or out of use then and back since), and no close of it
   * tried: one tried settles that the day was its (a status recorded since may date its period's end before the close
   * time: asked of Dintero then, answered after the attempt), and it is tried again or given up.
   */
  | 'not_in_use_at_close_time';

/** What the nightly close knows of a terminal, for whether the store's due day is its. */
export interface TerminalAtDueDay {
  /** Not deactivated, and `ACTIVE` at Dintero when it is enrolled there. */
  readonly inUse: boolean;
  /** When it was registered last (first, or again after a removal). */
  readonly registeredAt?: number;
  /** Whether the day's close time fell in one of its periods in use. */
  readonly inUseAtCloseTime: boolean;
  /** Whether a close of the day was tried (requested, refused, busy, given up: the nightly close has one). */
  readonly tried: boolean;
  /** Whether that close is to be given up now (`giveUpReason`). */
  readonly toGiveUp: boolean;
}

/** Why the store's due day (its close time `closeAt`) is none of the terminal's; undefined when it is its to close. */
export function notItsDay(closeAt: number, terminal: TerminalAtDueDay): NotItsDay | undefined {
  // Out of use now, but a close of it was tried and is to be given up: Dintero's refusal of a terminal it no longer
  // has ACTIVE records the terminal's status before the close's end, which must still be given up.
  if (!terminal.inUse && !(terminal.tried && terminal.toGiveUp)) return 'out_of_use';
  if ((terminal.registeredAt ?? 0) > closeAt) return 'registered_after_close_time';
  // Taken out of use only after the close time and back before its close was made, it was in use at it: its day.
  if (!terminal.tried && !terminal.inUseAtCloseTime) return 'not_in_use_at_close_time';
  return undefined;
}

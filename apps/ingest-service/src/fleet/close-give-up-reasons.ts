import { addDays, type StoreEvent } from '@app/payment-domain';
import type { UsePeriod } from './terminal-use-periods';

/**
 * A terminal day due and never closed or given up, as `missedCloses` finds it: not closed by hand either, or out of use
 * at its close time after taking payments or refunds since its close by hand.
 */
export interface MissedTerminalDay {
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
   * (`outOfUseReason`), after the day's close by hand when there was one.
   */
  readonly outOfUseBefore?: UsePeriod;
  /** When the day's latest close by hand that completed was asked for, when the terminal took more after it. */
  readonly closedByHandAt?: number;
  /** In use at the close time and closed by hand: its latest payment or refund, after that close. */
  readonly lastUsedAt?: number;
}

/** Why an attempt voided by its day's give-up (`CloseAttemptVoided`) is not started: the day is to be given up. */
export const VOIDED = 'its attempt was voided by a give-up of the day';

/** Why a close held up by a busy terminal was not made: the give-up's reason. */
export const BUSY_TERMINAL = 'the terminal was busy';

/** Why a close of an earlier day is given up: the next day's close fell due before it was tried again (`why` it was not). */
export function supersededReason(nextDay: string, why: string): string {
  return `the close of ${nextDay} fell due before it could be tried again (${why})`;
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
 * give-up closed since). A day closed by hand before it left use is given up so only for what it took after that close
 * (`closedByHandAt`: when the close was asked for), which no close holds either.
 */
export function outOfUseReason(businessDay: string, period: UsePeriod, closedByHandAt?: number): string {
  const until = period.until === undefined ? '' : ` at ${new Date(period.until).toISOString()}`;
  const how = period.endedAs === undefined ? '' : ` (${period.endedAs})`;
  const since =
    closedByHandAt === undefined
      ? 'the close time before'
      : `its close by hand at ${new Date(closedByHandAt).toISOString()}`;
  return `out of use at the close time of ${businessDay}: taken out of use${until}${how} ${usedSince(since, period.lastUsedAt)}; its batch was not closed: close it by hand, or its next close takes it should it come back into use`;
}

/** What the terminal took that no close holds: its payments or refunds since `since`, and when the last was. */
function usedSince(since: string, lastUsedAt: number | undefined): string {
  const last = lastUsedAt === undefined ? '' : ` (the last at ${new Date(lastUsedAt).toISOString()})`;
  return `after payments or refunds on it since ${since}${last}`;
}

/** A store event about one of its terminals. */
export type TerminalStoreEvent = Exclude<StoreEvent, { readonly type: 'StoreRegistered' | 'StoreDetailsChanged' }>;

/** How the event took its terminal out of use, in words, for the give-up of a day it was out of use at the close of. */
export function endedAs(event: TerminalStoreEvent): string | undefined {
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

/**
 * Why a terminal day with no trace in the log, that the nightly close was in service while it was due, is given up as
 * missed (no note in NATS of a busy terminal or failed starts): found late, and saying so.
 */
export function missedDayReason(missed: MissedTerminalDay): string {
  const { businessDay, nextCloseAt, outOfUseAt, inUse, outOfUseBefore } = missed;
  const next = addDays(businessDay, 1);
  if (outOfUseBefore !== undefined) return outOfUseReason(businessDay, outOfUseBefore, missed.closedByHandAt);
  // Its coming into use, dated before the close time (a status, when Dintero was asked), recorded only once the next
  // day's close had fallen due: no close of the day could be made while it was due.
  if (inUse?.recordedAfter !== undefined && inUse.recordedAfter >= nextCloseAt)
    return `missed: the terminal's coming into use at ${new Date(inUse.from).toISOString()}, before the close time of ${businessDay}, was recorded only after the close of ${next} fell due`;
  // Taken out of use while the day was still its close (after its close time, before the close was made).
  if (outOfUseAt !== undefined && outOfUseAt < nextCloseAt) {
    const { closedByHandAt, lastUsedAt } = missed;
    const afterHand =
      closedByHandAt === undefined || lastUsedAt === undefined
        ? ''
        : `, ${usedSince(`its close by hand at ${new Date(closedByHandAt).toISOString()}`, lastUsedAt)}`;
    return `missed: no close of ${businessDay} was made before the terminal was taken out of use, at ${new Date(outOfUseAt).toISOString()}${afterHand}`;
  }
  return `missed: no close of ${businessDay} was made before the close of ${next} fell due (the nightly close was not running then)`;
}

/**
 * The reason a give-up records: `why`, and when it was found when found `late` (after the next day's close fell due),
 * at `at`. The reason is kept to 500 characters, the part saying it was found late whole.
 */
export function recordedReason(why: string, late: boolean, at: string): string {
  const foundLate = late ? `; found late, at ${at}` : '';
  return `${why.slice(0, 500 - foundLate.length)}${foundLate}`;
}

import type { RecordedEvent } from '@app/event-store';
import { addDays, storeDayAt } from '@app/payment-domain';
import { nightlyCloseEvents } from '../../../test/support/nightly-close-events';
import { logOfEvents } from '../../../test/support/recorded-events';
import { closeTime } from '../src/fleet/close-schedule';
import { dueCloses, missedCloses } from '../src/fleet/nightly-close-days';
import { KEEP_DAYS_MS, NightlyCloseIndex } from '../src/fleet/nightly-close-index';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
const SETTINGS = { spreadMs: 0, maxAttempts: 2 };
const LOOK_BACK_DAYS = 7;
/** Noon UTC on 20 November: the days looked back over from the 13th, as the service works it out. */
const NOW = Date.parse('2026-11-20T12:00:00Z');
const LOOK_BACK_FROM = new Date(NOW - LOOK_BACK_DAYS * DAY).toISOString().slice(0, 10);
const OLDEST = new Date(NOW - KEEP_DAYS_MS).toISOString().slice(0, 10);
/** Noon: the earliest close time of a day ending in the evening, its day's close the furthest before UTC midnight. */
const END_OF_DAY = '12:00';
const iso = (instant: number) => new Date(instant).toISOString();

/**
 * The first day looked back over, the 13th, as a store far east or west of UTC has it: its trading from the 12th's close
 * time, at noon in Kiritimati (UTC+14) 22:00Z on the 11th, 26 hours before the UTC midnight of the 13th.
 *
 * - T-1 takes a payment in it, is closed by hand, takes another (its claim dated before that close, written after it:
 *   use after it), is deactivated before the day's close time and reactivated after it: the 13th is given up, the
 *   payment after the close by hand in no close. Later days, in use, no close made: missed.
 * - T-2, in use at the 13th's close time, is deactivated an hour after it: the 13th, no close made, is missed.
 *
 * `pruneBetween`: the index pruned as the service prunes it every round, once as the claim written late is yet to come
 * and once at the end. Pruned at the UTC midnight of the 13th, the periods in use and the close by hand's time went
 * before that day was done with in Kiritimati: T-1's 13th was not given up, nor T-2's. Pago Pago (UTC-11), whose day
 * begins after that midnight, is unaffected.
 */
function indexOf(timeZone: string, pruneBetween: boolean) {
  const log = nightlyCloseEvents(logOfEvents());
  const storeId = 'store';
  const index = new NightlyCloseIndex();
  const fold = (...records: RecordedEvent[]) => records.forEach((record) => index.onEvent(record));
  const prune = () => (pruneBetween ? index.prune(OLDEST, LOOK_BACK_FROM) : undefined);
  const day = LOOK_BACK_FROM;
  const previousCloseAt = closeTime(addDays(day, -1), END_OF_DAY, timeZone);
  const closeAt = closeTime(day, END_OF_DAY, timeZone);
  const registeredAt = NOW - 30 * DAY;
  const handClosedAt = previousCloseAt + 14 * HOUR;
  fold(
    log.storeRegistered(storeId, timeZone, END_OF_DAY, registeredAt),
    log.terminalRegistered(storeId, 'T-1', registeredAt),
    log.terminalRegistered(storeId, 'T-2', registeredAt),
    log.claimed(storeId, 'T-1', 'pay-1', previousCloseAt + 12 * HOUR),
    ...log.endOfDay({
      operationId: 'by-hand',
      storeId,
      terminalId: 'T-1',
      businessDay: storeDayAt(iso(handClosedAt), timeZone, END_OF_DAY),
      requestedBy: 'pos',
      requestedAt: handClosedAt,
      completedAt: handClosedAt + MINUTE,
    }),
  );
  prune();
  fold(
    log.claimed(storeId, 'T-1', 'pay-2', handClosedAt - MINUTE),
    log.terminalUse('TerminalDeactivated', storeId, 'T-1', handClosedAt + 2 * HOUR),
    log.terminalUse('TerminalDeactivated', storeId, 'T-2', closeAt + HOUR),
    log.terminalUse('TerminalReactivated', storeId, 'T-1', closeAt + 4 * HOUR),
  );
  prune();
  return index;
}

/** The days due and missed, each missed one as given up: missed in use, or out of use before its close time. */
function daysOf(index: NightlyCloseIndex) {
  return {
    due: dueCloses(index, SETTINGS, NOW).map(({ terminalId, businessDay }) => `${terminalId} ${businessDay}`),
    missed: missedCloses(index, SETTINGS, NOW, LOOK_BACK_FROM).map(
      ({ terminalId, businessDay, outOfUseBefore }) =>
        `${terminalId} ${businessDay}${outOfUseBefore === undefined ? '' : ' out of use before'}`,
    ),
  };
}

describe('the nightly close’s index pruned, for a store far from UTC', () => {
  it.each([
    ['Pacific/Kiritimati', '2026-11-20'],
    ['Pacific/Pago_Pago', '2026-11-19'],
  ])('gives the days due and missed it gives unpruned, in %s', (timeZone, due) => {
    expect(LOOK_BACK_FROM).toBe('2026-11-13');
    const missedInUse = [];
    for (let day = '2026-11-14'; day < due; day = addDays(day, 1)) missedInUse.push(`T-1 ${day}`);
    const expected = {
      due: [`T-1 ${due}`],
      missed: ['T-1 2026-11-13 out of use before', ...missedInUse, 'T-2 2026-11-13'],
    };
    expect(daysOf(indexOf(timeZone, false))).toEqual(expected);
    expect(daysOf(indexOf(timeZone, true))).toEqual(expected);
  });
});

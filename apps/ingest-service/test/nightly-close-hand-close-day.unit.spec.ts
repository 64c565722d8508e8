import { addDays, storeDayAt } from '@app/payment-domain';
import { nightlyCloseEvents } from '../../../test/support/nightly-close-events';
import { logOfEvents } from '../../../test/support/recorded-events';
import { closeTime } from '../src/fleet/close-schedule';
import { missedCloses, outOfUseAtCloseTime } from '../src/fleet/nightly-close-days';
import { NightlyCloseIndex } from '../src/fleet/nightly-close-index';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
const SETTINGS = { spreadMs: 0, maxAttempts: 2 };
const iso = (instant: number) => new Date(instant).toISOString();

/** A store's day, its schedule, and what its one terminal did around its close time. */
interface Night {
  readonly timeZone: string;
  readonly endOfDayTime: string;
  readonly day: string;
  /** Payments on the terminal. */
  readonly paidAt: readonly number[];
  /** When the terminal was closed by hand, dated as the command service dates it (`storeDayAt`). */
  readonly handClosedAt: number;
  /** When the terminal was deactivated, if it was. */
  readonly deactivatedAt?: number;
}

/** The index of a store registered long before the day, no nightly close made of it (the engine down then). */
function indexOf({ timeZone, endOfDayTime, day, paidAt, handClosedAt, deactivatedAt }: Night) {
  const log = nightlyCloseEvents(logOfEvents());
  const storeId = 'store';
  const terminalId = 'T-1';
  const registeredAt = closeTime(day, endOfDayTime, timeZone) - 30 * DAY;
  const index = new NightlyCloseIndex();
  for (const record of [
    log.storeRegistered(storeId, timeZone, endOfDayTime, registeredAt),
    log.terminalRegistered(storeId, terminalId, registeredAt),
    ...paidAt.flatMap((at) => [
      log.claimed(storeId, terminalId, `pay-${at}`, at),
      log.released(terminalId, `pay-${at}`, at + MINUTE),
    ]),
    ...(deactivatedAt === undefined
      ? []
      : [log.terminalUse('TerminalDeactivated', storeId, terminalId, deactivatedAt)]),
    ...log.endOfDay({
      operationId: 'by-hand',
      storeId,
      terminalId,
      businessDay: storeDayAt(iso(handClosedAt), timeZone, endOfDayTime),
      requestedBy: 'pos',
      requestedAt: handClosedAt,
    }),
  ])
    index.onEvent(record);
  return index;
}

/**
 * The days the look for missed days gives up, an hour after the next day's close time: the day, the only one looked
 * back over (the next is due), with no nightly close made.
 */
function missedDays(night: Night): string[] {
  const now = closeTime(addDays(night.day, 1), night.endOfDayTime, night.timeZone) + HOUR;
  return missedCloses(indexOf(night), SETTINGS, now, night.day).map(({ businessDay }) => businessDay);
}

/**
 * A close by hand closes the terminal's batch, all it took since its close before, whatever date it bears: asked for
 * after a day's close time, that day's nightly close not made, and before the next day's, it closes the whole of that
 * day's trading, as the nightly close made as late would. The command service dates it by the close time when it was
 * asked for (`storeDayAt`): after a 23:30 close time, 23:45 is dated that day, and counted for it by its date; after a
 * 22:00 close time, 00:30 is dated the next day, and was counted for that day only: the day whose sales it held, with
 * no close of its own, was given up as missed (or as out of use at its close time, its batch said not closed).
 */
describe('the day a close by hand after its close time closes', () => {
  const oslo = (time: string, day: string) => ({ timeZone: 'Europe/Oslo', endOfDayTime: time, day });

  it('is the day before for one at 00:30 after a 22:00 close time, dated the next day', () => {
    const night = oslo('22:00', '2026-11-12');
    const closeAt = closeTime(night.day, '22:00', 'Europe/Oslo');
    const handClosedAt = closeAt + 2 * HOUR + 30 * MINUTE;
    expect(storeDayAt(iso(handClosedAt), 'Europe/Oslo', '22:00')).toBe('2026-11-13');
    expect(missedDays({ ...night, paidAt: [closeAt - HOUR], handClosedAt })).toEqual([]);
  });

  it('is that day for one at 23:45 after a 23:30 close time, dated that day', () => {
    const night = oslo('23:30', '2026-11-12');
    const closeAt = closeTime(night.day, '23:30', 'Europe/Oslo');
    const handClosedAt = closeAt + 15 * MINUTE;
    expect(storeDayAt(iso(handClosedAt), 'Europe/Oslo', '23:30')).toBe('2026-11-12');
    expect(missedDays({ ...night, paidAt: [closeAt - HOUR], handClosedAt })).toEqual([]);
  });

  it('is the day whose close time came before it as instants, on the night the clocks go back', () => {
    // 02:30 comes twice in Oslo on 25 October 2026, and the day before's nightly close runs at its later coming
    // (01:30Z): a close by hand at 02:45 after it (01:45Z) is dated the 25th, holding the 24th's trading.
    const night = oslo('02:30', '2026-10-24');
    const closeAt = closeTime(night.day, '02:30', 'Europe/Oslo');
    expect(iso(closeAt)).toBe('2026-10-25T01:30:00.000Z');
    const handClosedAt = closeAt + 15 * MINUTE;
    expect(storeDayAt(iso(handClosedAt), 'Europe/Oslo', '02:30')).toBe('2026-10-25');
    expect(missedDays({ ...night, paidAt: [closeAt - 2 * HOUR], handClosedAt })).toEqual([]);
  });

  it('is the day whose close time came before it, on the night the clocks go forward past that time', () => {
    // Nuuk's clocks go from 23:00 to 00:00 on 28 March 2026: the 23:30 close runs at 00:30 (01:30Z), and a close by
    // hand at 00:45 (01:45Z) is dated the 29th.
    const night = { timeZone: 'America/Nuuk', endOfDayTime: '23:30', day: '2026-03-28' };
    const closeAt = closeTime(night.day, '23:30', 'America/Nuuk');
    expect(iso(closeAt)).toBe('2026-03-29T01:30:00.000Z');
    const handClosedAt = closeAt + 15 * MINUTE;
    expect(storeDayAt(iso(handClosedAt), 'America/Nuuk', '23:30')).toBe('2026-03-29');
    expect(missedDays({ ...night, paidAt: [closeAt - 2 * HOUR], handClosedAt })).toEqual([]);
  });

  it('is not a day whose next day’s close time came before it: that day is missed', () => {
    const night = oslo('22:00', '2026-11-12');
    const nextCloseAt = closeTime('2026-11-13', '22:00', 'Europe/Oslo');
    const handClosedAt = nextCloseAt + 30 * MINUTE;
    expect(missedDays({ ...night, paidAt: [nextCloseAt - 25 * HOUR], handClosedAt })).toEqual(['2026-11-12']);
  });

  it('has a day out of use at its close time, closed by hand after it, not given up for its sales', () => {
    // Deactivated at 21:30 after a payment, and closed by hand at 00:30 (the engine down at 22:00): its batch closed.
    const night = oslo('22:00', '2026-11-12');
    const closeAt = closeTime(night.day, '22:00', 'Europe/Oslo');
    const index = indexOf({
      ...night,
      paidAt: [closeAt - HOUR],
      deactivatedAt: closeAt - 30 * MINUTE,
      handClosedAt: closeAt + 2 * HOUR + 30 * MINUTE,
    });
    expect(outOfUseAtCloseTime(index, SETTINGS, closeAt + 3 * HOUR)).toEqual([]);
  });
});

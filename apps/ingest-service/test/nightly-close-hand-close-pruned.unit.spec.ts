import { addDays } from '@app/payment-domain';
import { nightlyCloseEvents } from '../../../test/support/nightly-close-events';
import { logOfEvents } from '../../../test/support/recorded-events';
import { closeTime } from '../src/fleet/close-schedule';
import { missedCloses } from '../src/fleet/nightly-close-days';
import { KEEP_DAYS_MS, NightlyCloseIndex } from '../src/fleet/nightly-close-index';

const DAY = 86_400_000;
const LOOK_BACK_DAYS = 7;
/** Noon UTC on 20 November: the close due is the 19th's, the days looked back over from the 13th. */
const NOW = Date.parse('2026-11-20T12:00:00Z');
const LOOK_BACK_FROM = new Date(NOW - LOOK_BACK_DAYS * DAY).toISOString().slice(0, 10);
const iso = (instant: number) => new Date(instant).toISOString();

/**
 * A store whose day ends at 23:30 in Oslo has a close by hand at 23:45 dated that local day (`storeDayAt`), though it
 * closed the next day's trading from 23:30 on: it counts for the next day too (`dayHandClose`). The first day looked
 * back over, closed so by a close by hand dated the day before it, is that day's still once the index is pruned: the
 * pruning keeps the closes by hand by when they were asked for, which may be after the close time before the first
 * day looked back over whatever day they are dated. Where it kept only those dated from the first day on, and the
 * first day, in use at its close time with nothing taken after its close by hand, was taken for a day with no close
 * at all, to give up as missed.
 */
describe('the closes by hand the nightly close’s index keeps', () => {
  function indexOf() {
    const log = nightlyCloseEvents(logOfEvents());
    const storeId = 'oslo';
    const terminalId = 'T-1';
    const registeredAt = NOW - 30 * DAY;
    const dayBefore = addDays(LOOK_BACK_FROM, -1);
    // 23:45 in Oslo on the day before the first day looked back over: after that day's close time.
    const askedAt = closeTime(dayBefore, '23:30', 'Europe/Oslo') + 15 * 60_000;
    const index = new NightlyCloseIndex();
    for (const record of [
      log.storeRegistered(storeId, 'Europe/Oslo', '23:30', registeredAt),
      log.terminalRegistered(storeId, terminalId, registeredAt),
      ...log.endOfDay({
        operationId: 'by-hand-1',
        storeId,
        terminalId,
        businessDay: dayBefore,
        requestedBy: 'pos',
        requestedAt: askedAt,
      }),
    ])
      index.onEvent(record);
    return index;
  }
  const missedDays = (index: NightlyCloseIndex) =>
    missedCloses(index, { spreadMs: 0, maxAttempts: 2 }, NOW, LOOK_BACK_FROM).map(({ businessDay }) => businessDay);

  it('keeps a close by hand dated the day before the days looked back over, for the first of them', () => {
    const unpruned = indexOf();
    // Every day looked back over, before the due one (the 19th), with no close made, but the first (the 13th): its
    // trading closed by hand, nothing taken after.
    const days = ['2026-11-14', '2026-11-15', '2026-11-16', '2026-11-17', '2026-11-18'];
    expect(LOOK_BACK_FROM).toBe('2026-11-13');
    expect(missedDays(unpruned)).toEqual(days);

    const pruned = indexOf();
    pruned.prune(iso(NOW - KEEP_DAYS_MS).slice(0, 10), LOOK_BACK_FROM);
    expect(missedDays(pruned)).toEqual(days);
  });
});

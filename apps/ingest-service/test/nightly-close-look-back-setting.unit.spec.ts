import { addDays } from '@app/payment-domain';
import { nightlyCloseEvents } from '../../../test/support/nightly-close-events';
import { logOfEvents } from '../../../test/support/recorded-events';
import { closeOperationId, closeTime } from '../src/fleet/close-schedule';
import { missedCloses } from '../src/fleet/nightly-close-days';
import { CORRELATION_ID, KEEP_DAYS_MS, NightlyCloseIndex } from '../src/fleet/nightly-close-index';
import {
  prunedPastLookBack,
  restoreInto,
  snapshotOf,
  type NightlyCloseSnapshot,
} from '../src/fleet/nightly-close-snapshot';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const SETTINGS = { spreadMs: 0, maxAttempts: 2 };
const NOW = Date.parse('2026-11-20T12:00:00Z');
const OLDEST = new Date(NOW - KEEP_DAYS_MS).toISOString().slice(0, 10);
const lookBackFrom = (days: number) => new Date(NOW - days * DAY).toISOString().slice(0, 10);
const TIME_ZONE = 'UTC';
const END_OF_DAY = '22:00';

/**
 * A store whose nightly close closed T-1 every night up to the 13th, and was switched off from then until the morning
 * of the 19th (the day due now): the 14th to the 18th were none of its, and nothing is missed.
 */
function folded(index: NightlyCloseIndex): NightlyCloseIndex {
  const log = nightlyCloseEvents(logOfEvents());
  const storeId = 'store';
  const terminalId = 'T-1';
  const registeredAt = NOW - 30 * DAY;
  const records = [
    log.switched(true, registeredAt),
    log.storeRegistered(storeId, TIME_ZONE, END_OF_DAY, registeredAt),
    log.terminalRegistered(storeId, terminalId, registeredAt),
  ];
  for (let day = '2026-10-22'; day <= '2026-11-13'; day = addDays(day, 1))
    records.push(
      ...log.endOfDay({
        operationId: closeOperationId(storeId, terminalId, day, 1),
        storeId,
        terminalId,
        businessDay: day,
        requestedBy: CORRELATION_ID,
        requestedAt: closeTime(day, END_OF_DAY, TIME_ZONE),
      }),
    );
  records.push(
    log.switched(false, closeTime('2026-11-13', END_OF_DAY, TIME_ZONE) + HOUR),
    log.switched(true, Date.parse('2026-11-19T09:00:00Z')),
  );
  for (const record of records) index.onEvent(record);
  return index;
}

/** The missed days the service gives up: those the nightly close was in service for (`missedReason`). */
function givenUp(index: NightlyCloseIndex, lookBackDays: number): string[] {
  return missedCloses(index, SETTINGS, NOW, lookBackFrom(lookBackDays))
    .filter(({ closeAt, nextCloseAt }) => index.inService.forDay(closeAt, nextCloseAt))
    .map(({ businessDay }) => businessDay);
}

describe('the nightly close’s index, pruned under another NIGHTLY_CLOSE_LOOK_BACK_DAYS', () => {
  it('gives up no day closed, restored from a checkpoint pruned to fewer days back than this instance looks', () => {
    const fromTheStart = folded(new NightlyCloseIndex());
    fromTheStart.prune(OLDEST, lookBackFrom(7));
    expect(givenUp(fromTheStart, 7)).toEqual([]);

    // Saved by an instance looking 3 days back, restored by one looking 7 (or by itself, restarted with 7).
    const saver = folded(new NightlyCloseIndex());
    saver.prune(OLDEST, lookBackFrom(3));
    const restored = new NightlyCloseIndex();
    restoreInto(restored, JSON.parse(JSON.stringify(snapshotOf(saver))) as NightlyCloseSnapshot);
    restored.prune(OLDEST, lookBackFrom(7));
    expect(givenUp(restored, 7)).toEqual([]);
  });

  it('says a checkpoint pruned to fewer days back than an instance looks cannot serve it, and one pruned to as many can', () => {
    const saver = folded(new NightlyCloseIndex());
    saver.prune(OLDEST, lookBackFrom(3));
    const snapshot = snapshotOf(saver);
    // The days between the 7 looked back over and the 3 it was pruned to: their traces are gone.
    expect(prunedPastLookBack(snapshot, lookBackFrom(7))).toBe(
      `was pruned to ${lookBackFrom(3)}, after the first day this instance looks back to (${lookBackFrom(7)}, NIGHTLY_CLOSE_LOOK_BACK_DAYS)`,
    );
    expect(prunedPastLookBack(snapshot, lookBackFrom(3))).toBeUndefined();
    expect(prunedPastLookBack(snapshot, lookBackFrom(2))).toBeUndefined();
    expect(prunedPastLookBack(snapshotOf(folded(new NightlyCloseIndex())), lookBackFrom(7))).toBeUndefined();
  });
});

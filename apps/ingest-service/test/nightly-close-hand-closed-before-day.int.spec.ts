import { handleCommand } from '@app/event-store';
import { storeDecider, storeStream } from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import {
  closeDays,
  closedByHand,
  closedThatNight,
  givenUpIn,
  paidOn,
  setCloseTime,
} from '../../../test/support/nightly-close-history';
import { registerLongAgo, registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';

const TIME_ZONE = 'Europe/Oslo';
/** A store whose close time is 03:00 now, the next morning: it was 23:30 (the default) when its closes by hand were dated. */
const MOVED = 'hb-moved';
const END_OF_DAY = '03:00';
/**
 * Closed by hand at 01:00, dated that local day by the close time then, before that day's close time before on the one
 * now; used after it, the day missed (the engine down at its close time).
 */
const CLOSED_BEFORE_ITS_DAY = 'HB-1';
/** Closed by hand in its day, after its last payment, the day missed. */
const CLOSED_IN_ITS_DAY = 'HB-2';
/** Closed by hand at 01:00 as `CLOSED_BEFORE_ITS_DAY`, after its last payment, and deactivated before the close time. */
const CLOSED_THEN_DEACTIVATED = 'HB-3';
/** A store whose day ends at 23:30, as ever. */
const EVENING = 'hb-evening';
/**
 * Used after the day before's close time, closed by hand after it too (at 23:45, dated that local day, the day before),
 * deactivated after midnight: out of use at the due day's close time, with nothing taken after its close by hand.
 */
const CLOSED_AFTER_CLOSE_TIME = 'HB-4';
/** As `CLOSED_AFTER_CLOSE_TIME`, having taken a payment after its close by hand. */
const SOLD_AFTER_LATE_HAND_CLOSE = 'HB-5';

/**
 * A close by hand is dated by the store's close time when it was asked for (the command service's `storeDayAt`: on a
 * day ending in the evening, the local date, after that day's close time too); the nightly close judges a day by the
 * close times on the store's schedule now. A close by hand closed the terminal's batch up to when it was asked for,
 * whatever day it is dated: it counts for the day whose trading it closed, that is the day it was asked for in (from its
 * close time before), and for the day it is dated when asked for after that day's close time before. So a day is
 * neither left with no close of its own nor a give-up (a close by hand dated it but asked before it began), nor given
 * up for sales a close by hand closed (asked for in it but dated another day).
 */
describe('the nightly close of a day closed by hand dated another day', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;
  const { day, closeAt } = closeDays(TIME_ZONE, END_OF_DAY);
  const evening = closeDays(TIME_ZONE);
  const hour = 3_600_000;
  const minute = 60_000;
  const iso = (instant: number) => new Date(instant).toISOString();
  const paid = (storeId: string, terminalId: string, at: number) =>
    paidOn(engine.log, { storeId, terminalId, claimId: `pay-${terminalId}-${at}`, at });
  const deactivate = (storeId: string, terminalId: string, at: number) =>
    handleCommand(
      engine.log,
      storeStream(storeId),
      storeDecider,
      { type: 'DeactivateTerminal', data: { storeId, terminalId, at: iso(at) } },
      { metadata: { correlationId: 'test' } },
    );

  beforeAll(async () => {
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgoAtDintero(
      engine,
      MOVED,
      [CLOSED_BEFORE_ITS_DAY, CLOSED_IN_ITS_DAY, CLOSED_THEN_DEACTIVATED],
      6,
    );
    await setCloseTime(engine.log, { storeId: MOVED, timeZone: TIME_ZONE }, END_OF_DAY);
    const moved = { storeId: MOVED, timeZone: TIME_ZONE, endOfDayTime: END_OF_DAY };
    for (const terminalId of [CLOSED_BEFORE_ITS_DAY, CLOSED_IN_ITS_DAY])
      await closedThatNight(engine.log, { ...moved, terminalId, businessDay: day(2) });
    await closedThatNight(engine.log, { ...moved, terminalId: CLOSED_THEN_DEACTIVATED, businessDay: day(3) });
    await paid(MOVED, CLOSED_THEN_DEACTIVATED, closeAt(3) + hour);
    // Two hours before day(2)'s close time on the schedule now: dated day(1), the local day, by the close time then.
    for (const terminalId of [CLOSED_BEFORE_ITS_DAY, CLOSED_THEN_DEACTIVATED])
      await closedByHand(engine.log, { storeId: MOVED, terminalId, businessDay: day(1), at: closeAt(2) - 2 * hour });
    await deactivate(MOVED, CLOSED_THEN_DEACTIVATED, closeAt(2) - hour);
    await paid(MOVED, CLOSED_BEFORE_ITS_DAY, closeAt(2) + hour);
    await paid(MOVED, CLOSED_IN_ITS_DAY, closeAt(2) + hour);
    await closedByHand(engine.log, {
      storeId: MOVED,
      terminalId: CLOSED_IN_ITS_DAY,
      businessDay: day(1),
      at: closeAt(2) + 2 * hour,
    });
    // No close of day(1) made: the engine was down at its close time.

    await registerLongAgo(engine.log, EVENING, [CLOSED_AFTER_CLOSE_TIME, SOLD_AFTER_LATE_HAND_CLOSE], 6);
    for (const terminalId of [CLOSED_AFTER_CLOSE_TIME, SOLD_AFTER_LATE_HAND_CLOSE]) {
      await closedThatNight(engine.log, { storeId: EVENING, terminalId, businessDay: evening.day(1) });
      await paid(EVENING, terminalId, evening.closeAt(1) + 10 * minute);
      await closedByHand(engine.log, {
        storeId: EVENING,
        terminalId,
        businessDay: evening.day(1),
        at: evening.closeAt(1) + 15 * minute,
      });
    }
    await paid(EVENING, SOLD_AFTER_LATE_HAND_CLOSE, evening.closeAt(1) + 20 * minute);
    for (const terminalId of [CLOSED_AFTER_CLOSE_TIME, SOLD_AFTER_LATE_HAND_CLOSE])
      await deactivate(EVENING, terminalId, evening.closeAt(1) + hour);
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  it('gives up the day with no close of its own, and counts a close by hand for the day it closed', async () => {
    closer = await startNightlyCloser(engine, { NIGHTLY_CLOSE_MAX_PER_SECOND: '50' });
    // The due day's closes made: the round that started them gave the days to give up up, before they could complete.
    await waitUntil(
      async () =>
        (await engine.log.readAll({ limit: 10_000 })).filter(
          (event) =>
            event.type === 'OperationCompleted' &&
            (event.metadata as { storeId?: string }).storeId === MOVED &&
            (event.metadata as { businessDay?: string }).businessDay === day(0),
        ).length >= 2,
      30_000,
      'the due day closed',
    );
    const givenUp = givenUpIn(await engine.log.readAll({ limit: 10_000 }));
    expect(givenUp.map((each) => `${each.terminalId} ${each.businessDay}`).sort()).toEqual([
      `${CLOSED_BEFORE_ITS_DAY} ${day(1)}`,
      `${SOLD_AFTER_LATE_HAND_CLOSE} ${evening.day(0)}`,
    ]);
    const missed = givenUp.find((each) => each.terminalId === CLOSED_BEFORE_ITS_DAY)!;
    expect(missed.reason).toBe(
      `missed: no close of ${day(1)} was made before the close of ${day(0)} fell due (the nightly close was not running then); found late, at ${missed.at}`,
    );
    const soldAfter = givenUp.find((each) => each.terminalId === SOLD_AFTER_LATE_HAND_CLOSE)!;
    expect(soldAfter.reason).toBe(
      `out of use at the close time of ${evening.day(0)}: taken out of use at ${iso(evening.closeAt(1) + hour)} (deactivated) after payments or refunds on it since its close by hand at ${iso(evening.closeAt(1) + 15 * minute)} (the last at ${iso(evening.closeAt(1) + 20 * minute)}); its batch was not closed: close it by hand, or its next close takes it should it come back into use; found late, at ${soldAfter.at}`,
    );
  }, 60_000);
});

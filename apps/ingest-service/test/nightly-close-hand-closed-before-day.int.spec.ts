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
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';

const STORE = 'hb-store';
const TIME_ZONE = 'Europe/Oslo';
/** The store's close time now: 03:00, the next morning. It was 23:30 (the default) when the closes by hand were dated. */
const END_OF_DAY = '03:00';
/** Closed by hand in a day dated by the close time then, asked before that day's close time before on the one now. */
const CLOSED_BEFORE_ITS_DAY = 'HB-1';
/** Closed by hand in its day's window, after its last payment: its batch closed up to then. */
const CLOSED_IN_ITS_DAY = 'HB-2';

/**
 * A close by hand is dated by the store's close time when it was asked for (the command service's `storeDayAt`); the
 * nightly close judges a day by the close times on the store's schedule now. A store whose close time moved from 23:30
 * to 03:00 has a close by hand asked at 01:00 dated the local day, though on the schedule now it came before that
 * day's close time before: it closed the trading of the day before, none of its own day's. That day, missed (the
 * engine down at its close time, the terminal in use), had no close of its own: it is given up as missed, as a day
 * with no close by hand is, where it was left alone as though the close by hand had closed it.
 */
describe('the nightly close of a missed day closed by hand before its close time before', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;
  const { day, closeAt } = closeDays(TIME_ZONE, END_OF_DAY);
  const hour = 3_600_000;
  const paid = (terminalId: string, at: number) =>
    paidOn(engine.log, { storeId: STORE, terminalId, claimId: `pay-${terminalId}-${at}`, at });

  beforeAll(async () => {
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgoAtDintero(engine, STORE, [CLOSED_BEFORE_ITS_DAY, CLOSED_IN_ITS_DAY], 5);
    await setCloseTime(engine.log, { storeId: STORE, timeZone: TIME_ZONE }, END_OF_DAY);
    for (const terminalId of [CLOSED_BEFORE_ITS_DAY, CLOSED_IN_ITS_DAY])
      await closedThatNight(engine.log, {
        storeId: STORE,
        terminalId,
        businessDay: day(2),
        timeZone: TIME_ZONE,
        endOfDayTime: END_OF_DAY,
      });
    // Two hours before day(2)'s close time on the schedule now: dated day(1), the local day, by the close time then.
    await closedByHand(engine.log, {
      storeId: STORE,
      terminalId: CLOSED_BEFORE_ITS_DAY,
      businessDay: day(1),
      at: closeAt(2) - 2 * hour,
    });
    await paid(CLOSED_BEFORE_ITS_DAY, closeAt(2) + hour);
    await paid(CLOSED_IN_ITS_DAY, closeAt(2) + hour);
    await closedByHand(engine.log, {
      storeId: STORE,
      terminalId: CLOSED_IN_ITS_DAY,
      businessDay: day(1),
      at: closeAt(2) + 2 * hour,
    });
    // No close of day(1) made: the engine was down at its close time.
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  it('gives the day up as missed, and leaves the day its close by hand closed alone', async () => {
    closer = await startNightlyCloser(engine, { NIGHTLY_CLOSE_MAX_PER_SECOND: '50' });
    // The due day's closes made: the round that started them gave the missed days up, before they could complete.
    await waitUntil(
      async () =>
        (await engine.log.readAll({ limit: 10_000 })).filter(
          (event) =>
            event.type === 'OperationCompleted' && (event.metadata as { businessDay?: string }).businessDay === day(0),
        ).length >= 2,
      30_000,
      'the due day closed',
    );
    const givenUp = givenUpIn(await engine.log.readAll({ limit: 10_000 }));
    expect(givenUp.map((each) => `${each.terminalId} ${each.businessDay}`)).toEqual([
      `${CLOSED_BEFORE_ITS_DAY} ${day(1)}`,
    ]);
    expect(givenUp[0]!.reason).toBe(
      `missed: no close of ${day(1)} was made before the close of ${day(0)} fell due (the nightly close was not running then); found late, at ${givenUp[0]!.at}`,
    );
  }, 60_000);
});

import { addDays } from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import {
  closedCount,
  closedThatNight,
  givenUpIn,
  switchedNightlyClose,
} from '../../../test/support/nightly-close-history';
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';
import { closeTime, dueClose } from '../src/fleet/close-schedule';

const STORE = 'nf-store';

/**
 * The nightly close switched off for less than the days it keeps, then on again: the days whose close time fell while
 * it was off were not due, and are not given up as missed; a day that fell due while it was on and left no trace (the
 * engine down) still is. Where every day with no trace after the log last showed it at work was given up as missed.
 */
describe('the nightly close switched off for a while', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;
  const due = dueClose('Europe/Oslo', '23:30', Date.now()).businessDay;
  const lastClosed = addDays(due, -5);
  const missed = addDays(due, -4);

  beforeAll(async () => {
    // The engine's own ingest runs no reconciler, and so records no switch: the test writes the history.
    engine = await startEngine({ ingest: { RECONCILER_ENABLED: 'false' }, sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgoAtDintero(engine, STORE, ['NF-1'], 8);
    await switchedNightlyClose(engine.log, true, Date.now() - 7 * 86_400_000);
    await closedThatNight(engine.log, { storeId: STORE, terminalId: 'NF-1', businessDay: lastClosed });
    // The engine down over the next day's close (on), then started with the nightly close off an hour before the close
    // of the day after: that day and those after it, until it is on again (the closer's start), were not due.
    await switchedNightlyClose(engine.log, false, closeTime(addDays(missed, 1), '23:30', 'Europe/Oslo') - 3_600_000);
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  const events = async () => await engine.log.readAll({ limit: 10_000 });
  const givenUp = async () => givenUpIn(await events());

  it('gives up the day missed while on, none of the days it was off, and closes the due day', async () => {
    closer = await startNightlyCloser(engine);
    await waitUntil(async () => (await givenUp()).length >= 1, 30_000, 'the day missed while on given up');
    await waitUntil(async () => closedCount(await events(), due) > 0, 30_000, 'the due day closed');
    // The closer's rounds after the due day's close looked at every day again: still the one give-up.
    expect((await givenUp()).map((each) => each.businessDay)).toEqual([missed]);
    expect((await givenUp())[0]!.reason).toMatch(/^missed: no close of /);
    // The closer said it runs, as it started.
    const switched = (await events()).filter((event) => event.type === 'NightlyCloseSwitched');
    expect(switched.map((event) => (event.data as { enabled: boolean }).enabled)).toEqual([true, false, true]);
  }, 90_000);
});

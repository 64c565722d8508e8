import { addDays } from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { closedCount, closedThatNight, givenUpIn } from '../../../test/support/nightly-close-history';
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';
import { dueClose } from '../src/fleet/close-schedule';

const STORE = 'nl-store';

/**
 * The engine down for longer than the three days the nightly close keeps closes: every terminal day that fell due
 * meanwhile is given up when it is back, found late, back to the last day the log shows the nightly close at work on
 * the terminal. Where only the days of the last three were looked at, and then only when the log showed the nightly
 * close at work on one of them, so that an outage of five days gave up none of its days.
 */
describe('the nightly close after an outage longer than the days it keeps', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;
  const due = dueClose('Europe/Oslo', '23:30', Date.now()).businessDay;
  const lastClosed = addDays(due, -6);

  beforeAll(async () => {
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgoAtDintero(engine, STORE, ['NL-1'], 10);
    // The nightly close at work six days ago, the last trace before the engine went down.
    await closedThatNight(engine.log, { storeId: STORE, terminalId: 'NL-1', businessDay: lastClosed });
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  const events = async () => await engine.log.readAll({ limit: 10_000 });
  const givenUp = async () => givenUpIn(await events());

  it('gives up every day of the outage, found late, and closes the due day', async () => {
    const startedAt = Date.now();
    closer = await startNightlyCloser(engine);
    await waitUntil(async () => (await givenUp()).length >= 5, 30_000, 'the days of the outage given up');
    await waitUntil(async () => closedCount(await events(), due) > 0, 30_000, 'the due day closed');
    const all = await givenUp();
    const outage = [1, 2, 3, 4, 5].map((back) => addDays(due, -back)).sort();
    expect(all.map((each) => each.businessDay).sort()).toEqual(outage);
    for (const each of all) {
      expect(each).toMatchObject({ storeId: STORE, terminalId: 'NL-1', attempts: 1 });
      expect(Date.parse(each.at)).toBeGreaterThanOrEqual(startedAt);
      expect(each.reason).toBe(
        `missed: no close of ${each.businessDay} was made before the close of ${addDays(each.businessDay, 1)} fell due (the nightly close was not running then); found late, at ${each.at}`,
      );
    }
  }, 90_000);
});

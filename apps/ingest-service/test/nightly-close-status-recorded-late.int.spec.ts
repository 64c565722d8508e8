import { handleCommand } from '@app/event-store';
import { storeDecider, storeStream, type StoreCommand } from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { closedCount, closedThatNight, givenUpIn, closeDays } from '../../../test/support/nightly-close-history';
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';

const STORE = 'rl-store';
/** INACTIVE at Dintero after day 2's close; ACTIVE again as asked before day 1's close time, recorded after the due day's. */
const LATE = 'RL-1';
/** In use all along: the nightly close at work on days 1 and the due day. */
const OTHER = 'RL-2';

/**
 * A terminal's status at Dintero is dated when Dintero was asked: `ACTIVE` again, asked before day 1's close time and
 * recorded only after the due day's close fell due (the nightly close running all along), puts day 1 in the terminal's
 * use when nothing could close it any more. The day is given up saying so, where it said the nightly close was not
 * running then, which the log showed at work on both days.
 */
describe('the nightly close of a day whose status was recorded after its next day’s close fell due', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;
  const { due, day, closeAt } = closeDays();
  const iso = (instant: number) => new Date(instant).toISOString();
  const backAt = closeAt(1) - 3_600_000;

  const run = (command: StoreCommand) =>
    handleCommand(engine.log, storeStream(STORE), storeDecider, command, { metadata: { correlationId: 'test' } });
  const statusAtDintero = (terminalId: string, status: 'ACTIVE' | 'INACTIVE', at: number) =>
    run({
      type: 'RecordTerminalStatus',
      data: { storeId: STORE, terminalId, dinteroTerminalId: terminalId, status, at: iso(at) },
    });

  beforeAll(async () => {
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    const enrolledAt = Date.now() - 5 * 86_400_000;
    await registerLongAgoAtDintero(engine, STORE, [LATE, OTHER], 5);
    for (const terminalId of [LATE, OTHER])
      await run({
        type: 'RegisterTerminal',
        data: {
          storeId: STORE,
          terminalId,
          enrollment: { dinteroTerminalId: terminalId, deviceSerialNumber: `SN-${terminalId}`, status: 'ACTIVE' },
          at: iso(enrolledAt),
        },
      });
    // In the log's order, as it happened: the nightly close at work on day 1 and the due day, then the late status.
    for (const terminalId of [LATE, OTHER])
      await closedThatNight(engine.log, { storeId: STORE, terminalId, businessDay: day(2) });
    await statusAtDintero(LATE, 'INACTIVE', closeAt(2) + 3_600_000);
    await closedThatNight(engine.log, { storeId: STORE, terminalId: OTHER, businessDay: day(1) });
    await closedThatNight(engine.log, { storeId: STORE, terminalId: OTHER, businessDay: due });
    await statusAtDintero(LATE, 'ACTIVE', backAt);
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  const events = async () => await engine.log.readAll({ limit: 10_000 });

  it('gives the day up saying the status was recorded only after the next day’s close fell due', async () => {
    closer = await startNightlyCloser(engine);
    await waitUntil(async () => givenUpIn(await events()).length >= 1, 30_000, 'day 1 given up');
    // In use at the due day's close time (the status dated before it): closed as ever.
    await waitUntil(async () => closedCount(await events(), due) >= 2, 30_000, 'the due day closed');
    const givenUp = givenUpIn(await events());
    expect(givenUp.map((each) => `${each.terminalId} ${each.businessDay}`)).toEqual([`${LATE} ${day(1)}`]);
    expect(givenUp[0]!.reason).toBe(
      `missed: the terminal's coming into use at ${iso(backAt)}, before the close time of ${day(1)}, was recorded only after the close of ${due} fell due; found late, at ${givenUp[0]!.at}`,
    );
  }, 60_000);
});

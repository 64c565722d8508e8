import { handleCommand } from '@app/event-store';
import { storeDecider, storeStream } from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { closedCount, closedThatNight, givenUpIn, closeDays } from '../../../test/support/nightly-close-history';
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';

const STORE = 'ra-store';
const TERMINAL = 'RA-1';

/**
 * A terminal in use, its closes missed (the engine down), then deactivated, then taken back into use, the engine down
 * all along: when it is back, the days missed before the deactivation are given up, the days it was out of use are
 * none of its, and the days since it was taken back into use are given up as ever. Where only the days since the
 * reactivation were looked at, and those before it stayed due and never closed nor given up for good.
 */
describe('the nightly close of a terminal taken back into use', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;
  const { due, day, closeAt } = closeDays();
  // In use and closed on day 8 back, missed on days 7 and 6; deactivated after day 6's close time, before day 5's;
  // out of use over days 5 and 4; taken back into use an hour before day 3's close time, missed on days 3 to 1.
  const deactivatedAt = closeAt(6) + 3_600_000;
  const reactivatedAt = closeAt(3) - 3_600_000;

  beforeAll(async () => {
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgoAtDintero(engine, STORE, [TERMINAL], 12);
    await closedThatNight(engine.log, { storeId: STORE, terminalId: TERMINAL, businessDay: day(8) });
    const metadata = { metadata: { correlationId: 'test' } };
    await handleCommand(
      engine.log,
      storeStream(STORE),
      storeDecider,
      {
        type: 'DeactivateTerminal',
        data: { storeId: STORE, terminalId: TERMINAL, at: new Date(deactivatedAt).toISOString() },
      },
      metadata,
    );
    await handleCommand(
      engine.log,
      storeStream(STORE),
      storeDecider,
      {
        type: 'RegisterTerminal',
        data: { storeId: STORE, terminalId: TERMINAL, at: new Date(reactivatedAt).toISOString() },
      },
      metadata,
    );
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  const events = async () => await engine.log.readAll({ limit: 10_000 });

  it('gives up the days missed before the deactivation and since the reactivation, not those out of use', async () => {
    const all = await engine.log.readAll({ limit: 10_000 });
    expect(all.some((event) => event.type === 'TerminalReactivated')).toBe(true);
    closer = await startNightlyCloser(engine);
    // A terminal's missed days are given up oldest first: once the day before the due one is, every earlier one was
    // looked at. And the due day closes as ever.
    await waitUntil(
      async () => givenUpIn(await events()).some((each) => each.businessDay === day(1)),
      30_000,
      'the day before the due one given up',
    );
    await waitUntil(async () => closedCount(await events(), due) > 0, 30_000, 'the due day closed');
    const givenUp = givenUpIn(await events());
    expect(givenUp.map((each) => each.businessDay).sort()).toEqual([day(7), day(6), day(3), day(2), day(1)].sort());
    const reasonOf = (back: number) => givenUp.find((each) => each.businessDay === day(back))!;
    for (const back of [7, 3, 2, 1]) {
      const each = reasonOf(back);
      expect(each.reason).toBe(
        `missed: no close of ${day(back)} was made before the close of ${day(back - 1)} fell due (the nightly close was not running then); found late, at ${each.at}`,
      );
    }
    // Deactivated while day 6 was still its close: given up, saying so.
    const sixth = reasonOf(6);
    expect(sixth.reason).toBe(
      `missed: no close of ${day(6)} was made before the terminal was taken out of use, at ${new Date(deactivatedAt).toISOString()}; found late, at ${sixth.at}`,
    );
    // Out of use at the close times of days 5 and 4: no close of theirs was due, none made.
    const requested = (await events()).filter(
      (event) =>
        event.type === 'OperationRequested' &&
        [day(5), day(4)].includes((event.data as { businessDay?: string }).businessDay ?? ''),
    );
    expect(requested).toHaveLength(0);
  }, 60_000);
});

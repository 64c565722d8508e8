import { handleCommand } from '@app/event-store';
import { addDays, storeDecider, storeStream, type CloseGivenUpData as GivenUp } from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { closedThatNight } from '../../../test/support/nightly-close-history';
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';
import { closeTime, dueClose } from '../src/fleet/close-schedule';

const STORE = 'no-store';

/**
 * A terminal taken out of use (deactivated, or removed from its store) after a day's close time, before that day's
 * close was made (the engine down then): the day is still given up, found late, saying so, for its batch to be closed
 * by hand. Where terminals out of use were never looked at for missed days, and the day went unreported.
 */
describe('the nightly close of a terminal taken out of use before its close', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;
  const due = dueClose('Europe/Oslo', '23:30', Date.now()).businessDay;
  const missed = addDays(due, -1);
  const outOfUseAt = closeTime(missed, '23:30', 'Europe/Oslo') + 60_000;

  beforeAll(async () => {
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgoAtDintero(engine, STORE, ['NO-1', 'NO-2'], 5);
    for (const terminalId of ['NO-1', 'NO-2'])
      await closedThatNight(engine.log, { storeId: STORE, terminalId, businessDay: addDays(due, -2) });
    const at = new Date(outOfUseAt).toISOString();
    const metadata = { metadata: { correlationId: 'test' } };
    await handleCommand(
      engine.log,
      storeStream(STORE),
      storeDecider,
      { type: 'DeactivateTerminal', data: { storeId: STORE, terminalId: 'NO-1', at } },
      metadata,
    );
    await handleCommand(
      engine.log,
      storeStream(STORE),
      storeDecider,
      { type: 'RemoveTerminal', data: { storeId: STORE, terminalId: 'NO-2', movedToStoreId: 'no-elsewhere', at } },
      metadata,
    );
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  const givenUp = async () =>
    (await engine.log.readAll({ limit: 10_000 }))
      .filter((event) => event.type === 'CloseGivenUp')
      .map((event) => event.data as GivenUp);

  it('gives up the day whose close was not made before the terminal was taken out of use', async () => {
    closer = await startNightlyCloser(engine);
    await waitUntil(async () => (await givenUp()).length >= 2, 30_000, 'the days of the terminals out of use given up');
    const all = await givenUp();
    expect(all.map((each) => `${each.terminalId} ${each.businessDay}`).sort()).toEqual([
      `NO-1 ${missed}`,
      `NO-2 ${missed}`,
    ]);
    for (const each of all)
      expect(each.reason).toBe(
        `missed: no close of ${missed} was made before the terminal was taken out of use, at ${new Date(outOfUseAt).toISOString()}; found late, at ${each.at}`,
      );
    // Out of use by the due day's close: none of theirs, neither closed nor given up.
    const requested = (await engine.log.readAll({ limit: 10_000 })).filter(
      (event) => event.type === 'OperationRequested' && (event.data as { businessDay?: string }).businessDay === due,
    );
    expect(requested).toHaveLength(0);
  }, 60_000);
});

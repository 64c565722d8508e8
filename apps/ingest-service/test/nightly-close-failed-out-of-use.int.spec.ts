import { handleCommand } from '@app/event-store';
import { addDays, storeDecider, storeStream } from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { closedThatNight, givenUpIn } from '../../../test/support/nightly-close-history';
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';
import { closeTime, dueClose } from '../src/fleet/close-schedule';

const STORE = 'fo-store';
/** Its close of the day before the due one failed at the terminal; in use since. */
const IN_USE = 'FO-1';
/** Its close of that day failed likewise, and it was deactivated before the close was tried again. */
const DEACTIVATED = 'FO-2';
/** Likewise, removed from the store. */
const REMOVED = 'FO-3';
const TERMINALS = [IN_USE, DEACTIVATED, REMOVED];

/**
 * A close that failed at the terminal, the terminal taken out of use before it was tried again: no attempt of it is
 * made any more, and its day is to be given up once the next day's close falls due, as it is for a terminal in use
 * (superseded) and for one taken out of use before any close of the day was made (missed).
 */
describe('the nightly close failed of a terminal taken out of use before it was tried again', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;
  const due = dueClose('Europe/Oslo', '23:30', Date.now()).businessDay;
  const failedDay = addDays(due, -1);
  // The failed attempt ended two minutes after the close time (`closedThatNight`): out of use three minutes later.
  const outOfUseAt = new Date(closeTime(failedDay, '23:30', 'Europe/Oslo') + 300_000).toISOString();

  beforeAll(async () => {
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgoAtDintero(engine, STORE, TERMINALS, 5);
    for (const terminalId of TERMINALS) {
      for (const back of [4, 3, 2])
        await closedThatNight(engine.log, { storeId: STORE, terminalId, businessDay: addDays(due, -back) });
      await closedThatNight(engine.log, { storeId: STORE, terminalId, businessDay: failedDay }, 'failed');
    }
    const metadata = { metadata: { correlationId: 'test' } };
    await handleCommand(
      engine.log,
      storeStream(STORE),
      storeDecider,
      { type: 'DeactivateTerminal', data: { storeId: STORE, terminalId: DEACTIVATED, at: outOfUseAt } },
      metadata,
    );
    await handleCommand(
      engine.log,
      storeStream(STORE),
      storeDecider,
      {
        type: 'RemoveTerminal',
        data: { storeId: STORE, terminalId: REMOVED, movedToStoreId: 'fo-elsewhere', at: outOfUseAt },
      },
      metadata,
    );
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  it('gives the failed day up once the next day is due, in use or not', async () => {
    closer = await startNightlyCloser(engine, { NIGHTLY_CLOSE_MAX_PER_SECOND: '100' });
    const failedGivenUp = async () =>
      givenUpIn(await engine.log.readAll({ limit: 10_000 }))
        .filter((each) => each.businessDay === failedDay)
        .map((each) => each.terminalId)
        .sort();
    await waitUntil(async () => (await failedGivenUp()).includes(IN_USE), 20_000, `${IN_USE}'s failed day given up`);
    // In the same round (every close due in one: a budget of twenty), or the next.
    await waitUntil(async () => (await failedGivenUp()).length >= 3, 5_000, 'all three given up').catch(
      () => undefined,
    );
    expect(await failedGivenUp()).toEqual(TERMINALS);
  }, 60_000);
});

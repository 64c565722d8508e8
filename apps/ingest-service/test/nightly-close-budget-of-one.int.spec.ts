import type { RecordedEvent } from '@app/event-store';
import { addDays, type OperationRequestedData } from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { closedThatNight, givenUpIn } from '../../../test/support/nightly-close-history';
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';
import { dueClose } from '../src/fleet/close-schedule';

const STORE = 'n1-store';
const TERMINALS = ['N1-1', 'N1-2', 'N1-3', 'N1-4'];

/**
 * A round's budget of one (NIGHTLY_CLOSE_MAX_PER_SECOND × NIGHTLY_CLOSE_CHECK_MS), back after a night's outage: every
 * terminal has tonight's close due and yesterday's missed close to give up. The give-ups take the round every other
 * round, the due closes the rounds between. Where a tenth of one was rounded to none kept for the give-ups, every due
 * close came first, and a fleet whose due closes kept coming (busy terminals, attempts tried again) starved them.
 */
describe('the nightly close with a budget of one close a round', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;
  const due = dueClose('Europe/Oslo', '23:30', Date.now()).businessDay;

  beforeAll(async () => {
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgoAtDintero(engine, STORE, TERMINALS, 4);
    // At work the night before the outage, on every terminal: the day after it is the one missed.
    for (const terminalId of TERMINALS)
      await closedThatNight(engine.log, { storeId: STORE, terminalId, businessDay: addDays(due, -2) });
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  const events = async () => await engine.log.readAll({ limit: 10_000 });
  const isDueRequest = (event: RecordedEvent) =>
    event.type === 'OperationRequested' && (event.data as OperationRequestedData).businessDay === due;

  it('gives up missed days between the due closes, not only once every due close was started', async () => {
    closer = await startNightlyCloser(engine, { NIGHTLY_CLOSE_MAX_PER_SECOND: '5', NIGHTLY_CLOSE_CHECK_MS: '200' });
    await waitUntil(
      async () => (await events()).filter(isDueRequest).length === TERMINALS.length,
      60_000,
      'the due closes requested',
    );
    await waitUntil(
      async () => givenUpIn(await events()).length === TERMINALS.length,
      60_000,
      'the missed days given up',
    );
    const all = await events();
    // Rounds alternate: a give-up, a due close, … so the last due close is requested after three give-ups at least
    // (four when the give-ups had the first round).
    expect(givenUpIn(all.slice(0, all.findLastIndex(isDueRequest))).length).toBeGreaterThanOrEqual(
      TERMINALS.length - 1,
    );
    // And the due closes were not held off either: the first is requested before the last give-up.
    const lastGiveUp = all.findLastIndex((event) => event.type === 'CloseGivenUp');
    expect(all.findIndex(isDueRequest)).toBeLessThan(lastGiveUp);
    expect(givenUpIn(all).map((each) => each.businessDay)).toEqual(TERMINALS.map(() => addDays(due, -1)));
  }, 150_000);
});

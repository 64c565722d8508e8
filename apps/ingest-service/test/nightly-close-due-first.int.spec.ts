import type { RecordedEvent } from '@app/event-store';
import { addDays, type OperationRequestedData } from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { closedThatNight, givenUpIn } from '../../../test/support/nightly-close-history';
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';
import { dueClose } from '../src/fleet/close-schedule';

const STORE = 'nd-store';
const TERMINALS = ['ND-1', 'ND-2', 'ND-3', 'ND-4', 'ND-5', 'ND-6'];
/** Days of the outage, each a missed day of every terminal. */
const OUTAGE_DAYS = 6;
/** A round's budget: NIGHTLY_CLOSE_MAX_PER_SECOND × NIGHTLY_CLOSE_CHECK_MS. */
const BUDGET = 5;
/** A round every half second (the test waits for eight or so), its budget the same. */
const CHECK_MS = 500;

/**
 * Back after an outage of days, with a round's budget smaller than the missed days to give up: the closes due now start
 * in the first round, and the missed days are given up in the rounds after. Where every missed day's give-up came first,
 * and tonight's closes waited seven rounds behind them (and, at a fleet's scale, past their own next day's close time).
 */
describe('the nightly close back after an outage, with a small budget', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;
  const due = dueClose('Europe/Oslo', '23:30', Date.now()).businessDay;

  beforeAll(async () => {
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgoAtDintero(engine, STORE, TERMINALS, OUTAGE_DAYS + 3);
    // The nightly close at work the day before the outage, on every terminal: the last trace before the engine went down.
    for (const terminalId of TERMINALS)
      await closedThatNight(engine.log, { storeId: STORE, terminalId, businessDay: addDays(due, -OUTAGE_DAYS - 1) });
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  const events = async () => await engine.log.readAll({ limit: 10_000 });
  const isDueRequest = (event: RecordedEvent) =>
    event.type === 'OperationRequested' && (event.data as OperationRequestedData).businessDay === due;

  it('starts the due closes before the give-ups of the missed days take the budget', async () => {
    closer = await startNightlyCloser(engine, {
      NIGHTLY_CLOSE_MAX_PER_SECOND: String((BUDGET * 1000) / CHECK_MS),
      NIGHTLY_CLOSE_CHECK_MS: String(CHECK_MS),
    });
    await waitUntil(
      async () => (await events()).filter(isDueRequest).length === TERMINALS.length,
      60_000,
      'the due closes requested',
    );
    await waitUntil(
      async () => givenUpIn(await events()).length === TERMINALS.length * OUTAGE_DAYS,
      60_000,
      'the missed days given up',
    );
    const all = await events();
    const lastDueRequest = all.findLastIndex(isDueRequest);
    // The due closes took the first round but for the tenth of its budget kept for the give-ups (one of five), and
    // the two due closes it did not reach the next round: one give-up before the last of them.
    expect(givenUpIn(all.slice(0, lastDueRequest))).toHaveLength(1);
    // Every missed day given up all the same, each terminal's oldest first.
    const givenUp = givenUpIn(all);
    for (const terminalId of TERMINALS) {
      const days = givenUp.filter((each) => each.terminalId === terminalId).map((each) => each.businessDay);
      const outage = Array.from({ length: OUTAGE_DAYS }, (_, back) => addDays(due, back - OUTAGE_DAYS));
      expect(days).toEqual(outage);
    }
  }, 150_000);
});

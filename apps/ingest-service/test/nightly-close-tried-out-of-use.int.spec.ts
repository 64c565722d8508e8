import { handleCommand } from '@app/event-store';
import { operationDecider, operationStream, storeDecider, storeStream, type StoreCommand } from '@app/payment-domain';
import { endOfDayRequest } from '../../../test/support/end-of-day-request';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { givenUpIn } from '../../../test/support/nightly-close-history';
import { registerLongAgo } from '../../../test/support/registered-long-ago';
import { closeOperationId, dueClose } from '../src/fleet/close-schedule';

const STORE = 'to-store';
/** Dintero refused its close, and its status there (INACTIVE) was asked after the close time. */
const ASKED_AFTER = 'TO-1';
/**
 * Dintero refused its close, and its status there (INACTIVE) was asked a minute before the close time, recorded only
 * after the close was tried: `at` is when the status was asked (`recordDinteroTerminalStatus`), and Dintero may take
 * that long to answer.
 */
const ASKED_BEFORE = 'TO-2';

/**
 * A due close the nightly close tried (the log said the terminal in use) and Dintero refused, the terminal then out of
 * use at Dintero: given up at once, whenever the status recorded since was asked. The attempt made settles that the
 * day was the terminal's, though the period in use the log now shows ends a minute before the close time.
 */
describe('the nightly close tried, of a terminal the log shows out of use since before the close time', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;
  const { businessDay, closeAt } = dueClose('Europe/Oslo', '23:30', Date.now());
  const iso = (instant: number) => new Date(instant).toISOString();
  const run = (command: StoreCommand) =>
    handleCommand(engine.log, storeStream(STORE), storeDecider, command, { metadata: { correlationId: 'test' } });

  /** The due day's first attempt, requested a minute after the close time and refused by Dintero a minute later. */
  async function refusedClose(terminalId: string): Promise<void> {
    const operationId = closeOperationId(STORE, terminalId, businessDay, 1);
    const metadata = { correlationId: 'nightly-close', storeId: STORE, terminalId, operationId, businessDay };
    const stream = operationStream(operationId);
    await handleCommand(
      engine.log,
      stream,
      operationDecider,
      {
        type: 'RequestOperation',
        data: endOfDayRequest({
          operationId,
          storeId: STORE,
          terminalId,
          businessDay,
          requestedBy: 'nightly-close',
          requestedAt: closeAt + 60_000,
        }),
      },
      { metadata },
    );
    await handleCommand(
      engine.log,
      stream,
      operationDecider,
      {
        type: 'RecordOperationOutcome',
        data: {
          outcome: 'rejected',
          reason: 'Dintero refused it: the terminal is INACTIVE',
          at: iso(closeAt + 120_000),
        },
      },
      { metadata },
    );
  }

  beforeAll(async () => {
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgo(engine.log, STORE, []);
    for (const terminalId of [ASKED_AFTER, ASKED_BEFORE])
      await run({
        type: 'RegisterTerminal',
        data: {
          storeId: STORE,
          terminalId,
          enrollment: { dinteroTerminalId: terminalId, deviceSerialNumber: `SN-${terminalId}`, status: 'ACTIVE' },
          at: iso(closeAt - 86_400_000),
        },
      });
    for (const terminalId of [ASKED_AFTER, ASKED_BEFORE]) await refusedClose(terminalId);
    for (const [terminalId, askedAt] of [
      [ASKED_AFTER, closeAt + 90_000],
      [ASKED_BEFORE, closeAt - 60_000],
    ] as const)
      await run({
        type: 'RecordTerminalStatus',
        data: { storeId: STORE, terminalId, dinteroTerminalId: terminalId, status: 'INACTIVE', at: iso(askedAt) },
      });
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  it('gives the refused close up whenever the status was asked', async () => {
    closer = await startNightlyCloser(engine, { NIGHTLY_CLOSE_MAX_PER_SECOND: '100' });
    const dueGivenUp = async () =>
      givenUpIn(await engine.log.readAll({ limit: 10_000 }))
        .filter((each) => each.businessDay === businessDay)
        .map((each) => each.terminalId)
        .sort();
    await waitUntil(async () => (await dueGivenUp()).includes(ASKED_AFTER), 20_000, `${ASKED_AFTER}'s close given up`);
    // Given up in the same round (both due, a budget of ten), or the next.
    await waitUntil(async () => (await dueGivenUp()).length >= 2, 5_000, 'both closes given up').catch(() => undefined);
    expect(await dueGivenUp()).toEqual([ASKED_AFTER, ASKED_BEFORE]);
  }, 60_000);
});

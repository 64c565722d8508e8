import { handleCommand } from '@app/event-store';
import { storeDecider, storeStream, terminalDecider, terminalStream } from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { closedThatNight, givenUpIn, closeDays } from '../../../test/support/nightly-close-history';
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';

const STORE = 'uo-store';
/** Took a payment after the day before's close, deactivated before the due day's close time. */
const DEACTIVATED = 'UO-1';
/** Took a payment after day 2's close, moved to another store before day 1's close time, the engine down since. */
const MOVED = 'UO-2';
/** Deactivated as the first, having taken nothing since its last close. */
const IDLE = 'UO-3';

/**
 * A terminal in use for part of a day, out of use at its close time: no close of the day is made (it is none of the
 * terminal's by `notItsDay`), so the payments it took reach no close until it comes back into use, and none if it never
 * does. The day is given up, saying so, for the store day to list it not closed: at once when the engine runs at its
 * close time, found late when it was down. Where such a day got neither a close nor a give-up.
 */
describe('the nightly close of a terminal used in a day and out of use at its close time', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;
  const { due, day, closeAt } = closeDays();
  const iso = (instant: number) => new Date(instant).toISOString();
  const usedAt = { [DEACTIVATED]: closeAt(1) + 3_600_000, [MOVED]: closeAt(2) + 3_600_000 };
  const outAt = { [DEACTIVATED]: closeAt(1) + 7_200_000, [MOVED]: closeAt(2) + 7_200_000 };
  const metadata = { metadata: { correlationId: 'test' } };

  /** A payment on the terminal at `at`: its claim, and the claim's release a minute later. */
  const paymentOn = async (terminalId: string, at: number) => {
    const claimId = `pay-${terminalId}`;
    const claim = {
      claimId,
      kind: 'payment' as const,
      paymentId: claimId,
      storeId: STORE,
      terminalId,
      claimedAt: iso(at),
      expiresAt: iso(at + 300_000),
    };
    await handleCommand(
      engine.log,
      terminalStream(terminalId),
      terminalDecider,
      { type: 'ClaimTerminal', data: claim },
      metadata,
    );
    await handleCommand(
      engine.log,
      terminalStream(terminalId),
      terminalDecider,
      { type: 'ReleaseTerminal', data: { terminalId, claimId, reason: 'finished', at: iso(at + 60_000) } },
      metadata,
    );
  };
  const deactivate = (terminalId: string, at: number) =>
    handleCommand(
      engine.log,
      storeStream(STORE),
      storeDecider,
      { type: 'DeactivateTerminal', data: { storeId: STORE, terminalId, at: iso(at) } },
      metadata,
    );

  beforeAll(async () => {
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgoAtDintero(engine, STORE, [DEACTIVATED, MOVED, IDLE], 5);
    // In the log's order, as it happened.
    await closedThatNight(engine.log, { storeId: STORE, terminalId: MOVED, businessDay: day(2) });
    await paymentOn(MOVED, usedAt[MOVED]);
    await handleCommand(
      engine.log,
      storeStream(STORE),
      storeDecider,
      {
        type: 'RemoveTerminal',
        data: { storeId: STORE, terminalId: MOVED, movedToStoreId: 'uo-elsewhere', at: iso(outAt[MOVED]) },
      },
      metadata,
    );
    for (const terminalId of [DEACTIVATED, IDLE])
      await closedThatNight(engine.log, { storeId: STORE, terminalId, businessDay: day(1) });
    await paymentOn(DEACTIVATED, usedAt[DEACTIVATED]);
    await deactivate(DEACTIVATED, outAt[DEACTIVATED]);
    await deactivate(IDLE, outAt[DEACTIVATED]);
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  const events = async () => await engine.log.readAll({ limit: 10_000 });

  it('gives the day up, saying the terminal was out of use at its close time after taking payments, and closes nothing', async () => {
    closer = await startNightlyCloser(engine);
    await waitUntil(async () => givenUpIn(await events()).length >= 2, 30_000, 'the days given up');
    const givenUp = givenUpIn(await events());
    expect(givenUp.map((each) => `${each.terminalId} ${each.businessDay}`).sort()).toEqual([
      `${DEACTIVATED} ${due}`,
      `${MOVED} ${day(1)}`,
    ]);
    const reason = (terminalId: 'UO-1' | 'UO-2', businessDay: string, how: string) =>
      `out of use at the close time of ${businessDay}: taken out of use at ${iso(outAt[terminalId])} (${how}) after payments or refunds on it since the close time before (the last at ${iso(usedAt[terminalId])}); its batch was not closed: close it by hand, or its next close takes it should it come back into use`;
    // The engine down at the due day's close time too (the closer starts now): found late, as the due day's.
    const deactivated = givenUp.find((each) => each.terminalId === DEACTIVATED)!;
    expect(deactivated.reason).toBe(`${reason(DEACTIVATED, due, 'deactivated')}; found late, at ${deactivated.at}`);
    // The engine down at day 1's close time: found late.
    const moved = givenUp.find((each) => each.terminalId === MOVED)!;
    expect(moved.reason).toBe(`${reason(MOVED, day(1), 'moved to store uo-elsewhere')}; found late, at ${moved.at}`);
    // No close of the day was asked for: out of use at its close time.
    const all = await events();
    const requested = (terminalId: string, businessDay: string) =>
      all.filter((event) => {
        const data = event.data as { terminalId?: string; businessDay?: string };
        return (
          event.type === 'OperationRequested' && data.terminalId === terminalId && data.businessDay === businessDay
        );
      });
    expect(requested(DEACTIVATED, due)).toEqual([]);
    expect(requested(MOVED, day(1))).toEqual([]);
  }, 60_000);
});

import { handleCommand } from '@app/event-store';
import { storeDecider, storeStream } from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { closedThatNight, givenUpIn, paidOn, closeDays } from '../../../test/support/nightly-close-history';
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';

const STORE = 'rp-store';
/** Its one payment of the due day refused before it reached the terminal (Dintero refused the session), then out of use. */
const REFUSED = 'RP-1';
/** Its one payment of the due day ended (declined, say: the claim released as finished), then out of use. */
const ENDED = 'RP-2';
/** Its one payment of the due day never released (its outcome unknown), then out of use. */
const UNKNOWN = 'RP-3';
/** As `ENDED`, in the day before (the engine down at its close time since): found as missed, after the others. */
const ENDED_MISSED = 'RP-4';

/**
 * A terminal out of use at a day's close time whose only payment of the day was refused before it reached the terminal
 * (`TerminalReleased` `rejected`: Dintero answered its session with a 4xx, as it may for a terminal it no longer has
 * `ACTIVE`, whose status the engine then reads): no money moved and nothing is in its batch, so the day is not given up
 * for it. Where that refusal, which may be what took such a terminal out of use, gave its day up as one that took
 * payments. A payment that ended otherwise (declined, cancelled, failed: a late capture may still come) or whose outcome
 * is unknown still counts.
 */
describe('the nightly close of a terminal out of use after a payment refused before it reached the terminal', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;
  const { due, day, closeAt } = closeDays();
  const iso = (instant: number) => new Date(instant).toISOString();
  const hour = 3_600_000;
  const deactivate = (terminalId: string, at: number) =>
    handleCommand(
      engine.log,
      storeStream(STORE),
      storeDecider,
      { type: 'DeactivateTerminal', data: { storeId: STORE, terminalId, at: iso(at) } },
      { metadata: { correlationId: 'test' } },
    );
  const paid = (terminalId: string, at: number, released: 'finished' | 'rejected' | 'none') =>
    paidOn(engine.log, { storeId: STORE, terminalId, claimId: `pay-${terminalId}`, at }, released);

  beforeAll(async () => {
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgoAtDintero(engine, STORE, [REFUSED, ENDED, UNKNOWN, ENDED_MISSED], 5);
    // In the log's order, as it happened.
    await closedThatNight(engine.log, { storeId: STORE, terminalId: ENDED_MISSED, businessDay: day(2) });
    await paid(ENDED_MISSED, closeAt(2) + hour, 'finished');
    await deactivate(ENDED_MISSED, closeAt(2) + 2 * hour);
    for (const terminalId of [REFUSED, ENDED, UNKNOWN])
      await closedThatNight(engine.log, { storeId: STORE, terminalId, businessDay: day(1) });
    await paid(REFUSED, closeAt(1) + hour, 'rejected');
    await paid(ENDED, closeAt(1) + hour, 'finished');
    await paid(UNKNOWN, closeAt(1) + hour, 'none');
    for (const terminalId of [REFUSED, ENDED, UNKNOWN]) await deactivate(terminalId, closeAt(1) + 2 * hour);
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  const events = async () => await engine.log.readAll({ limit: 10_000 });

  it('gives up the days of payments that ended or whose outcome is unknown, not the one of a refused payment', async () => {
    // A budget of ten give-ups a round: every day to give up is found in the first round, those out of use at the due
    // day's close time before the missed days.
    closer = await startNightlyCloser(engine, { NIGHTLY_CLOSE_MAX_PER_SECOND: '50' });
    const ofMissed = (each: { terminalId: string }) => each.terminalId === ENDED_MISSED;
    await waitUntil(async () => givenUpIn(await events()).some(ofMissed), 30_000, 'the missed day given up');
    const givenUp = givenUpIn(await events());
    expect(givenUp.map((each) => `${each.terminalId} ${each.businessDay}`).sort()).toEqual([
      `${ENDED} ${due}`,
      `${UNKNOWN} ${due}`,
      `${ENDED_MISSED} ${day(1)}`,
    ]);
    const reason = (businessDay: string, back: number) =>
      `out of use at the close time of ${businessDay}: taken out of use at ${iso(closeAt(back) + 2 * hour)} (deactivated) after payments or refunds on it since the close time before (the last at ${iso(closeAt(back) + hour)}); its batch was not closed: close it by hand, or its next close takes it should it come back into use`;
    for (const each of givenUp)
      expect(each.reason).toBe(
        `${reason(each.businessDay, each.businessDay === due ? 1 : 2)}; found late, at ${each.at}`,
      );
  }, 60_000);
});

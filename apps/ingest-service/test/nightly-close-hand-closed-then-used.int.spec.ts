import { handleCommand } from '@app/event-store';
import { storeDecider, storeStream } from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import {
  closedByHand,
  closedThatNight,
  givenUpIn,
  paidOn,
  closeDays,
} from '../../../test/support/nightly-close-history';
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';

const STORE = 'hc-store';
/** Closed by hand in the due day, then took a payment, then deactivated before the close time. */
const SOLD_AFTER = 'HC-1';
/** The same in the day before (the engine down at its close time since): found as missed. */
const SOLD_AFTER_MISSED = 'HC-2';
/** Took a payment, closed by hand, deactivated: nothing taken after its close by hand. */
const CLOSED_LAST = 'HC-3';
/** Took a payment, deactivated, then closed by hand, as a deactivated terminal's last day is. */
const DEACTIVATED_THEN_CLOSED = 'HC-4';
/** In use at the day before's close time, closed by hand before it with nothing after, deactivated after it. */
const IN_USE_CLOSED_LAST = 'HC-5';
/** As `IN_USE_CLOSED_LAST`, having taken a payment after its close by hand: no close of the day made before it left use. */
const IN_USE_SOLD_AFTER = 'HC-6';
/**
 * As `SOLD_AFTER`, its payment after the close by hand dated before that close was asked for: prepared (its request's
 * instant) before, it claimed the terminal only once the close had run (the log has its claim after the close).
 */
const PREPARED_BEFORE = 'HC-7';
/**
 * As `IN_USE_SOLD_AFTER`, its payment after the close by hand in a period in use that ended before the close time: taken
 * back into use before it, it took nothing more.
 */
const IN_USE_SOLD_BEFORE_BACK = 'HC-8';

/**
 * A terminal closed by hand in a day, then used again, and out of use at the day's close time: the close by hand closed
 * the batch up to it, and what the terminal took after it reaches no close (none is made of a terminal out of use at
 * its close time), as on a day with no close at all. The day is given up for those sales, saying so. Where a close by
 * hand left the day alone, whatever the terminal took after it. A day whose close by hand came after its last payment
 * or refund is still left alone. So too a terminal in use at the close time, closed by hand before it, used again, and
 * taken out of use after it before any close of the day was made (the engine down then): given up as missed.
 */
describe('the nightly close of a terminal closed by hand, used again, and out of use at the close time', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;
  const { due, day, closeAt } = closeDays();
  const iso = (instant: number) => new Date(instant).toISOString();
  const hour = 3_600_000;
  const metadata = { metadata: { correlationId: 'test' } };
  const deactivate = (terminalId: string, at: number) =>
    handleCommand(
      engine.log,
      storeStream(STORE),
      storeDecider,
      { type: 'DeactivateTerminal', data: { storeId: STORE, terminalId, at: iso(at) } },
      metadata,
    );
  const reactivate = (terminalId: string, at: number) =>
    handleCommand(
      engine.log,
      storeStream(STORE),
      storeDecider,
      { type: 'RegisterTerminal', data: { storeId: STORE, terminalId, at: iso(at) } },
      metadata,
    );
  const paid = (terminalId: string, at: number) =>
    paidOn(engine.log, { storeId: STORE, terminalId, claimId: `pay-${terminalId}-${at}`, at });
  const byHand = (terminalId: string, businessDay: string, at: number) =>
    closedByHand(engine.log, { storeId: STORE, terminalId, businessDay, at });

  beforeAll(async () => {
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgoAtDintero(
      engine,
      STORE,
      // In this order: the missed days are looked at terminal by terminal as registered, IN_USE_CLOSED_LAST's before
      // IN_USE_SOLD_AFTER's, and the days out of use at the due day's close time before them all.
      [
        SOLD_AFTER,
        SOLD_AFTER_MISSED,
        CLOSED_LAST,
        DEACTIVATED_THEN_CLOSED,
        IN_USE_CLOSED_LAST,
        IN_USE_SOLD_AFTER,
        PREPARED_BEFORE,
        IN_USE_SOLD_BEFORE_BACK,
      ],
      5,
    );
    // In the log's order, as it happened.
    await closedThatNight(engine.log, { storeId: STORE, terminalId: SOLD_AFTER_MISSED, businessDay: day(2) });
    await paid(SOLD_AFTER_MISSED, closeAt(2) + hour);
    await byHand(SOLD_AFTER_MISSED, day(1), closeAt(2) + 2 * hour);
    await paid(SOLD_AFTER_MISSED, closeAt(2) + 3 * hour);
    await deactivate(SOLD_AFTER_MISSED, closeAt(2) + 4 * hour);
    for (const terminalId of [IN_USE_CLOSED_LAST, IN_USE_SOLD_AFTER, IN_USE_SOLD_BEFORE_BACK]) {
      await closedThatNight(engine.log, { storeId: STORE, terminalId, businessDay: day(2) });
      await paid(terminalId, closeAt(2) + hour);
      await byHand(terminalId, day(1), closeAt(2) + 2 * hour);
    }
    await paid(IN_USE_SOLD_AFTER, closeAt(2) + 3 * hour);
    await paid(IN_USE_SOLD_BEFORE_BACK, closeAt(2) + 3 * hour);
    await deactivate(IN_USE_SOLD_BEFORE_BACK, closeAt(2) + 4 * hour);
    await reactivate(IN_USE_SOLD_BEFORE_BACK, closeAt(2) + 5 * hour);
    for (const terminalId of [SOLD_AFTER, CLOSED_LAST, DEACTIVATED_THEN_CLOSED, PREPARED_BEFORE]) {
      await closedThatNight(engine.log, { storeId: STORE, terminalId, businessDay: day(1) });
      await paid(terminalId, closeAt(1) + hour);
    }
    await byHand(SOLD_AFTER, due, closeAt(1) + 2 * hour);
    await paid(SOLD_AFTER, closeAt(1) + 3 * hour);
    await deactivate(SOLD_AFTER, closeAt(1) + 4 * hour);
    await byHand(CLOSED_LAST, due, closeAt(1) + 2 * hour);
    await byHand(PREPARED_BEFORE, due, closeAt(1) + 2 * hour);
    await paid(PREPARED_BEFORE, closeAt(1) + 2 * hour - 1_000);
    await deactivate(PREPARED_BEFORE, closeAt(1) + 4 * hour);
    await deactivate(CLOSED_LAST, closeAt(1) + 4 * hour);
    await deactivate(DEACTIVATED_THEN_CLOSED, closeAt(1) + 2 * hour);
    await byHand(DEACTIVATED_THEN_CLOSED, due, closeAt(1) + 3 * hour);
    // After the day before's close time, no close of it made (the engine down).
    for (const terminalId of [IN_USE_CLOSED_LAST, IN_USE_SOLD_AFTER, IN_USE_SOLD_BEFORE_BACK])
      await deactivate(terminalId, closeAt(1) + hour);
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  const events = async () => await engine.log.readAll({ limit: 10_000 });

  it('gives the day up for the sales after the close by hand, and leaves a day closed by hand after its last alone', async () => {
    // A budget of ten give-ups a round: every day to give up is found in the first round, those out of use at the due
    // day's close time before the missed days.
    closer = await startNightlyCloser(engine, { NIGHTLY_CLOSE_MAX_PER_SECOND: '50' });
    await waitUntil(async () => givenUpIn(await events()).length >= 5, 30_000, 'the days given up');
    const givenUp = givenUpIn(await events());
    expect(givenUp.map((each) => `${each.terminalId} ${each.businessDay}`).sort()).toEqual([
      `${SOLD_AFTER} ${due}`,
      `${SOLD_AFTER_MISSED} ${day(1)}`,
      `${IN_USE_SOLD_AFTER} ${day(1)}`,
      `${PREPARED_BEFORE} ${due}`,
      `${IN_USE_SOLD_BEFORE_BACK} ${day(1)}`,
    ]);
    const reason = (businessDay: string, back: number) =>
      `out of use at the close time of ${businessDay}: taken out of use at ${iso(closeAt(back) + 4 * hour)} (deactivated) after payments or refunds on it since its close by hand at ${iso(closeAt(back) + 2 * hour)} (the last at ${iso(closeAt(back) + 3 * hour)}); its batch was not closed: close it by hand, or its next close takes it should it come back into use`;
    const soldAfter = givenUp.find((each) => each.terminalId === SOLD_AFTER)!;
    expect(soldAfter.reason).toBe(`${reason(due, 1)}; found late, at ${soldAfter.at}`);
    // Its claim noted as just after the close was asked for: the log has it after that.
    const preparedBefore = givenUp.find((each) => each.terminalId === PREPARED_BEFORE)!;
    expect(preparedBefore.reason).toContain(
      `after payments or refunds on it since its close by hand at ${iso(closeAt(1) + 2 * hour)} (the last at ${iso(closeAt(1) + 2 * hour + 1)})`,
    );
    const missed = givenUp.find((each) => each.terminalId === SOLD_AFTER_MISSED)!;
    expect(missed.reason).toBe(`${reason(day(1), 2)}; found late, at ${missed.at}`);
    const inUse = givenUp.find((each) => each.terminalId === IN_USE_SOLD_AFTER)!;
    expect(inUse.reason).toBe(
      `missed: no close of ${day(1)} was made before the terminal was taken out of use, at ${iso(closeAt(1) + hour)}, after payments or refunds on it since its close by hand at ${iso(closeAt(2) + 2 * hour)} (the last at ${iso(closeAt(2) + 3 * hour)}); found late, at ${inUse.at}`,
    );
    const soldBeforeBack = givenUp.find((each) => each.terminalId === IN_USE_SOLD_BEFORE_BACK)!;
    expect(soldBeforeBack.reason).toBe(
      `missed: no close of ${day(1)} was made before the terminal was taken out of use, at ${iso(closeAt(1) + hour)}, after payments or refunds on it since its close by hand at ${iso(closeAt(2) + 2 * hour)} (the last at ${iso(closeAt(2) + 3 * hour)}); found late, at ${soldBeforeBack.at}`,
    );
    // No close of those days asked for: out of use at its close time, or the engine down.
    const requested = (await events()).filter(
      (event) =>
        event.type === 'OperationRequested' && (event.data as { requestedBy: string }).requestedBy !== 'operator',
    );
    expect(requested.map((event) => (event.data as { businessDay?: string }).businessDay).sort()).toEqual([
      day(2),
      day(2),
      day(2),
      day(2),
      day(1),
      day(1),
      day(1),
      day(1),
    ]);
  }, 60_000);
});

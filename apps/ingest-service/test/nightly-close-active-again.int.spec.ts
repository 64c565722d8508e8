import { handleCommand } from '@app/event-store';
import { storeDecider, storeStream, type StoreCommand } from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { closedCount, closedThatNight, givenUpIn, closeDays } from '../../../test/support/nightly-close-history';
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';

const STORE = 'aa-store';
/** Out of use at Dintero (INACTIVE there), then ACTIVE again. */
const AT_DINTERO = 'AA-1';
/** Removed from the store, then registered again. */
const REGISTERED_AGAIN = 'AA-2';
/** ACTIVE again at Dintero, and taken back into use here, after the due day's close time: no close of that day. */
const LATE_AT_DINTERO = 'AA-3';
const LATE_REACTIVATED = 'AA-4';
/** Out of use for a while after the due day's close time, before its close was made: the day is still theirs to close. */
const FLAPPED_AT_DINTERO = 'AA-5';
const FLAPPED_REACTIVATED = 'AA-6';
const FLAPPED = [FLAPPED_AT_DINTERO, FLAPPED_REACTIVATED];
/**
 * Enrolled long ago and `PENDING` at Dintero since, `ACTIVE` there (in use) first after the due day's close time: its
 * first day is the next, closed at the next close time, and the due day is none of its (`notItsDay`).
 */
const FIRST_IN_USE_LATE = 'AA-7';
const TERMINALS = [AT_DINTERO, REGISTERED_AGAIN, LATE_AT_DINTERO, LATE_REACTIVATED, ...FLAPPED, FIRST_IN_USE_LATE];
/**
 * A budget of twenty closes a round: every due close is started in the first, so that once two due closes completed,
 * any due close of the late terminals would be in the log too.
 */
const CLOSER_ENV = { NIGHTLY_CLOSE_MAX_PER_SECOND: '100' };

/**
 * Terminals out of use and back by the other ways than a deactivation here (nightly-close-reactivated.int has that
 * one): INACTIVE at Dintero then ACTIVE again, as the terminal status follower records what Dintero says; and removed
 * from the store, then registered again. The engine down all along: the days missed in the first period in use and
 * since the second are given up, those out of use between are none of theirs. And a terminal back in use only after
 * the due day's close time has that day none of its, whichever way it came back.
 */
describe('the nightly close of a terminal back in use at Dintero, or registered again', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;
  const { due, day, closeAt } = closeDays();
  // As nightly-close-reactivated.int: closed on day 8 back, missed on days 7 and 6; out of use after day 6's close
  // time, before day 5's; back in use an hour before day 3's close time, missed on days 3 to 1.
  const outAt = closeAt(6) + 3_600_000;
  const backAt = closeAt(3) - 3_600_000;
  // Out of use an hour before day 1's close time (day 2 closed), back between the due day's close time and now.
  const lateOutAt = closeAt(1) - 3_600_000;
  const lateBackAt = closeAt(0) + Math.floor((Date.now() - closeAt(0)) / 2);
  // Out of use over the middle third of the time since the due day's close time.
  const flapOutAt = closeAt(0) + Math.floor((Date.now() - closeAt(0)) / 3);
  const flapBackAt = closeAt(0) + Math.floor(((Date.now() - closeAt(0)) * 2) / 3);

  const run = (command: StoreCommand) =>
    handleCommand(engine.log, storeStream(STORE), storeDecider, command, { metadata: { correlationId: 'test' } });
  const iso = (instant: number) => new Date(instant).toISOString();
  /** Enrolled at Dintero (its device and status there), as a registration with the device does. */
  const enrolled = (terminalId: string, at: number, status: 'ACTIVE' | 'PENDING' = 'ACTIVE') =>
    run({
      type: 'RegisterTerminal',
      data: {
        storeId: STORE,
        terminalId,
        enrollment: { dinteroTerminalId: terminalId, deviceSerialNumber: `SN-${terminalId}`, status },
        at: iso(at),
      },
    });
  /** Dintero's status of the terminal, as the terminal status follower records it. */
  const statusAtDintero = (terminalId: string, status: 'ACTIVE' | 'INACTIVE', at: number) =>
    run({
      type: 'RecordTerminalStatus',
      data: { storeId: STORE, terminalId, dinteroTerminalId: terminalId, status, at: iso(at) },
    });

  beforeAll(async () => {
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgoAtDintero(engine, STORE, TERMINALS, 12);
    for (const terminalId of TERMINALS)
      await enrolled(terminalId, Date.now() - 12 * 86_400_000, terminalId === FIRST_IN_USE_LATE ? 'PENDING' : 'ACTIVE');
    for (const terminalId of [AT_DINTERO, REGISTERED_AGAIN])
      await closedThatNight(engine.log, { storeId: STORE, terminalId, businessDay: day(8) });

    // In the log's order, as it happened: a period in use is taken to be recorded after the closes before it in the log.
    await statusAtDintero(AT_DINTERO, 'INACTIVE', outAt);
    await statusAtDintero(AT_DINTERO, 'ACTIVE', backAt);
    await run({
      type: 'RemoveTerminal',
      data: { storeId: STORE, terminalId: REGISTERED_AGAIN, movedToStoreId: 'aa-elsewhere', at: iso(outAt) },
    });
    await enrolled(REGISTERED_AGAIN, backAt);
    for (const terminalId of [LATE_AT_DINTERO, LATE_REACTIVATED])
      await closedThatNight(engine.log, { storeId: STORE, terminalId, businessDay: day(2) });
    for (const terminalId of FLAPPED)
      await closedThatNight(engine.log, { storeId: STORE, terminalId, businessDay: day(1) });
    await statusAtDintero(LATE_AT_DINTERO, 'INACTIVE', lateOutAt);
    await statusAtDintero(LATE_AT_DINTERO, 'ACTIVE', lateBackAt);
    await run({
      type: 'DeactivateTerminal',
      data: { storeId: STORE, terminalId: LATE_REACTIVATED, at: iso(lateOutAt) },
    });
    await run({
      type: 'RegisterTerminal',
      data: { storeId: STORE, terminalId: LATE_REACTIVATED, at: iso(lateBackAt) },
    });
    await statusAtDintero(FIRST_IN_USE_LATE, 'ACTIVE', lateBackAt);
    await statusAtDintero(FLAPPED_AT_DINTERO, 'INACTIVE', flapOutAt);
    await statusAtDintero(FLAPPED_AT_DINTERO, 'ACTIVE', flapBackAt);
    await run({
      type: 'DeactivateTerminal',
      data: { storeId: STORE, terminalId: FLAPPED_REACTIVATED, at: iso(flapOutAt) },
    });
    await run({
      type: 'RegisterTerminal',
      data: { storeId: STORE, terminalId: FLAPPED_REACTIVATED, at: iso(flapBackAt) },
    });
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  const events = async () => await engine.log.readAll({ limit: 10_000 });

  it('gives up the days missed in either period in use, not those out of use, and closes the due day', async () => {
    const all = await events();
    expect(all.filter((event) => event.type === 'TerminalStatusChanged')).toHaveLength(7);
    expect(all.some((event) => event.type === 'TerminalRemoved')).toBe(true);
    closer ??= await startNightlyCloser(engine, CLOSER_ENV);
    // A terminal's missed days are given up oldest first: once the day before the due one is, every earlier one was.
    for (const terminalId of [AT_DINTERO, REGISTERED_AGAIN])
      await waitUntil(
        async () =>
          givenUpIn(await events()).some((each) => each.terminalId === terminalId && each.businessDay === day(1)),
        30_000,
        `${terminalId}'s day before the due one given up`,
      );
    await waitUntil(async () => closedCount(await events(), due) >= 2, 30_000, 'the due day closed');
    const givenUp = givenUpIn(await events());
    for (const terminalId of [AT_DINTERO, REGISTERED_AGAIN]) {
      const its = givenUp.filter((each) => each.terminalId === terminalId);
      expect(its.map((each) => each.businessDay).sort()).toEqual([day(7), day(6), day(3), day(2), day(1)].sort());
      // Out of use while day 6 was still its close: given up, saying so.
      const sixth = its.find((each) => each.businessDay === day(6))!;
      expect(sixth.reason).toBe(
        `missed: no close of ${day(6)} was made before the terminal was taken out of use, at ${iso(outAt)}; found late, at ${sixth.at}`,
      );
      for (const back of [7, 3, 2, 1])
        expect(its.find((each) => each.businessDay === day(back))!.reason).toMatch(
          new RegExp(`^missed: no close of ${day(back)} was made before the close of ${day(back - 1)} fell due`),
        );
    }
    // Out of use at the close times of days 5 and 4: no close of theirs made.
    const requested = (await events()).filter(
      (event) =>
        event.type === 'OperationRequested' &&
        [day(5), day(4)].includes((event.data as { businessDay?: string }).businessDay ?? ''),
    );
    expect(requested).toHaveLength(0);
  }, 60_000);

  it('makes no close of the due day of a terminal back in use only after its close time, whichever way', async () => {
    closer ??= await startNightlyCloser(engine, CLOSER_ENV);
    // Once the due day is closed on the terminals it is theirs, the first round, which started every due close
    // (`CLOSER_ENV`), is over.
    await waitUntil(async () => closedCount(await events(), due) >= 2, 30_000, 'the due day closed');
    const all = await events();
    const requestedBy = (terminalId: string) =>
      all.filter(
        (event) =>
          event.type === 'OperationRequested' && (event.data as { terminalId?: string }).terminalId === terminalId,
      );
    // Out of use at day 1's close time and at the due day's: neither is theirs, neither closed nor given up.
    for (const terminalId of [LATE_AT_DINTERO, LATE_REACTIVATED]) {
      expect(requestedBy(terminalId).map((event) => (event.data as { businessDay?: string }).businessDay)).toEqual([
        day(2),
      ]);
      expect(givenUpIn(all).filter((each) => each.terminalId === terminalId)).toEqual([]);
    }
    // Never in use before the due day's close time: no day of its yet, closed or given up (nor any missed before).
    expect(requestedBy(FIRST_IN_USE_LATE)).toEqual([]);
    expect(givenUpIn(all).filter((each) => each.terminalId === FIRST_IN_USE_LATE)).toEqual([]);
  }, 60_000);

  it('closes the due day of a terminal out of use for a while after its close time, before its close was made', async () => {
    closer ??= await startNightlyCloser(engine, CLOSER_ENV);
    const closedBy = async (terminalId: string) =>
      (await events()).some(
        (event) =>
          event.type === 'OperationCompleted' &&
          (event.metadata as { terminalId?: string; businessDay?: string }).terminalId === terminalId &&
          (event.metadata as { businessDay?: string }).businessDay === due,
      );
    for (const terminalId of FLAPPED)
      await waitUntil(async () => await closedBy(terminalId), 30_000, `${terminalId}'s due day closed`);
    expect(givenUpIn(await events()).filter((each) => FLAPPED.includes(each.terminalId))).toEqual([]);
  }, 60_000);
});

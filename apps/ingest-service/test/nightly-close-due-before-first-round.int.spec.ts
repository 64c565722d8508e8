import { handleCommand } from '@app/event-store';
import {
  addDays,
  localTime,
  storeDecider,
  storeStream,
  terminalDecider,
  terminalStream,
  type NightlyCloseSwitchedData,
  type OperationRequestedData,
} from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { closedThatNight, givenUpIn, setCloseTime } from '../../../test/support/nightly-close-history';
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';
import { CloseStartFailures } from '../src/fleet/close-start-failures';
import { closeOperationId, closeTime, dueClose } from '../src/fleet/close-schedule';
import { KEEP_DAYS_MS } from '../src/fleet/nightly-close-index';

const STORE = 'fr-store';
const ZONE = 'Europe/Oslo';
/** Its close of the day before failed at the terminal, waiting for its next attempt: superseded at the close time. */
const WAITING = 'FR-1';
/** Took a payment in the day and was deactivated before its close time: the day given up at the close time. */
const OUT = 'FR-2';
/**
 * Its close of the day before found it busy, on an instance stopped since: only NATS kept that, and the day is given up
 * when its next day's close falls due, as held up by a busy terminal.
 */
const BUSY = 'FR-3';

/**
 * An engine started shortly before a store's close time, whose first round comes only after it (the first waits
 * `NIGHTLY_CLOSE_CHECK_MS`, and for the log to be read): the engine ran when the day fell due, and what it gives up
 * then is given up as at that time, not found late. Where a day that fell due between the start and the first round
 * was given up saying `found late`, as if the engine had been down.
 */
describe('the nightly close of a day due between the engine’s start and its first round', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;
  const iso = (instant: number) => new Date(instant).toISOString();
  const metadata = { metadata: { correlationId: 'test' } };

  beforeAll(async () => {
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgoAtDintero(engine, STORE, [WAITING, OUT, BUSY]);
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  const events = async () => await engine.log.readAll({ limit: 10_000 });

  it('closes the day and gives up what it gives up at the close time, none of it found late', async () => {
    // The store's close time: the next whole minute at least five seconds away (a close time is hh:mm).
    const closeAt = Math.ceil((Date.now() + 5_000) / 60_000) * 60_000;
    const endOfDayTime = localTime(iso(closeAt), ZONE);
    const due = dueClose(ZONE, endOfDayTime, closeAt).businessDay;
    expect(closeTime(due, endOfDayTime, ZONE)).toBe(closeAt);
    const before = addDays(due, -1);
    const usedAt = closeAt - 7_200_000;
    const outAt = closeAt - 3_600_000;

    await setCloseTime(engine.log, { storeId: STORE, timeZone: ZONE }, endOfDayTime);
    // The day before: WAITING's close failed and waits for its next attempt; OUT's closed, then it took a payment and
    // was deactivated before the due day's close time.
    const history = { storeId: STORE, businessDay: before, timeZone: ZONE, endOfDayTime };
    await closedThatNight(engine.log, { ...history, terminalId: WAITING }, 'failed');
    await closedThatNight(engine.log, { ...history, terminalId: OUT });
    await closedThatNight(engine.log, { ...history, terminalId: BUSY, businessDay: addDays(before, -1) });
    const notes = await CloseStartFailures.open(engine.nats, engine.prefix, KEEP_DAYS_MS, undefined);
    await notes.noteBusy(closeOperationId(STORE, BUSY, before, 1));
    const claimId = `pay-${OUT}`;
    const claim = { claimId, kind: 'payment' as const, paymentId: claimId, storeId: STORE, terminalId: OUT };
    await handleCommand(
      engine.log,
      terminalStream(OUT),
      terminalDecider,
      { type: 'ClaimTerminal', data: { ...claim, claimedAt: iso(usedAt), expiresAt: iso(usedAt + 300_000) } },
      metadata,
    );
    await handleCommand(
      engine.log,
      terminalStream(OUT),
      terminalDecider,
      { type: 'ReleaseTerminal', data: { terminalId: OUT, claimId, reason: 'finished', at: iso(usedAt + 60_000) } },
      metadata,
    );
    await handleCommand(
      engine.log,
      storeStream(STORE),
      storeDecider,
      { type: 'DeactivateTerminal', data: { storeId: STORE, terminalId: OUT, at: iso(outAt) } },
      metadata,
    );

    // Started before the close time, its first round two seconds after it.
    closer = await startNightlyCloser(engine, { NIGHTLY_CLOSE_CHECK_MS: String(closeAt + 2_000 - Date.now()) });
    const started = (await events())
      .filter((event) => event.type === 'NightlyCloseSwitched')
      .map((event) => event.data as NightlyCloseSwitchedData)
      .at(-1);
    expect(started?.enabled).toBe(true);
    expect(Date.parse(started!.at)).toBeLessThan(closeAt);

    await waitUntil(async () => givenUpIn(await events()).length >= 3, 90_000, 'the three days given up');
    const all = await events();
    const givenUp = givenUpIn(all);
    expect(givenUp.map((each) => `${each.terminalId} ${each.businessDay}`).sort()).toEqual([
      `${WAITING} ${before}`,
      `${OUT} ${due}`,
      `${BUSY} ${before}`,
    ]);
    // Found in the first round, after the close time.
    for (const each of givenUp) expect(Date.parse(each.at)).toBeGreaterThan(closeAt);
    const reasons = Object.fromEntries(givenUp.map((each) => [each.terminalId, each.reason]));
    expect(reasons).toEqual({
      [WAITING]: `the close of ${due} fell due before it could be tried again (the terminal reported a failure)`,
      [OUT]: `out of use at the close time of ${due}: taken out of use at ${iso(outAt)} (deactivated) after payments or refunds on it since the close time before (the last at ${iso(usedAt)}); its batch was not closed: close it by hand, or its next close takes it should it come back into use`,
      [BUSY]: `the close of ${due} fell due before it could be tried again (the terminal was busy)`,
    });
    // And the day due is closed on the terminals in use.
    const requested = all
      .filter((event) => event.type === 'OperationRequested')
      .map((event) => event.data as OperationRequestedData)
      .filter((data) => data.businessDay === due)
      .map((data) => data.terminalId);
    expect(requested.sort()).toEqual([WAITING, BUSY].sort());
  }, 120_000);
});

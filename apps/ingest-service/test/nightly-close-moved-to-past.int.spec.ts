import { handleCommand } from '@app/event-store';
import {
  addDays,
  storeDecider,
  storeStream,
  type NightlyCloseSwitchedData,
  type OperationRequestedData,
} from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { closedThatNight, givenUpIn, paidOn, setCloseTime, twoDays } from '../../../test/support/nightly-close-history';
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';
import { closeTime } from '../src/fleet/close-schedule';

const STORE = 'mp-store';
/** In use: its next day's close is made once the close time moves. */
const IN_USE = 'MP-1';
/** Took a payment in the next day and was deactivated before that day's close time, on the close time moved to. */
const OUT = 'MP-2';

/**
 * A store's close time moved, while the nightly close runs, to one today's close time is already past by: today's close
 * falls due then, as the change is recorded, not at that close time. What is given up then (a day out of use at its close
 * time, here) is given up as at that time, not found late: an instance was running when it fell due. Where it said
 * `found late` when the close time moved to was before the instance started, as if the engine had been down.
 */
describe('the nightly close of a store whose close time moved to one past', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;
  const plan = twoDays(Date.now());
  const next = addDays(plan.day, 1);
  const iso = (instant: number) => new Date(instant).toISOString();
  // The next day's trading on the close time moved to: after the day's close on the first (made), and before the
  // next day's close time on the second (past already).
  const from = Math.max(
    closeTime(plan.day, plan.first, plan.timeZone) + 120_000,
    closeTime(plan.day, plan.second, plan.timeZone),
  );
  const until = closeTime(next, plan.second, plan.timeZone);
  const usedAt = from + Math.floor((until - from) / 3);
  const outAt = from + Math.floor((2 * (until - from)) / 3);
  const events = async () => await engine.log.readAll({ limit: 10_000 });

  beforeAll(async () => {
    expect(outAt - usedAt).toBeGreaterThan(1_000);
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgoAtDintero(engine, STORE, [IN_USE, OUT]);
    await setCloseTime(engine.log, { storeId: STORE, timeZone: plan.timeZone }, plan.first);
    for (const terminalId of [IN_USE, OUT])
      await closedThatNight(engine.log, {
        storeId: STORE,
        terminalId,
        businessDay: plan.day,
        timeZone: plan.timeZone,
        endOfDayTime: plan.first,
      });
    await paidOn(engine.log, { storeId: STORE, terminalId: OUT, claimId: `pay-${OUT}`, at: usedAt });
    await handleCommand(
      engine.log,
      storeStream(STORE),
      storeDecider,
      { type: 'DeactivateTerminal', data: { storeId: STORE, terminalId: OUT, at: iso(outAt) } },
      { metadata: { correlationId: 'test' } },
    );
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  it('closes the day due at once and gives up the day out of use, not found late', async () => {
    closer = await startNightlyCloser(engine);
    const started = (await events())
      .filter((event) => event.type === 'NightlyCloseSwitched')
      .map((event) => event.data as NightlyCloseSwitchedData)
      .at(-1);
    expect(started?.enabled).toBe(true);
    // The close time moved to came before the instance started: the day falls due only as the move is recorded.
    expect(until).toBeLessThan(Date.parse(started!.at));
    await setCloseTime(engine.log, { storeId: STORE, timeZone: plan.timeZone }, plan.second);

    await waitUntil(
      async () =>
        givenUpIn(await events()).length >= 1 &&
        (await events()).some(
          (event) => event.type === 'OperationRequested' && (event.data as OperationRequestedData).businessDay === next,
        ),
      30_000,
      'the day given up and the next day’s close requested',
    );
    const givenUp = givenUpIn(await events());
    expect(givenUp.map((each) => `${each.terminalId} ${each.businessDay}`)).toEqual([`${OUT} ${next}`]);
    expect(givenUp[0]!.reason).toBe(
      `out of use at the close time of ${next}: taken out of use at ${iso(outAt)} (deactivated) after payments or refunds on it since the close time before (the last at ${iso(usedAt)}); its batch was not closed: close it by hand, or its next close takes it should it come back into use`,
    );
    const requested = (await events())
      .filter((event) => event.type === 'OperationRequested')
      .map((event) => event.data as OperationRequestedData)
      .filter((data) => data.businessDay === next);
    expect(requested.map((data) => data.terminalId)).toEqual([IN_USE]);
  }, 60_000);
});

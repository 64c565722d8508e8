import { addDays, type CloseGivenUpData as GivenUp } from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { registerLongAgo } from '../../../test/support/registered-long-ago';
import { setCloseTime, twoDays, givenUpIn } from '../../../test/support/nightly-close-history';
import { closeOperationId } from '../src/fleet/close-schedule';

/** NS-1's close fails and waits for its next attempt; NS-2's fails too, and is still pending when its next day falls due. */
const WAITING = { store: 'ns-waiting', terminal: 'NS-1' };
const RUNNING = { store: 'ns-running', terminal: 'NS-2' };

/**
 * A close of a day that has not closed when the terminal's next day's close falls due is not dropped: only the latest
 * day's close is ever tried, so the earlier is given up (`CloseGivenUp`), for its store day's `notClosed` to say that
 * its batch was not closed. One still under way at Dintero is left to end (it may complete), and is given up only once
 * it ended without closing. Where such closes were forgotten, and nothing said that their day was never closed.
 */
describe('the nightly close superseded by the next day’s', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;
  const plan = twoDays(Date.now());

  const closeStoreAt = (storeId: string, endOfDayTime: string) =>
    setCloseTime(engine.log, { storeId, timeZone: plan.timeZone }, endOfDayTime);

  beforeAll(async () => {
    // Each close takes the terminal three seconds: long enough to move a store's close time while one pends.
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '3000' } });
    for (const { store, terminal } of [WAITING, RUNNING]) {
      await registerLongAgo(engine.log, store, [terminal]);
      await closeStoreAt(store, plan.first);
    }
    await engine.sim.control('POST', '/seed', {
      payoutDestinations: ['seller-1'],
      stores: [WAITING, RUNNING].map(({ store }) => ({ id: store, payout_destination_id: 'seller-1' })),
      terminals: [WAITING, RUNNING].map(({ store, terminal }) => ({ terminal_id: terminal, store_id: store })),
    });
    for (const { terminal } of [WAITING, RUNNING])
      await engine.sim.control('PUT', `/terminals/${terminal}/operation-outcomes`, { outcomes: ['FAILED'] });
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  const events = async () => await engine.log.readAll({ limit: 10_000 });
  const givenUp = async () => givenUpIn(await events());
  const operationEvents = async (type: string, operationId: string) =>
    (await events()).filter((event) => event.type === type && event.streamName === `operation-${operationId}`);
  const attempt = (close: { store: string; terminal: string }, day: string, n: number) =>
    closeOperationId(close.store, close.terminal, day, n);

  it('gives up the earlier day’s close waiting for its next attempt, and one pending once it ended without closing', async () => {
    // Attempts enough, and a long pause between them: the earlier day's close waits for its second attempt.
    closer = await startNightlyCloser(engine, { NIGHTLY_CLOSE_RETRY_SECONDS: '600', NIGHTLY_CLOSE_MAX_ATTEMPTS: '5' });
    const { day } = plan;
    const next = addDays(day, 1);

    // NS-2's close is at Dintero, its outcome not known yet, when its store's next day falls due.
    await waitUntil(
      async () => (await operationEvents('OperationDispatched', attempt(RUNNING, day, 1))).length > 0,
      20_000,
      "NS-2's close pending at Dintero",
    );
    await closeStoreAt(RUNNING.store, plan.second);
    // NS-1's first attempt failed, and the close waits for its next one, when its store's next day falls due.
    await waitUntil(
      async () => (await operationEvents('OperationEnded', attempt(WAITING, day, 1))).length > 0,
      20_000,
      "NS-1's first attempt failed",
    );
    await closeStoreAt(WAITING.store, plan.second);

    await waitUntil(async () => (await givenUp()).length >= 2, 30_000, 'both earlier closes given up');
    const byTerminal = Object.fromEntries((await givenUp()).map((each) => [each.terminalId, each]));
    expect(byTerminal['NS-1']).toMatchObject({ storeId: WAITING.store, businessDay: day, attempts: 1 });
    expect(byTerminal['NS-1']!.reason).toBe(
      `the close of ${next} fell due before it could be tried again (the terminal reported a failure)`,
    );
    expect(byTerminal['NS-2']).toMatchObject({ storeId: RUNNING.store, businessDay: day, attempts: 1 });
    // Given up only once the pending attempt had ended: its end is before the give-up in the log.
    const all = await events();
    const ended = all.find(
      (event) => event.type === 'OperationEnded' && event.streamName === `operation-${attempt(RUNNING, day, 1)}`,
    );
    const gaveUp = all.find((event) => event.type === 'CloseGivenUp' && (event.data as GivenUp).terminalId === 'NS-2');
    expect(ended).toBeDefined();
    expect(ended!.position < gaveUp!.position).toBe(true);

    // No second attempt of the earlier day, and the next day's close of each terminal is made.
    for (const each of [WAITING, RUNNING]) {
      expect(await operationEvents('OperationRequested', attempt(each, day, 2))).toHaveLength(0);
      await waitUntil(
        async () => (await operationEvents('OperationRequested', attempt(each, next, 1))).length > 0,
        30_000,
        `the close of ${next} of ${each.terminal} made`,
      );
    }
    expect((await givenUp()).map((each) => each.terminalId).sort()).toEqual(['NS-1', 'NS-2']);

    // Both give-ups counted, and on the gauge, as given up on an earlier day than the one due now: the counter said
    // given up where the gauge knew only of the due day's closes.
    const metrics = async () => await (await fetch(`${closer!.url}/metrics`)).text();
    const value = (text: string, line: RegExp) => Number(line.exec(text)?.[1] ?? -1);
    await waitUntil(
      async () =>
        value(await metrics(), /^payments_nightly_close_terminals\{[^}]*state="given_up_earlier"[^}]*\} (\d+)$/m) === 2,
      20_000,
      'both give-ups on the gauge',
    );
    const text = await metrics();
    expect(value(text, /^payments_nightly_closes_total\{[^}]*result="given_up"[^}]*\} (\d+)$/m)).toBe(2);
    expect(value(text, /^payments_nightly_close_terminals\{[^}]*state="failed"[^}]*\} (\d+)$/m)).toBe(0);
  }, 90_000);
});

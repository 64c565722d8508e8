import { addDays } from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import {
  closedCount,
  closedThatNight,
  givenUpIn,
  switchedNightlyClose,
} from '../../../test/support/nightly-close-history';
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';
import { closeTime, dueClose } from '../src/fleet/close-schedule';

const STORE = 'nx-store';
const HOUR = 3_600_000;

/**
 * Ingest instances with different NIGHTLY_CLOSE_ENABLED: each records its own setting as it starts, so the switch flips
 * at every start, and an instance started off cannot know that another runs the close. A day whose close time fell
 * after such an "off" while the log shows the nightly close at work that night (another terminal's close requested) was
 * due all the same: a terminal's close with no trace that night is given up as missed. A night the switch had off and
 * no close was made at all stays off (the fleet switched off, or its instances running the close all down: the log
 * cannot tell). Where every day whose close time fell after an off instance's start was taken for one the nightly
 * close was off, though closes ran, and none was given up.
 */
describe('the nightly close on a fleet whose instances have it on and off', () => {
  let engine: Engine;
  const instances: RunningIngestService[] = [];
  const due = dueClose('Europe/Oslo', '23:30', Date.now()).businessDay;
  const back = (days: number) => addDays(due, -days);
  const closeOf = (day: string) => closeTime(day, '23:30', 'Europe/Oslo');

  beforeAll(async () => {
    // The engine's own ingest runs no reconciler, and so records no switch: the instances below and the history do.
    engine = await startEngine({ ingest: { RECONCILER_ENABLED: 'false' }, sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgoAtDintero(engine, STORE, ['NX-1', 'NX-2'], 9);
    // The fleet's history, as its instances left it: one with the nightly close on started eight days ago, both
    // terminals closed five days back.
    await switchedNightlyClose(engine.log, true, Date.now() - 8 * 86_400_000);
    for (const terminalId of ['NX-1', 'NX-2'])
      await closedThatNight(engine.log, { storeId: STORE, terminalId, businessDay: back(5) });
    // An instance with it off started before the close four days back, and no close was made that night.
    await switchedNightlyClose(engine.log, false, closeOf(back(4)) - HOUR);
    // Then the one with it on restarted, and the one with it off after it, before the close three days back: the switch
    // off since, while the one with it on closed NX-1 every night. NX-2's closes of those nights left no trace.
    await switchedNightlyClose(engine.log, true, closeOf(back(3)) - 2 * HOUR);
    await switchedNightlyClose(engine.log, false, closeOf(back(3)) - HOUR);
    for (const days of [3, 2, 1])
      await closedThatNight(engine.log, { storeId: STORE, terminalId: 'NX-1', businessDay: back(days) });
  }, 60_000);
  afterAll(async () => {
    for (const instance of instances) await instance.close();
    await engine.close();
  });

  const events = async () => await engine.log.readAll({ limit: 10_000 });
  const givenUp = async () => givenUpIn(await events());
  const switches = async () =>
    (await events())
      .filter((event) => event.type === 'NightlyCloseSwitched')
      .map((event) => (event.data as { enabled: boolean }).enabled);
  const off = (env: Record<string, string> = {}) =>
    startNightlyCloser(engine, { ...env, NIGHTLY_CLOSE_ENABLED: 'false' });

  it('gives up the nights the close ran but for a terminal, not the one it ran on none, started in turn', async () => {
    // Started in turn: one with it off (the switch says off already: nothing recorded), one with it on (recorded on),
    // then one with it off again (recorded off), as a rolling restart of a mixed fleet does.
    instances.push(await off());
    instances.push(await startNightlyCloser(engine));
    await waitUntil(async () => (await givenUp()).length >= 3, 30_000, 'the nights NX-2 missed given up');
    instances.push(await off());
    expect(await switches()).toEqual([true, false, true, false, true, false]);
    await waitUntil(async () => closedCount(await events(), due) === 2, 30_000, 'the due day closed on both terminals');
    // The rounds since looked at every day again, the switch off: still the three give-ups, NX-2's, of the nights the
    // close ran; none of the night no close was made.
    const all = await givenUp();
    expect(all.map(({ terminalId, businessDay }) => `${terminalId} ${businessDay}`)).toEqual(
      [3, 2, 1].map((days) => `NX-2 ${back(days)}`),
    );
    for (const each of all) expect(each.reason).toMatch(/^missed: no close of .* found late, at /);
  }, 90_000);
});

import { addDays } from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { closedCount, closedThatNight, givenUpIn } from '../../../test/support/nightly-close-history';
import { bucketContents } from '../../../test/support/projections';
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';
import { dueClose } from '../src/fleet/close-schedule';

const STORE = 'nm-store';
const LATER = 'nm-later';

/**
 * A terminal day that left no trace before its next day's close fell due (the engine down all that night: no close of
 * it was even tried) is given up when the engine finds it, dated then and saying it was found late, once however many
 * instances find it and however often they restart. Where such a day was never given up, and finance saw nothing of
 * it. A day before the log shows the nightly close at work is none of its (the first deploy of the nightly close, or a
 * log from before it).
 */
describe('the nightly close of a day the engine missed', () => {
  let engine: Engine;
  const closers: RunningIngestService[] = [];
  const due = dueClose('Europe/Oslo', '23:30', Date.now()).businessDay;
  const missed = addDays(due, -1);
  const before = addDays(due, -2);

  beforeAll(async () => {
    engine = await startEngine({ projections: true, sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgoAtDintero(engine, STORE, ['NM-1', 'NM-2', 'NM-4']);
    // The nightly close at work two days ago (NM-1 closed then); then no trace of the day after: the engine was down.
    await closedThatNight(engine.log, { storeId: STORE, terminalId: 'NM-1', businessDay: before });
    // But for NM-4's close that day, which failed, and waited for its next attempt when the engine went down (or when
    // the version before this one, which gave no such close up after a restart, was replaced by this one).
    await closedThatNight(engine.log, { storeId: STORE, terminalId: 'NM-4', businessDay: missed }, 'failed');
  }, 60_000);
  afterAll(async () => {
    for (const closer of closers) await closer.close();
    await engine.close();
  });

  const events = async () => await engine.log.readAll({ limit: 10_000 });
  const givenUp = async () => givenUpIn(await events());
  const metric = async (closer: RunningIngestService, name: string, label: string) => {
    const text = await (await fetch(`${closer.url}/metrics`)).text();
    const line = new RegExp(`^${name}\\{[^}]*${label}[^}]*\\} (\\d+)$`, 'm').exec(text);
    return Number(line?.[1] ?? 0);
  };

  it('gives the missed day up once with two instances, found late, and lists it on the store day', async () => {
    const startedAt = Date.now();
    closers.push(await startNightlyCloser(engine), await startNightlyCloser(engine));

    await waitUntil(async () => (await givenUp()).length >= 3, 30_000, 'the missed days given up');
    // The due day's closes run as ever, after which a second give-up of either would have been made.
    await waitUntil(async () => closedCount(await events(), due) === 3, 30_000, 'the due day closed');
    const all = await givenUp();
    expect(all.map((each) => `${each.terminalId} ${each.businessDay}`).sort()).toEqual([
      `NM-1 ${missed}`,
      `NM-2 ${missed}`,
      `NM-4 ${missed}`,
    ]);
    // NM-4's, superseded as its next attempt waited, is found late too, dated when found.
    const failed = all.find((each) => each.terminalId === 'NM-4')!;
    expect(Date.parse(failed.at)).toBeGreaterThanOrEqual(startedAt);
    expect(failed.reason).toBe(
      `the close of ${due} fell due before it could be tried again (the terminal reported a failure); found late, at ${failed.at}`,
    );
    for (const each of all.filter((one) => one !== failed)) {
      expect(each).toMatchObject({ storeId: STORE, attempts: 1 });
      // Dated when found, and saying so: the day it concerns is two days back.
      expect(Date.parse(each.at)).toBeGreaterThanOrEqual(startedAt);
      expect(each.reason).toBe(
        `missed: no close of ${missed} was made before the close of ${due} fell due (the nightly close was not running then); found late, at ${each.at}`,
      );
    }
    // Counted: once between the two instances.
    let counted = 0;
    for (const closer of closers) counted += await metric(closer, 'payments_nightly_closes_total', 'result="given_up"');
    expect(counted).toBe(3);

    // Finance sees it: the store day lists both terminals as not closed.
    await waitUntil(
      async () => {
        const doc = (await bucketContents(engine.prefix, 'storeDays'))[`${STORE}.${missed}`] as
          { notClosed?: Record<string, unknown> } | undefined;
        return Object.keys(doc?.notClosed ?? {}).length === 3;
      },
      20_000,
      'the missed day listed as not closed',
    );
  }, 90_000);

  it('does not give it up again after a restart', async () => {
    for (const closer of closers.splice(0)) await closer.close();
    // Another store's terminal missed the same day: the restarted instance gives it up, after the first store's
    // terminals (earlier in its round), which it would have given up again by then.
    await registerLongAgoAtDintero(engine, LATER, ['NM-3']);
    closers.push(await startNightlyCloser(engine));
    await waitUntil(
      async () => (await givenUp()).some((each) => each.terminalId === 'NM-3'),
      30_000,
      'the later store’s missed day given up',
    );
    expect((await givenUp()).map((each) => `${each.terminalId} ${each.businessDay}`).sort()).toEqual([
      `NM-1 ${missed}`,
      `NM-2 ${missed}`,
      `NM-3 ${missed}`,
      `NM-4 ${missed}`,
    ]);
    expect(await metric(closers[0]!, 'payments_nightly_closes_total', 'result="given_up"')).toBe(1);
  }, 90_000);
});

import Database from 'better-sqlite3';
import { handleCommand } from '@app/event-store';
import {
  storeDecider,
  storeStream,
  terminalDecider,
  terminalStream,
  type CloseGivenUpData as GivenUp,
} from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { bucketContents } from '../../../test/support/projections';
import { registerLongAgo, registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';
import { dueClose } from '../src/fleet/close-schedule';
import { givenUpIn } from '../../../test/support/nightly-close-history';

const STORE = 'ng-store';
/** NG-1 fails its close at the terminal; NG-2 is unknown at Dintero; NG-3 is another store's terminal in the log. */
const TERMINALS = ['NG-1', 'NG-2', 'NG-3'];

/**
 * A nightly close given up shows on its store day, from a `CloseGivenUp` in the log recorded once however many
 * instances run and restart: after its last attempt failed, and at once when another attempt would be refused
 * too (Dintero refused it, or the domain did), where such a close used to be tried again all night.
 */
describe('the nightly close given up', () => {
  let engine: Engine;
  let closers: RunningIngestService[] = [];
  const day = () => dueClose('Europe/Oslo', '23:30', Date.now()).businessDay;

  beforeAll(async () => {
    engine = await startEngine({ projections: true, sim: { SIM_OPERATION_DELAY_MS: '100' } });
    // NG-3 belongs to another store (its terminal stream says so), though this store's registry lists it.
    await handleCommand(
      engine.log,
      terminalStream('NG-3'),
      terminalDecider,
      { type: 'AssignTerminal', data: { terminalId: 'NG-3', storeId: 'ng-other', at: new Date(0).toISOString() } },
      { metadata: { correlationId: 'test' } },
    );
    await registerLongAgo(engine.log, STORE, ['NG-1', 'NG-2']);
    await handleCommand(
      engine.log,
      storeStream(STORE),
      storeDecider,
      {
        type: 'RegisterTerminal',
        data: { storeId: STORE, terminalId: 'NG-3', at: new Date(Date.now() - 3 * 86_400_000).toISOString() },
      },
      { metadata: { correlationId: 'test' } },
    );
    await engine.sim.control('POST', '/seed', {
      payoutDestinations: ['seller-1'],
      stores: [{ id: STORE, payout_destination_id: 'seller-1' }],
      // NG-2 is not enrolled at Dintero: its end of day is refused there (404).
      terminals: ['NG-1', 'NG-3'].map((terminal_id) => ({ terminal_id, store_id: STORE })),
    });
    await engine.sim.control('PUT', '/terminals/NG-1/operation-outcomes', { outcomes: ['FAILED'] });
  }, 60_000);
  afterAll(async () => {
    for (const closer of closers) await closer.close();
    await engine.close();
  });

  const events = async () => await engine.log.readAll({ limit: 10_000 });
  const givenUp = async () => givenUpIn(await events());
  const requested = async (terminalId: string) =>
    (await events()).filter(
      (event) =>
        event.type === 'OperationRequested' && (event.data as { terminalId: string }).terminalId === terminalId,
    ).length;
  const failedGauge = async (closer: RunningIngestService) => {
    const text = await (await fetch(`${closer.url}/metrics`)).text();
    return Number(/^payments_nightly_close_terminals\{[^}]*state="failed"[^}]*\} (\d+)$/m.exec(text)?.[1] ?? -1);
  };
  const storeDay = async () =>
    (await bucketContents(engine.prefix, 'storeDays'))[`${STORE}.${day()}`] as
      { notClosed?: Record<string, Record<string, unknown>> } | undefined;

  it('gives up at once what Dintero or the domain refuses, once with two instances, and lists it on the store day', async () => {
    // Attempts enough for the night and a long pause between them: only a refusal gives a close up this soon.
    // Short leases: an instance stopped holds an item no longer than that.
    const env = { NIGHTLY_CLOSE_RETRY_SECONDS: '600', NIGHTLY_CLOSE_MAX_ATTEMPTS: '5', RECONCILER_LEASE_SECONDS: '1' };
    closers = [await startNightlyCloser(engine, env), await startNightlyCloser(engine, env)];
    await waitUntil(async () => (await givenUp()).length >= 2, 20_000, 'the refused closes given up');
    const byTerminal = Object.fromEntries((await givenUp()).map((each) => [each.terminalId, each]));
    expect(byTerminal['NG-2']).toMatchObject({ storeId: STORE, businessDay: day(), attempts: 1 });
    expect(byTerminal['NG-2']!.reason).toMatch(/^Dintero refused it/);
    expect(byTerminal['NG-3']).toMatchObject({ storeId: STORE, businessDay: day(), attempts: 1 });
    expect(byTerminal['NG-3']!.reason).toMatch(/TERMINAL_OF_OTHER_STORE/);
    // No second attempt of either, and no request at all of the one the domain refused.
    expect(await requested('NG-2')).toBe(1);
    expect(await requested('NG-3')).toBe(0);
    // NG-1's first attempt failed: it waits for its next one, and is no refusal.
    const ended = async () =>
      (await events()).some((event) => event.type === 'OperationEnded' && event.metadata.terminalId === 'NG-1');
    await waitUntil(ended, 20_000, "NG-1's first attempt failed");
    expect(await requested('NG-1')).toBe(1);
    expect(byTerminal['NG-1']).toBeUndefined();

    await waitUntil(
      async () => Object.keys((await storeDay())?.notClosed ?? {}).length === 2,
      20_000,
      'the closes given up on the store day',
    );
    // Once each, though two instances looked.
    expect((await givenUp()).map((each) => each.terminalId).sort()).toEqual(['NG-2', 'NG-3']);
    const notClosed = (await storeDay())!.notClosed!;
    expect(notClosed['NG-2']).toEqual({
      operationId: byTerminal['NG-2']!.operationId,
      attempts: 1,
      reason: byTerminal['NG-2']!.reason,
      at: expect.any(String),
    });
    expect(notClosed['NG-3']).toMatchObject({ attempts: 1, reason: byTerminal['NG-3']!.reason });
  }, 60_000);

  it('gives up a close after its last attempt failed, once across a restart, and lists it on the store day', async () => {
    for (const closer of closers) await closer.close();
    // One attempt is all there is now: NG-1's, which failed, was the last.
    closers = [
      await startNightlyCloser(engine, {
        NIGHTLY_CLOSE_RETRY_SECONDS: '600',
        NIGHTLY_CLOSE_MAX_ATTEMPTS: '1',
        RECONCILER_LEASE_SECONDS: '1',
      }),
    ];
    await waitUntil(
      async () => (await givenUp()).some((each) => each.terminalId === 'NG-1'),
      20_000,
      "NG-1's close given up",
    );
    const ng1 = (await givenUp()).find((each) => each.terminalId === 'NG-1')!;
    expect(ng1).toMatchObject({ attempts: 1, reason: 'the terminal reported a failure', businessDay: day() });
    await waitUntil(async () => (await storeDay())?.notClosed?.['NG-1'] !== undefined, 20_000, 'NG-1 on the store day');
    expect((await storeDay())!.notClosed!['NG-1']).toMatchObject({ attempts: 1, reason: ng1.reason });

    // Restarted: the index read back from the log knows every close given up, and records none again.
    await closers[0]!.close();
    closers = [
      await startNightlyCloser(engine, {
        NIGHTLY_CLOSE_RETRY_SECONDS: '600',
        NIGHTLY_CLOSE_MAX_ATTEMPTS: '1',
        RECONCILER_LEASE_SECONDS: '1',
      }),
    ];
    await waitUntil(async () => (await failedGauge(closers[0]!)) === 3, 20_000, 'three closes failed on the gauge');
    expect((await givenUp()).map((each) => each.terminalId).sort()).toEqual(TERMINALS);
    expect(await requested('NG-1')).toBe(1);
  }, 60_000);
});

/**
 * A close that cannot be started for a passing reason (here the log refuses writes: another process holds SQLite's
 * write lock) is tried again, `NIGHTLY_CLOSE_MAX_ATTEMPTS` times in a row, then given up: where it was tried again all
 * night as `waiting`. The give-up is recorded once the log takes writes again.
 */
describe('the nightly close that cannot be started', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;
  let lock: Database.Database | undefined;

  beforeAll(async () => {
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgoAtDintero(engine, 'nu-store', ['NU-1']);
  }, 60_000);
  afterAll(async () => {
    if (lock?.inTransaction) lock.prepare('ROLLBACK').run();
    lock?.close();
    await closer?.close();
    await engine.close();
  });

  it('is tried again a bounded number of times, then given up', async () => {
    closer = await startNightlyCloser(engine, {
      NIGHTLY_CLOSE_RETRY_SECONDS: '1',
      NIGHTLY_CLOSE_MAX_ATTEMPTS: '2',
    });
    // The closer reads the log (WAL: readers go on), and no write of it goes through while the lock is held.
    lock = new Database(engine.eventStoreFile);
    lock.prepare('BEGIN IMMEDIATE').run();
    const states = async () => {
      const text = await (await fetch(`${closer!.url}/metrics`)).text();
      const counts: Record<string, number> = {};
      for (const [, state, value] of text.matchAll(
        /^payments_nightly_close_terminals\{[^}]*state="(\w+)"[^}]*\} (\d+)$/gm,
      ))
        counts[state!] = Number(value);
      return counts;
    };
    await waitUntil(async () => (await states()).failed === 1, 40_000, 'the close given up on the gauge');
    lock.prepare('COMMIT').run();

    const givenUp = async () =>
      (await engine.log.readAll({ limit: 10_000 }))
        .filter((event) => event.type === 'CloseGivenUp')
        .map((event) => event.data as GivenUp);
    await waitUntil(async () => (await givenUp()).length === 1, 20_000, 'the give-up recorded');
    const [recorded] = await givenUp();
    expect(recorded).toMatchObject({ storeId: 'nu-store', terminalId: 'NU-1', attempts: 1 });
    expect(recorded!.reason).toMatch(/^could not be started: /);
    // Never started, and not started now that the log takes writes again.
    const requested = (await engine.log.readAll({ limit: 10_000 })).filter(
      (event) => event.type === 'OperationRequested',
    );
    expect(requested).toHaveLength(0);
  }, 90_000);
});

import Database from 'better-sqlite3';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';

/**
 * A close that cannot be started (the log refuses writes: another process holds SQLite's write lock) is tried
 * `NIGHTLY_CLOSE_MAX_ATTEMPTS` times in all, however often the closer restarts in between, then given up. The count
 * was in memory: each restart began it again at zero, and a close that could never start was tried for ever.
 */
describe('the nightly close that cannot be started, across a restart', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;
  let lock: Database.Database | undefined;

  beforeAll(async () => {
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgoAtDintero(engine, 'nx-store', ['NX-1']);
  }, 60_000);
  afterAll(async () => {
    if (lock?.inTransaction) lock.prepare('ROLLBACK').run();
    lock?.close();
    await closer?.close();
    await engine.close();
  });

  /** The closer's metric of the nightly closes it could not start. */
  const failedStarts = async () => {
    const text = await (await fetch(`${closer!.url}/metrics`)).text();
    return Number(/^payments_nightly_closes_total\{[^}]*result="failed"[^}]*\} (\d+)$/m.exec(text)?.[1] ?? 0);
  };
  const gaugeFailed = async () => {
    const text = await (await fetch(`${closer!.url}/metrics`)).text();
    return Number(/^payments_nightly_close_terminals\{[^}]*state="failed"[^}]*\} (\d+)$/m.exec(text)?.[1] ?? -1);
  };

  it('is tried the bounded number of times in all, a restart counting on from the starts before it', async () => {
    // Short leases: the restarted closer takes the close over at once.
    const env = { NIGHTLY_CLOSE_MAX_ATTEMPTS: '3', RECONCILER_LEASE_SECONDS: '1' };
    // One failed start, then a long pause before the next: the closer is restarted in it.
    closer = await startNightlyCloser(engine, { ...env, NIGHTLY_CLOSE_RETRY_SECONDS: '600' });
    // The closer reads the log (WAL: readers go on), and no write of it goes through while the lock is held.
    lock = new Database(engine.eventStoreFile);
    lock.prepare('BEGIN IMMEDIATE').run();
    await waitUntil(async () => (await failedStarts()) === 1, 30_000, 'the first start failed');
    await closer.close();

    closer = await startNightlyCloser(engine, { ...env, NIGHTLY_CLOSE_RETRY_SECONDS: '1' });
    await waitUntil(async () => (await gaugeFailed()) === 1, 60_000, 'the close given up on the gauge');
    // Two more starts after the restart: three in all, where the restarted closer made three of its own.
    expect(await failedStarts()).toBe(2);
    lock.prepare('COMMIT').run();

    const events = async () => await engine.log.readAll({ limit: 10_000 });
    await waitUntil(
      async () => (await events()).some((event) => event.type === 'CloseGivenUp'),
      20_000,
      'the give-up recorded',
    );
    const [givenUp] = (await events()).filter((event) => event.type === 'CloseGivenUp');
    expect(givenUp!.data).toMatchObject({ storeId: 'nx-store', terminalId: 'NX-1', attempts: 1 });
    expect((givenUp!.data as { reason: string }).reason).toMatch(/^could not be started: /);
    // Never started, and not started now that the log takes writes again.
    expect((await events()).filter((event) => event.type === 'OperationRequested')).toHaveLength(0);
  }, 120_000);
});

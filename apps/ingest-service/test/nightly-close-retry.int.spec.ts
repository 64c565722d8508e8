import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';

const STORE = 'nr-store';

/**
 * Where the night's closes stand (`payments_nightly_close_terminals`): a close whose attempt failed and that waits for
 * its next one is `waiting`; only one whose last attempt failed is `failed`, for an alert that means it.
 */
describe('the nightly close gauge, a close failing', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;

  beforeAll(async () => {
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgoAtDintero(engine, STORE, ['NR-1']);
    // The terminal fails its first end of day.
    await engine.sim.control('PUT', '/terminals/NR-1/operation-outcomes', { outcomes: ['FAILED'] });
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  /** The gauge's value for each state, as the closer's metrics say. */
  const states = async () => {
    const text = await (await fetch(`${closer!.url}/metrics`)).text();
    const counts: Record<string, number> = {};
    for (const [, state, value] of text.matchAll(
      /^payments_nightly_close_terminals\{[^}]*state="(\w+)"[^}]*\} (\d+)$/gm,
    ))
      counts[state!] = Number(value);
    return counts;
  };
  const ended = async () =>
    (await engine.log.readAll({ limit: 10_000 })).filter(
      (event) => event.type === 'OperationEnded' && (event.data as { outcome?: string }).outcome === 'failed',
    ).length;

  it('says waiting while attempts are left, and failed once the last one failed', async () => {
    closer = await startNightlyCloser(engine, { NIGHTLY_CLOSE_RETRY_SECONDS: '600', NIGHTLY_CLOSE_MAX_ATTEMPTS: '5' });
    await waitUntil(async () => (await ended()) === 1, 20_000, 'the first attempt failed');
    // Followed from the log: the close is no longer running.
    await waitUntil(async () => (await states()).running === 0, 10_000, 'the close no longer running');
    expect(await states()).toMatchObject({ waiting: 1, failed: 0, completed: 0 });

    // The same close where one attempt is all there is: given up.
    await closer.close();
    closer = await startNightlyCloser(engine, { NIGHTLY_CLOSE_RETRY_SECONDS: '600', NIGHTLY_CLOSE_MAX_ATTEMPTS: '1' });
    await waitUntil(async () => (await states()).failed === 1, 10_000, 'the close given up');
    expect(await states()).toMatchObject({ waiting: 0, running: 0, completed: 0 });
    expect(await ended()).toBe(1);
  }, 60_000);
});

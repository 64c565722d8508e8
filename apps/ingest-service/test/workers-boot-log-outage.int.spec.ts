import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LOG_IDENTITY_STREAM, SqliteEventStore, type EventStore } from '@app/event-store';
import { createHttpApp } from '@app/platform';
import { waitUntil } from '../../../test/support/app-process';
import { logOutage } from '../../../test/support/log-outage';
import { loggedLines } from '../../../test/support/logged-lines';
import { removeNatsState, uniquePrefix } from '../../../test/support/nats-state';
import { orphanClaim, terminalFree } from '../../../test/support/orphan-claim';
import { closeDays } from '../../../test/support/nightly-close-history';
import { startSimulator, type RunningSimulator } from '../../../test/support/simulator';
import { healthOf, startedApps } from '../../../test/support/started-app';
import { NightlyClose } from '../src/fleet/nightly-close.service';
import { INGEST_HTTP_APP } from '../src/ingest-http-app';
import { IngestServiceModule } from '../src/ingest-service.module';
import { ReconcilerService } from '../src/reconciler/reconciler.service';
import { nightlyCloseRequested, storeDueAtOnce, workersAtWorkConfig } from './support/workers-at-work';

/**
 * The background workers that read the log as they start (their checkpoint's log, and the event it was made at). The
 * terminal statuses and the operations keep no checkpoint: they read nothing at start but what their follower does.
 */
const WORKERS = ['reconciler', 'nightly-close'];

/**
 * The log's reads failing as ingest starts (KurrentDB electing a leader, SQLite's file busy): the reconciler and the
 * fleet's workers (the nightly close among them) open their checkpoint and read the log to resume from it. Each start
 * that fails is tried again, with a growing pause, while the app takes Dintero's deliveries and `/health` names the
 * workers not started yet; once the log answers, each starts from its checkpoint, as at a start that never failed.
 * Where the first failed read rejected the app's start: the process exited (`bootstrap`), and `apps/engine` with it.
 */
describe('the background workers of ingest when the log does not answer at start', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'workers-boot-log-outage-'));
  const file = path.join(dir, 'events.db');
  const prefix = uniquePrefix();
  const { due } = closeDays();
  let sim: RunningSimulator;
  let log: SqliteEventStore;
  const apps = startedApps();

  beforeAll(async () => {
    sim = await startSimulator({ SIM_OPERATION_DELAY_MS: '100' });
    log = new SqliteEventStore({ file });
  });
  afterAll(async () => {
    await apps.closeAll();
    await log.close();
    await sim.close();
    await removeNatsState(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Ingest on `store` (the nightly close and the reconcilers on), listening. Leases of 3 s, not 30: a failed read the
   * third run injects may fall on a worker's read of an item it holds (a terminal's or a payment's stream, when the
   * machine is busy and the workers' reads come in another order), and that item waits out its lease before it is
   * looked at again, which at 30 s outlasted the run's 30 s wait for its work (one CI run, on a loaded machine).
   */
  const boot = async (store: EventStore) => {
    const config = workersAtWorkConfig(sim, file, prefix, { RECONCILER_LEASE_SECONDS: '3' });
    const app = await createHttpApp(
      IngestServiceModule.forRoot(config, { eventStore: store }),
      config,
      INGEST_HTTP_APP,
    );
    return apps.listen(app);
  };
  const { stop } = apps;
  const health = healthOf;

  const store = (storeId: string, terminalId: string) => storeDueAtOnce(log, sim, storeId, terminalId);
  const closeRequested = (terminalId: string) => nightlyCloseRequested(log, terminalId, due);
  const tryAgain = (worker: string) => `${worker} could not start (the log or NATS did not answer): trying again`;
  /** A claim on a terminal with nothing recorded behind it: the reconciler releases it after its grace. */
  const claim = (terminalId: string) =>
    orphanClaim(log, terminalId, { storeId: 'boot-a', correlationId: 'boot-log-outage' });
  const released = (terminalId: string) => terminalFree(log, terminalId);

  it('retries each worker’s start until the log answers; each then resumes from its checkpoint and does its work', async () => {
    // A first run that starts cleanly, works, and saves its checkpoints at stop (each names the event it was made at).
    await store('boot-a', 'BA-1');
    await claim('BR-1');
    const first = await boot(log);
    await waitUntil(
      async () => (await closeRequested('BA-1')) && (await released('BR-1')),
      30_000,
      'the first run’s work',
    );
    await waitUntil(
      async () => first.app.get(ReconcilerService).following >= (await log.headPosition()),
      10_000,
      'the reconciler at the head',
    );
    await stop(first.app);

    // Work for the next run: a store whose close is due, and a claim with nothing behind it.
    await store('boot-b', 'BB-1');
    await claim('BR-2');

    // The next start while the log's stream reads fail: the log's identity and the checkpoints' events are read so.
    const outage = logOutage(log, ['readStream']);
    const warnings = loggedLines('warn');
    const second = await boot(outage.store);
    const down = await health(second.url);
    expect(down.status).toBe(503);
    for (const worker of WORKERS) expect(down.body).toContain(worker);
    const metrics = await (await fetch(`${second.url}/metrics`)).text();
    for (const worker of WORKERS)
      expect(metrics).toMatch(new RegExp(`^event_log_subscription_up\\{[^}]*subscriber="${worker}"[^}]*\\} 0$`, 'm'));
    expect(outage.failures).toBeGreaterThanOrEqual(WORKERS.length);
    expect(await released('BR-2')).toBe(false);

    // The first try that failed is a warning with its error and when the next comes; the next ones back off.
    await waitUntil(
      () => WORKERS.every((worker) => warnings.some(({ msg }) => msg === tryAgain(worker))),
      10_000,
      'a warning of each worker',
    );
    for (const worker of WORKERS)
      expect(warnings.find(({ msg }) => msg === tryAgain(worker))!.fields).toMatchObject({
        attempt: 1,
        failedSinceLastLine: 1,
        failingForMs: 0,
      });
    for (const { fields } of warnings.filter(({ msg }) => WORKERS.some((worker) => msg === tryAgain(worker)))) {
      expect((fields.err as Error).message).toMatch(/^the log did not answer/);
      expect(fields.retryInMs).toBeGreaterThan(0);
    }
    jest.restoreAllMocks();

    outage.end();
    await waitUntil(async () => (await health(second.url)).status === 200, 40_000, 'every worker started');
    // From their checkpoints, as a start that never failed: not from the log's beginning, nothing skipped.
    expect(second.app.get(ReconcilerService).resumedFrom).toBeGreaterThan(0n);
    expect(second.app.get(NightlyClose).resumedFrom).toBeGreaterThan(0n);
    await waitUntil(
      async () => (await closeRequested('BB-1')) && (await released('BR-2')),
      30_000,
      'the second run’s work',
    );
    await stop(second.app);

    // A third start, where the log's identity is read but the first two reads of the event a checkpoint was made at
    // (each worker's, `markGone`) fail.
    await store('boot-c', 'BC-1');
    await claim('BR-3');
    const marks = logOutage(log, ['readStream'], {
      calls: 2,
      only: (stream) => typeof stream === 'string' && /^(terminal|store|payment)-/.test(stream),
    });
    const third = await boot(marks.store);
    await waitUntil(async () => (await health(third.url)).status === 200, 20_000, 'every worker started');
    expect(marks.failures).toBe(2);
    expect(third.app.get(ReconcilerService).resumedFrom).toBeGreaterThan(0n);
    expect(third.app.get(NightlyClose).resumedFrom).toBeGreaterThan(0n);
    await waitUntil(
      async () => (await closeRequested('BC-1')) && (await released('BR-3')),
      30_000,
      'the third run’s work',
    );
    await stop(third.app);
  }, 120_000);

  it('stops promptly while it is still trying to start the workers', async () => {
    // The log's identity alone: each try of each worker's start reads it first, and nothing else does.
    const outage = logOutage(log, ['readStream'], { only: (stream) => stream === LOG_IDENTITY_STREAM });
    const { app, url } = await boot(outage.store);
    expect((await health(url)).status).toBe(503);
    // Past four tries each, the pause before the next is 4 s: the stop does not wait for it.
    await waitUntil(() => outage.failures >= WORKERS.length * 4, 20_000, 'four tries of each worker');
    const stopping = Date.now();
    await stop(app);
    expect(Date.now() - stopping).toBeLessThan(2_000);
    outage.end();
    // Nothing was started by the stop: the reconciler never followed the log.
    expect(app.get(ReconcilerService).following).toBe(0n);
  }, 60_000);
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SqliteEventStore } from '@app/event-store';
import { AnotherLogCheck, createHttpApp } from '@app/platform';
import { waitUntil } from '../../../test/support/app-process';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/nats-state';
import { orphanClaim, terminalFree } from '../../../test/support/orphan-claim';
import { closeDays } from '../../../test/support/nightly-close-history';
import { startSimulator, type RunningSimulator } from '../../../test/support/simulator';
import { healthOf, startedApps } from '../../../test/support/started-app';
import { INGEST_HTTP_APP } from '../src/ingest-http-app';
import { IngestServiceModule } from '../src/ingest-service.module';
import { ReconcilerService } from '../src/reconciler/reconciler.service';
import { nightlyCloseRequested, storeDueAtOnce, workersAtWorkConfig } from './support/workers-at-work';

/**
 * Ingest's background workers (the reconciler, the nightly close, the terminal statuses, the operations) write the log
 * (a settlement, a close, the nightly close's switch) and NATS (their leases, their checkpoints). Until the app has
 * made sure that no engine of another log runs on its NATS prefix (the log out of reach as it starts delays that),
 * they write neither: they start once the check is made. Started at once, they wrote into a log that may be another
 * engine's, while the app refused Dintero's deliveries for that very reason. The check is held here as `apps/engine`
 * shares its projector's (`SharedInfrastructure.anotherLogCheck`), and made when the test says.
 */
describe('the background workers of ingest before the check of another log’s engine', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'workers-wait-for-check-'));
  const file = path.join(dir, 'events.db');
  const prefixes: string[] = [];
  const { due } = closeDays();
  let sim: RunningSimulator;
  let log: SqliteEventStore;
  let nats: NatsConnection;
  const apps = startedApps();

  beforeAll(async () => {
    sim = await startSimulator({ SIM_OPERATION_DELAY_MS: '100' });
    log = new SqliteEventStore({ file });
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    await apps.closeAll();
    await log.close();
    await nats.close();
    await sim.close();
    for (const prefix of prefixes) await removeNatsState(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Ingest on a prefix of its own (the nightly close and the reconcilers on), its check made only by `check.pass`. */
  const boot = async (env: Record<string, string> = {}) => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const config = workersAtWorkConfig(sim, file, prefix, env);
    const check = new AnotherLogCheck();
    const app = await createHttpApp(
      IngestServiceModule.forRoot(config, { eventStore: log, anotherLogCheck: check }),
      config,
      INGEST_HTTP_APP,
    );
    return { ...(await apps.listen(app)), prefix, check };
  };

  /** The JetStream streams of `prefix` (its KV buckets and object stores among them). */
  const streamsOf = async (prefix: string) => {
    const jsm = await jetstreamManager(nats);
    const names: string[] = [];
    for await (const name of jsm.streams.names()) if (name.includes(prefix)) names.push(name);
    return names;
  };

  const store = (storeId: string, terminalId: string) => storeDueAtOnce(log, sim, storeId, terminalId);
  const closeRequested = (terminalId: string) => nightlyCloseRequested(log, terminalId, due);
  /** A claim on a terminal with nothing recorded behind it: the reconciler releases it after its grace. */
  const claim = (terminalId: string) =>
    orphanClaim(log, terminalId, { storeId: 'check-a', correlationId: 'workers-wait-for-check' });

  it('writes neither the log nor NATS before the check, and does its work once it is made', async () => {
    await store('check-a', 'CA-1');
    await claim('CR-1');
    const head = await log.headPosition();

    const { app, url, prefix, check } = await boot();
    // Started at once, the nightly close recorded its switch, and the workers opened their leases and checkpoints.
    expect(await log.headPosition()).toBe(head);
    expect(await streamsOf(prefix)).toEqual([]);
    const health = await healthOf(url);
    expect(health.status).toBe(503);
    expect(health.body).toContain('not checked yet that no engine of another event log uses the NATS prefix');
    expect(app.get(ReconcilerService).following).toBe(0n);

    check.pass();
    await waitUntil(
      async () => (await closeRequested('CA-1')) && (await terminalFree(log, 'CR-1')),
      30_000,
      'the close requested and the orphan claim released',
    );
    expect((await log.readAll({ after: head, limit: 10_000 })).map(({ type }) => type)).toContain(
      'NightlyCloseSwitched',
    );
    expect(await streamsOf(prefix)).not.toEqual([]);
    await waitUntil(async () => (await healthOf(url)).status === 200, 20_000, 'ingest healthy');
    await apps.stop(app);
  }, 60_000);

  it('records the nightly close switched off only once the check is made', async () => {
    const head = await log.headPosition();
    const { app, check } = await boot({ NIGHTLY_CLOSE_ENABLED: 'false' });
    expect(await log.headPosition()).toBe(head);

    check.pass();
    const switched = async () =>
      (await log.readAll({ after: head, limit: 10_000 })).filter(({ type }) => type === 'NightlyCloseSwitched');
    await waitUntil(async () => (await switched()).length > 0, 10_000, 'the switch recorded');
    expect((await switched()).map(({ data }) => data)).toEqual([expect.objectContaining({ enabled: false })]);
    await apps.stop(app);
  }, 30_000);

  it('stops promptly before the check, and starts nothing when it is made after the stop', async () => {
    await claim('CR-2');
    const head = await log.headPosition();
    const { app, prefix, check } = await boot();
    const stopping = Date.now();
    await apps.stop(app);
    expect(Date.now() - stopping).toBeLessThan(2_000);

    check.pass();
    // The waits for the check end at the stop: what the pass would have started runs in this turn's microtasks.
    await new Promise((resolve) => setImmediate(resolve));
    expect(app.get(ReconcilerService).following).toBe(0n);
    expect(await log.headPosition()).toBe(head);
    expect(await streamsOf(prefix)).toEqual([]);
    expect(await terminalFree(log, 'CR-2')).toBe(false);
  }, 30_000);
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SqliteEventStore, type NewEvent } from '@app/event-store';
import { natsNames } from '@app/messaging';
import { addDays } from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { event, paymentEvents } from '../../../test/support/payment-events';
import {
  NATS_URL,
  bucketContents,
  foldFromScratch,
  startProjections,
  tearDownProjections,
  uniquePrefix,
} from '../../../test/support/projections';
import { Kvm } from '@nats-io/kv';
import type { Registry } from 'prom-client';
import { logIdentity } from '@app/event-store';
import { METRICS_REGISTRY } from '@app/platform';
import { ProjectorLease } from '../src/projector/projector-lease';
import { PROJECTED_STREAMS, ProjectorService } from '../src/projector/projector.service';
import { ReadModelBuckets } from '../src/projector/read-model.buckets';
import { applyFromLog } from '../src/read-models/apply-from-log';
import { ReadModelProjector } from '../src/read-models/read-model.projector';
import { DAYS_KEPT } from '../src/read-models/store-days';

/** Store `oslo` (Europe/Oslo) registered with one terminal, the day before the payments' first. */
const storeOslo = (where: { storeId: string; terminalId: string }): NewEvent[] => [
  event(
    'StoreRegistered',
    { storeId: 'oslo', name: 'Oslo', payoutDestinationId: 'p', timeZone: 'Europe/Oslo', at: '2026-10-31T00:00:00Z' },
    where,
  ),
  event('TerminalRegistered', { ...where, at: '2026-10-31T00:00:00.000Z' }, where),
];

describe('projections: a store’s past days out of memory, in KV', () => {
  const prefix = uniquePrefix();
  const where = { storeId: 'oslo', terminalId: 'PD-1' };
  let dir: string;
  let log: SqliteEventStore;
  let nats: NatsConnection;
  let app: NestFastifyApplication | undefined;
  const revisions = new Map<string, number>();
  /** The last event appended here: the log's identity, which the projector writes, is not projected. */
  let appended = 0n;
  /** The last event before the late capture of the first test. */
  let beforeLate = 0n;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'past-days-'));
    log = new SqliteEventStore({ file: path.join(dir, 'events.db') });
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(() => tearDownProjections({ app, log, nats, prefix, dir }));

  const append = async (stream: string, events: NewEvent[]) => {
    const expected = revisions.get(stream);
    const result = await log.append(stream, events, { expectedRevision: expected ?? 'no_stream' });
    revisions.set(stream, result.nextRevision);
    appended = result.position;
  };
  const noon = (d: number) => Date.parse(`${addDays('2026-11-01', d)}T11:00:00.000Z`);
  const project = async () => {
    await app?.close();
    app = await startProjections({ EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`, NATS_PREFIX: prefix });
    const service = app.get(ProjectorService);
    await waitUntil(() => service.checkpoint >= appended, 15_000, 'the projector at the end of the log');
    return service;
  };
  const query = async (date: string) =>
    (
      await nats.request(natsNames(prefix).queries.storeDay, JSON.stringify({ storeId: 'oslo', date }), {
        timeout: 5_000,
      })
    ).json<{ status: number; body: { currencies: { NOK?: { capturedCount: number } } } }>();

  it('answers for a day out of memory from KV, and counts a late capture into it after a restart', async () => {
    await append('store-oslo', storeOslo(where));
    // Three payments a day for twice the days a projector keeps; every 20th is refunded, some declined.
    for (let d = 0; d < 2 * DAYS_KEPT; d++)
      for (let n = 0; n < 3; n++)
        for (const { stream, events } of paymentEvents(d * 3 + n, where, noon(d) + n * 60_000))
          await append(stream, events);
    const service = await project();
    const first = addDays('2026-11-01', 0);
    expect(service.models.storeDay('oslo', first)).toBeUndefined();
    expect(service.models.storeDay('oslo', addDays('2026-11-01', 2 * DAYS_KEPT - 1))).toBeDefined();
    const answer = await query(first);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual((await bucketContents(prefix, 'storeDays'))[`oslo.${first}`]);

    // Restarted, the projector loads only its window; then Dintero reports a capture of the first day.
    await project();
    const before = answer.body.currencies.NOK?.capturedCount ?? 0;
    const late = paymentEvents(1, where, noon(2 * DAYS_KEPT));
    beforeLate = appended;
    const dinteroAt = new Date(noon(0) + 3_600_000).toISOString();
    for (const { stream, events } of late)
      await append(
        stream,
        events.map((recorded) =>
          recorded.type === 'PaymentCaptured'
            ? { ...recorded, data: { ...(recorded.data as object), dinteroAt } }
            : recorded,
        ),
      );
    await project();
    expect((await query(first)).body.currencies.NOK?.capturedCount).toBe(before + 1);

    const scratch = await foldFromScratch(log);
    const days = await bucketContents(prefix, 'storeDays');
    expect(Object.keys(days)).toHaveLength(2 * DAYS_KEPT);
    for (const [key, doc] of Object.entries(days)) {
      const [storeId, date] = [key.slice(0, -11), key.slice(-10)];
      expect(doc).toEqual(scratch.storeDay(storeId, date));
    }
  });

  it('folds again from KV when KV went back past days it had dropped (a rebuild adopted by another writer)', async () => {
    const service = await project();
    const registry = app!.get<Registry>(METRICS_REGISTRY);
    const leading = async () => (await registry.getSingleMetricAsString('payments_projector_leader')).endsWith(' 1');
    await waitUntil(leading, 10_000, 'this instance writing');
    // A payment of the latest day: a flush, after which this writer has dropped the first day from memory.
    for (const { stream, events } of paymentEvents(7, where, noon(2 * DAYS_KEPT) + 60_000))
      await append(stream, events);
    await waitUntil(() => service.checkpoint >= appended, 10_000, 'the payment written');
    expect(service.models.storeDay('oslo', addDays('2026-11-01', 0))).toBeUndefined();

    // Another instance takes the lease and adopts a rebuild that reached only as far as before the late capture.
    const lease = await ProjectorLease.open(nats, prefix, 5_000);
    const leases = await new Kvm(nats).open(natsNames(prefix).buckets.projectorLease);
    await leases.delete('leader');
    await waitUntil(() => lease.acquire(), 10_000, 'the lease taken by another instance');
    await waitUntil(async () => !(await leading()), 10_000, 'this instance standing by');
    const rebuilt = new ReadModelProjector();
    for (let after = 0n; after < beforeLate;) {
      const page = (await log.readAll({ after, limit: 1_000, streamPrefixes: PROJECTED_STREAMS })).filter(
        (recorded) => recorded.position <= beforeLate,
      );
      if (page.length === 0) break;
      await applyFromLog(log, rebuilt, page, () => undefined);
      after = page.at(-1)!.position;
    }
    const buckets = await ReadModelBuckets.open(nats, prefix);
    await buckets.replaceAll(rebuilt.documents());
    await buckets.resetCheckpoint(beforeLate, await logIdentity(log), 1);
    await lease.release();

    // This instance takes the lease back: the first day must get its late capture again, from the log.
    await waitUntil(leading, 15_000, 'this instance writing again');
    await waitUntil(() => service.checkpoint >= appended, 15_000, 'caught up again');
    const scratch = await foldFromScratch(log);
    for (const [key, doc] of Object.entries(await bucketContents(prefix, 'storeDays')))
      expect(doc).toEqual(scratch.storeDay(key.slice(0, -11), key.slice(-10)));
  });
});

describe('projections: a standby lets past days go too', () => {
  const prefix = uniquePrefix();
  const where = { storeId: 'oslo', terminalId: 'SB-1' };
  let dir: string;
  let log: SqliteEventStore;
  let nats: NatsConnection;
  const apps: NestFastifyApplication[] = [];
  const revisions = new Map<string, number>();
  let appended = 0n;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'standby-days-'));
    log = new SqliteEventStore({ file: path.join(dir, 'events.db') });
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await tearDownProjections({ app: undefined, log, nats, prefix, dir });
  });

  const append = async (stream: string, events: NewEvent[]) => {
    const result = await log.append(stream, events, { expectedRevision: revisions.get(stream) ?? 'no_stream' });
    revisions.set(stream, result.nextRevision);
    appended = result.position;
  };
  const noon = (d: number) => Date.parse(`${addDays('2026-11-01', d)}T11:00:00.000Z`);
  const instance = async () => {
    const app = await startProjections({
      EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`,
      NATS_PREFIX: prefix,
    });
    apps.push(app);
    return { service: app.get(ProjectorService), registry: app.get<Registry>(METRICS_REGISTRY) };
  };
  const leading = async (registry: Registry) =>
    (await registry.getSingleMetricAsString('payments_projector_leader')).endsWith(' 1');

  it("drops from a standby's memory the past days the writer's checkpoint shows in KV, and reads them back", async () => {
    await append('store-oslo', storeOslo(where));
    const writer = await instance();
    await waitUntil(() => leading(writer.registry), 10_000, 'the first instance writing');
    const standby = await instance();
    expect(await leading(standby.registry)).toBe(false);
    for (let d = 0; d < 2 * DAYS_KEPT; d++)
      for (const { stream, events } of paymentEvents(d, where, noon(d))) await append(stream, events);
    await waitUntil(
      () => writer.service.checkpoint >= appended && standby.service.checkpoint >= appended,
      15_000,
      'both instances at the end of the log',
    );
    const first = addDays('2026-11-01', 0);
    expect(writer.service.models.storeDay('oslo', first)).toBeUndefined();
    await waitUntil(
      () => standby.service.models.storeDay('oslo', first) === undefined,
      15_000,
      'the standby letting the first day go',
    );
    expect(standby.service.models.storeDay('oslo', addDays('2026-11-01', 2 * DAYS_KEPT - 1))).toBeDefined();
    expect(await standby.service.storeDay('oslo', first)).toEqual(
      (await bucketContents(prefix, 'storeDays'))[`oslo.${first}`],
    );
    expect(await leading(standby.registry)).toBe(false);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SqliteEventStore } from '@app/event-store';
import { natsNames } from '@app/messaging';
import { CloseStartFailures } from '../apps/ingest-service/src/fleet/close-start-failures';
import { LogCheckpoints } from '../apps/ingest-service/src/checkpoints/log-checkpoints';
import { RECONCILER_CHECKPOINT } from '../apps/ingest-service/src/reconciler/reconciler-checkpoints';
import { NIGHTLY_CLOSE_CHECKPOINT } from '../apps/ingest-service/src/fleet/nightly-close-snapshot';
import { SettleLeases } from '../apps/ingest-service/src/reconciler/settle-leases';
import { EventFeed } from '../apps/projections/src/projector/event-feed';
import { PaymentIndexBucket } from '../apps/projections/src/projector/payment-index.bucket';
import { ProjectorLease } from '../apps/projections/src/projector/projector-lease';
import { ReadModelBuckets } from '../apps/projections/src/projector/read-model.buckets';
import { rebuildReadModels, REBUILD_SUFFIX } from '../apps/projections/src/rebuild/rebuild';
import { waitUntil } from './support/app-process';
import { startEngine, type Engine } from './support/engine';
import { startNatsCluster, type NatsCluster } from './support/nats-cluster';
import { uniquePrefix } from './support/nats-state';

/** Every stream (buckets and object stores are streams too) under the prefix, with its replica count. */
async function streamsOf(jsm: JetStreamManager, prefix: string): Promise<Record<string, number>> {
  const own = [`KV_${prefix}_`, `OBJ_${prefix}_`, natsNames(prefix).events.stream];
  const found: Record<string, number> = {};
  for await (const info of jsm.streams.list())
    if (own.some((start) => info.config.name.startsWith(start))) found[info.config.name] = info.config.num_replicas;
  return found;
}

describe('the engine on a NATS cluster of three, with NATS_REPLICAS=3', () => {
  let cluster: NatsCluster;
  let nats: NatsConnection;

  beforeAll(async () => {
    cluster = await startNatsCluster();
    nats = await connect({ servers: cluster.url.split(',') });
  });
  afterAll(async () => {
    await nats?.close();
    await cluster?.stop();
  });

  it('raises every bucket, object store and stream an earlier engine made with one replica to three', async () => {
    const prefix = uniquePrefix();
    const names = natsNames(prefix);
    // As an engine from before the setting left them: one copy each, holding what it wrote.
    const kvm = new Kvm(nats);
    const index = await kvm.create(names.buckets.paymentIndex, { history: 1 });
    await index.put('kept', 'before the upgrade');
    await kvm.create(names.buckets.projectorLease, { history: 1, ttl: 5_000 });
    await kvm.create(names.buckets.reconcilerLeases, { history: 1, ttl: 60_000 });
    await kvm.create(names.buckets.nightlyCloseStarts, { history: 1, ttl: 60_000 });
    await kvm.create(names.buckets.terminals, { history: 1 });
    await kvm.create(`${prefix}_projections`, { history: 1 });
    await new Objm(nats).create(names.objectStores.reconciler);
    await new Objm(nats).create(names.objectStores.nightlyClose);
    const jsm = await jetstreamManager(nats);
    await jsm.streams.add({ name: names.events.stream, subjects: [names.events.all] });
    expect(Object.values(await streamsOf(jsm, prefix))).toEqual(Array(9).fill(1));

    await PaymentIndexBucket.open(nats, prefix, 3);
    await ProjectorLease.open(nats, prefix, 5_000, undefined, undefined, 3);
    await SettleLeases.open(nats, prefix, 60_000, undefined, undefined, 3);
    await CloseStartFailures.open(nats, prefix, 60_000, 3);
    await ReadModelBuckets.open(nats, prefix, '', 3);
    await LogCheckpoints.open(nats, prefix, RECONCILER_CHECKPOINT, 3);
    await LogCheckpoints.open(nats, prefix, NIGHTLY_CLOSE_CHECKPOINT, 3);
    await EventFeed.open(nats, prefix, { maxAgeHours: 1, maxMib: 16 }, 3);

    const streams = await streamsOf(jsm, prefix);
    // The nine made before, and the store and store-day buckets made now.
    expect(Object.keys(streams)).toHaveLength(11);
    expect(streams).toEqual(Object.fromEntries(Object.keys(streams).map((name) => [name, 3])));
    // The new copies hold what the one did.
    expect((await index.get('kept'))?.string()).toBe('before the upgrade');
    // And a stream's other settings are still changed after it: the leases' bucket was lengthened to an hour.
    const leases = await jsm.streams.info(`KV_${names.buckets.reconcilerLeases}`);
    expect(leases.config.max_age).toBe(3_600_000 * 1e6);
    // A caller that names no count (an app whose NATS_REPLICAS is unset, a test) leaves the count as it is: never
    // takes replicas away, from a stream raised by hand before the setting, say.
    await PaymentIndexBucket.open(nats, prefix, undefined);
    await ProjectorLease.open(nats, prefix, 5_000);
    await SettleLeases.open(nats, prefix, 60_000, undefined, undefined, undefined);
    await CloseStartFailures.open(nats, prefix, 60_000, undefined);
    await ReadModelBuckets.open(nats, prefix);
    await LogCheckpoints.open(nats, prefix, RECONCILER_CHECKPOINT, undefined);
    await LogCheckpoints.open(nats, prefix, NIGHTLY_CLOSE_CHECKPOINT, undefined);
    await EventFeed.open(nats, prefix, { maxAgeHours: 1, maxMib: 16 }, undefined);
    expect(await streamsOf(jsm, prefix)).toEqual(streams);
  });

  it('waits for a stream another instance has just raised to settle, so that its own next update is answered', async () => {
    const prefix = uniquePrefix();
    const bucket = natsNames(prefix).buckets.reconcilerLeases;
    // Made by an earlier engine with one copy and a shorter age, holding leases.
    const kv = await new Kvm(nats).create(bucket, { history: 1, ttl: 60_000 });
    for (let item = 0; item < 50; item++) await kv.put(`item-${item}`, 'holder|0');
    // Another instance starting at the same moment raises it first: the count is right, its peers still change.
    const jsm = await jetstreamManager(nats);
    await jsm.streams.update(`KV_${bucket}`, { num_replicas: 3 });

    const warnings: string[] = [];
    await SettleLeases.open(nats, prefix, 60_000, (message) => warnings.push(message), undefined, 3);
    // The server answers no update while the stream has no leader: the age would stay short, leases cleared early.
    expect(warnings).toEqual([]);
    const info = await jsm.streams.info(`KV_${bucket}`);
    expect(info.config).toMatchObject({ num_replicas: 3, max_age: 3_600_000 * 1e6 });
  });

  it('changes the event feed’s bounds after another instance has just raised it, rather than time out at start', async () => {
    const prefix = uniquePrefix();
    const { events } = natsNames(prefix);
    const jsm = await jetstreamManager(nats);
    // Made by an earlier engine with one copy and a day's age; another instance raises it as this one starts.
    await jsm.streams.add({ name: events.stream, subjects: [events.all], max_age: 24 * 3_600 * 1e9 });
    await jsm.streams.update(events.stream, { num_replicas: 3 });

    await EventFeed.open(nats, prefix, { maxAgeHours: 2, maxMib: 16 }, 3);
    const { config } = await jsm.streams.info(events.stream);
    expect(config).toMatchObject({ num_replicas: 3, max_age: 2 * 3_600 * 1e9 });
  });

  it('makes and raises the same buckets from several instances starting together', async () => {
    const prefix = uniquePrefix();
    const index = await new Kvm(nats).create(natsNames(prefix).buckets.paymentIndex, { history: 1 });
    for (let entry = 0; entry < 100; entry++) await index.put(`entry-${entry}`, 'x'.repeat(500));
    const instances = [1, 2, 3, 4];
    const warnings: string[] = [];
    // The leases' bucket new, each service with its own hold; the payment index made by an earlier engine.
    const starts = await Promise.allSettled(
      instances.flatMap((instance) => [
        SettleLeases.open(nats, prefix, instance * 60_000, (message) => warnings.push(message), undefined, 3),
        PaymentIndexBucket.open(nats, prefix, 3),
        LogCheckpoints.open(nats, prefix, RECONCILER_CHECKPOINT, 3),
        EventFeed.open(nats, prefix, { maxAgeHours: 1, maxMib: 16 }, 3),
      ]),
    );
    // The server answers none of their requests while a stream's peers change: each instance waits its turn.
    expect(starts.filter((start) => start.status === 'rejected')).toEqual([]);
    expect(warnings).toEqual([]);
    const streams = await streamsOf(await jetstreamManager(nats), prefix);
    expect(Object.values(streams)).toEqual([3, 3, 3, 3]);
  });

  it('refuses more replicas than the cluster has servers, naming the setting, and makes nothing', async () => {
    const prefix = uniquePrefix();
    const made = PaymentIndexBucket.open(nats, prefix, 5);
    await expect(made).rejects.toThrow(/NATS_REPLICAS=5, but the NATS cluster has fewer servers/);
    expect(await streamsOf(await jetstreamManager(nats), prefix)).toEqual({});
  });

  it('makes a rebuild’s buckets, and the lock and index it takes, on three servers', async () => {
    const prefix = uniquePrefix();
    const dir = mkdtempSync(path.join(tmpdir(), 'replicated-rebuild-'));
    const log = new SqliteEventStore({ file: path.join(dir, 'events.db') });
    try {
      await rebuildReadModels(log, nats, prefix, { replicas: 3 });
    } finally {
      await log.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const streams = await streamsOf(await jetstreamManager(nats), prefix);
    // Its generation waits for a live projector to adopt it: three document buckets, beside the state bucket.
    const generation = Object.keys(streams).filter((name) => name.includes(REBUILD_SUFFIX));
    expect(generation).toHaveLength(3);
    expect(Object.keys(streams)).toEqual(
      expect.arrayContaining([`KV_${prefix}_projections`, `KV_${natsNames(prefix).buckets.projectorLease}`]),
    );
    expect(streams).toEqual(Object.fromEntries(Object.keys(streams).map((name) => [name, 3])));
  });

  describe('an engine whose every app runs on the cluster', () => {
    let engine: Engine;
    let prefix: string;

    beforeAll(async () => {
      engine = await startEngine({
        projections: true,
        everyApp: { NATS_URL: cluster.url, NATS_REPLICAS: '3' },
      });
      prefix = engine.prefix;
      await engine.terminals('oslo', 'P-1', 'P-2');
    });
    afterAll(() => engine?.close());

    /** The terminal's document in KV once it shows this payment's outcome, read from any node still up. */
    const outcomeInKv = async (terminalId: string, paymentId: unknown) => {
      const terminals = await new Kvm(nats).open(natsNames(prefix).buckets.terminals);
      let last: unknown;
      await waitUntil(
        async () => {
          const entry = await terminals.get(`oslo.${terminalId}`).catch(() => null);
          last = entry?.json<{ lastOutcome?: { paymentId?: string } }>().lastOutcome;
          return (last as { paymentId?: string } | undefined)?.paymentId === paymentId;
        },
        30_000,
        `payment ${String(paymentId)}'s outcome in ${terminalId}'s document`,
      );
      return last;
    };

    it('keeps every stream it makes on three servers, and goes on writing and reading the read models with one lost', async () => {
      const first = await engine.start('oslo', 'P-1', 10_000);
      await engine.sim.control('POST', '/terminals/P-1/present', {});
      expect(await outcomeInKv('P-1', first.paymentId)).toMatchObject({ status: 'captured', amount: 10_000 });

      const jsm = await jetstreamManager(nats);
      const streams = await streamsOf(jsm, prefix);
      const names = natsNames(prefix);
      // What the apps make at start: not none, so that "all on three" says something.
      expect(Object.keys(streams)).toEqual(
        expect.arrayContaining([
          `KV_${names.buckets.terminals}`,
          `KV_${names.buckets.stores}`,
          `KV_${names.buckets.storeDays}`,
          `KV_${prefix}_projections`,
          `KV_${names.buckets.paymentIndex}`,
          `KV_${names.buckets.projectorLease}`,
          `KV_${names.buckets.reconcilerLeases}`,
          `KV_${names.buckets.dashboardSignOuts}`,
          `OBJ_${names.objectStores.reconciler}`,
          names.events.stream,
        ]),
      );
      expect(streams).toEqual(Object.fromEntries(Object.keys(streams).map((name) => [name, 3])));

      // The server that leads the terminals' bucket goes, as a machine that dies would.
      const leader = (await jsm.streams.info(`KV_${names.buckets.terminals}`)).cluster?.leader;
      const lost = cluster.nodes.find((node) => node.name === leader);
      expect(lost).toBeDefined();
      await lost!.kill();

      const second = await engine.start('oslo', 'P-2', 20_000);
      await engine.sim.control('POST', '/terminals/P-2/present', {});
      expect(await outcomeInKv('P-2', second.paymentId)).toMatchObject({ status: 'captured', amount: 20_000 });
      // And the queries answer from the read models, as the dashboard and the POS read them.
      const answer = await nats.request(
        names.queries.terminal,
        JSON.stringify({ storeId: 'oslo', terminalId: 'P-2' }),
        { timeout: 10_000 },
      );
      expect(answer.json()).toMatchObject({ status: 200, body: { lastOutcome: { paymentId: second.paymentId } } });
    });
  });
});

import { Logger } from '@nestjs/common';
import { jetstreamManager, type StreamConfig } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsNames, replicatedBucket, settleWithin } from '@app/messaging';
import { SettleLeases } from '../apps/ingest-service/src/reconciler/settle-leases';
import { SignedOutSessions } from '../apps/projections/src/operators/signed-out-sessions';
import type { ProjectionsConfig } from '../apps/projections/src/projections.config';
import { startNatsCluster, type NatsCluster } from './support/nats-cluster';
import { uniquePrefix } from './support/nats-state';

/**
 * `nats` beside another instance whose update of `stream` was read before this one's and lands just after it: the
 * first update of the stream this connection sends that `after` picks is followed by one that sends `stale` back,
 * as nats.js's read-modify-write `jsm.streams.update` of that other instance would.
 */
function besideStaleWriter(
  nats: NatsConnection,
  stream: string,
  stale: StreamConfig,
  after: (update: Partial<StreamConfig>) => boolean,
): NatsConnection {
  let done = false;
  const subject = `$JS.API.STREAM.UPDATE.${stream}`;
  return new Proxy(nats, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property !== 'request') return typeof value === 'function' ? (value.bind(target) as unknown) : value;
      return async (...args: Parameters<NatsConnection['request']>) => {
        const answer = await target.request(...args);
        const [to, body] = args;
        if (
          !done &&
          to === subject &&
          after(JSON.parse(new TextDecoder().decode(body as Uint8Array)) as Partial<StreamConfig>)
        ) {
          done = true;
          await target.request(subject, JSON.stringify(stale), { timeout: 10_000 });
        }
        return answer;
      };
    },
  });
}

describe('instances updating one stream of a NATS cluster at once', () => {
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
  afterEach(() => jest.restoreAllMocks());

  it('raises a stream again that another instance’s update, read before the raise, put back to one copy', async () => {
    const bucket = natsNames(uniquePrefix()).buckets.paymentIndex;
    const kv = await new Kvm(nats).create(bucket, { history: 1 });
    await kv.put('kept', 'before');
    const jsm = await jetstreamManager(nats);
    // What the other instance read: the bucket as an earlier engine left it, on one server.
    const { config: stale } = await jsm.streams.info(`KV_${bucket}`);

    const beside = besideStaleWriter(nats, `KV_${bucket}`, stale, (update) => update.num_replicas === 3);
    await replicatedBucket(beside, bucket, { history: 1 }, 3);

    const info = await jsm.streams.info(`KV_${bucket}`);
    expect(info.config.num_replicas).toBe(3);
    expect((await kv.get('kept'))?.string()).toBe('before');
  }, 60_000);

  it('lengthens the leases’ age again where another instance’s raise, read before, put the short one back', async () => {
    const prefix = uniquePrefix();
    const bucket = natsNames(prefix).buckets.reconcilerLeases;
    await new Kvm(nats).create(bucket, { history: 1, ttl: 60_000, replicas: 3 });
    const jsm = await jetstreamManager(nats);
    const { config: stale } = await jsm.streams.info(`KV_${bucket}`);

    const warnings: string[] = [];
    const beside = besideStaleWriter(nats, `KV_${bucket}`, stale, (update) => update.max_age === 3_600_000 * 1e6);
    await SettleLeases.open(beside, prefix, 60_000, (message) => warnings.push(message), undefined, 3);

    expect(warnings).toEqual([]);
    const { config } = await jsm.streams.info(`KV_${bucket}`);
    expect(config).toMatchObject({ num_replicas: 3, max_age: 3_600_000 * 1e6 });
  }, 60_000);

  it('lengthens the dashboard sign-outs’ age again where another instance’s raise, read before, put the short one back', async () => {
    const prefix = uniquePrefix();
    const bucket = natsNames(prefix).buckets.dashboardSignOuts;
    // Made by an earlier engine, on one server, while sessions lasted an hour.
    await new Kvm(nats).create(bucket, { history: 1, ttl: 3_600_000 });
    const jsm = await jetstreamManager(nats);
    const { config: stale } = await jsm.streams.info(`KV_${bucket}`);

    const eightHours = 8 * 3_600_000 * 1e6;
    const beside = besideStaleWriter(nats, `KV_${bucket}`, stale, (update) => update.max_age === eightHours);
    const config = { natsPrefix: prefix, natsReplicas: 3, dashboardSessionHours: 8 } as ProjectionsConfig;
    const sessions = new SignedOutSessions(beside, config);
    try {
      await sessions.onModuleInit();
    } finally {
      sessions.onModuleDestroy();
    }

    const { config: after } = await jsm.streams.info(`KV_${bucket}`);
    expect(after).toMatchObject({ num_replicas: 3, max_age: eightHours });
  }, 60_000);

  it('leaves a stream on the most replicas any app asks for, and logs an app that asks for fewer', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const buckets = [1, 2, 3].map(() => natsNames(uniquePrefix()).buckets.paymentIndex);
    const kvm = new Kvm(nats);
    for (const bucket of buckets) await kvm.create(bucket, { history: 1 });

    // Two apps starting together, one with NATS_REPLICAS=3, the other with 2, on each bucket.
    const starts = await Promise.allSettled(
      buckets.flatMap((bucket) => [
        replicatedBucket(nats, bucket, { history: 1 }, 3),
        replicatedBucket(nats, bucket, { history: 1 }, 2),
      ]),
    );
    expect(starts.filter((start) => start.status === 'rejected')).toEqual([]);
    // And each starting again later, the one with 2 last: it takes none of the third copy away.
    for (const bucket of buckets) await replicatedBucket(nats, bucket, { history: 1 }, 3);
    for (const bucket of buckets) await replicatedBucket(nats, bucket, { history: 1 }, 2);

    const jsm = await jetstreamManager(nats);
    for (const bucket of buckets) expect((await jsm.streams.info(`KV_${bucket}`)).config.num_replicas).toBe(3);
    const said = warn.mock.calls.map((call) => String(call[1]));
    expect(said).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`KV_${buckets[0]} is kept on 3 .*NATS_REPLICAS=2`))]),
    );
  }, 120_000);

  it('goes on once NATS_SETTLE_TIMEOUT_SECONDS is up while new peers still copy a large bucket, saying which', async () => {
    const log = jest.spyOn(Logger.prototype, 'log');
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const bucket = natsNames(uniquePrefix()).buckets.paymentIndex;
    const kv = await new Kvm(nats).create(bucket, { history: 1 });
    const value = 'x'.repeat(64 * 1024);
    await Promise.all(Array.from({ length: 400 }, (_, entry) => kv.put(`entry-${entry}`, value)));
    // An app whose limit is far shorter than the copy of 25 MiB to two new peers: a millisecond, below the setting's
    // least (a second), which a copy this size on local servers may beat.
    const app = await connect({ servers: cluster.url.split(',') });
    settleWithin(app, 1);
    try {
      const started = Date.now();
      await replicatedBucket(app, bucket, { history: 1 }, 3);
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      await app.close();
    }
    const said = [...log.mock.calls, ...warn.mock.calls].map((call) => String(call[1]));
    const wentOn = new RegExp(
      `went on after 0.001 s \\(NATS_SETTLE_TIMEOUT_SECONDS\\) before stream KV_${bucket}'s peers caught up`,
    );
    // Once: the setting bounds the start's whole wait on the stream, not each of its waits (a raise read back and
    // waited on again would take twice the setting, and say it went on twice).
    expect(said.filter((line) => wentOn.test(line))).toHaveLength(1);
    // NATS goes on copying: the bucket ends on three, with what it held.
    const jsm = await jetstreamManager(nats);
    expect((await jsm.streams.info(`KV_${bucket}`)).config.num_replicas).toBe(3);
    expect((await kv.get('entry-399'))?.string()).toBe(value);
  }, 120_000);
});

import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { natsNames } from '@app/messaging';
import { waitUntil } from '../../../test/support/app-process';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/projections';
import { SettleLeases } from '../src/reconciler/settle-leases';

describe('leases on due payments (NATS KV)', () => {
  const prefix = uniquePrefix();
  let nats: NatsConnection;
  beforeAll(async () => (nats = await connect({ servers: NATS_URL })));
  afterAll(async () => {
    await nats.close();
    await removeNatsState(prefix);
  });

  it('gives a payment to one instance at a time, and lets its holder renew it', async () => {
    const first = await SettleLeases.open(nats, prefix, 30_000);
    const second = await SettleLeases.open(nats, prefix, 30_000);
    expect(await first.take('pay-1')).toBe(true);
    expect(await second.take('pay-1')).toBe(false);
    expect(await first.take('pay-1')).toBe(true);
    expect(await second.take('pay-2')).toBe(true);
    // Ten instances at once on a payment nobody holds: one wins.
    const many = await Promise.all(Array.from({ length: 10 }, () => SettleLeases.open(nats, prefix, 30_000)));
    const won = await Promise.all(many.map((leases) => leases.take('pay-3')));
    expect(won.filter(Boolean)).toHaveLength(1);
  });

  it('keeps the bucket an hour, or as long as its longest lease: a service with a shorter one does not cut it', async () => {
    const bucket = natsNames(prefix).buckets.reconcilerLeases;
    const ttl = async () => (await (await new Kvm(nats).open(bucket)).status()).ttl;
    const warnings: string[] = [];
    // The terminal-status follower (5 minutes) and then the reconciler (30 s) open the same bucket.
    const polls = await SettleLeases.open(nats, prefix, 300_000, (message) => warnings.push(message));
    await SettleLeases.open(nats, prefix, 30_000, (message) => warnings.push(message));
    expect(await ttl()).toBe(3_600_000);
    // A lease of two hours lengthens it; a short one after it does not shorten it.
    await SettleLeases.open(nats, prefix, 7_200_000, (message) => warnings.push(message));
    await SettleLeases.open(nats, prefix, 30_000, (message) => warnings.push(message));
    expect(await ttl()).toBe(7_200_000);
    expect(warnings).toEqual([]);
    // The poller's lease holds its five minutes for another instance, whoever opened the bucket last.
    expect(await polls.take('terminal-1')).toBe(true);
    const another = await SettleLeases.open(nats, prefix, 300_000);
    expect(await another.take('terminal-1')).toBe(false);
  });

  it('opens the bucket for services that create it in the same moment, each with its own lease, at the longest', async () => {
    const fresh = uniquePrefix();
    try {
      const warnings: string[] = [];
      const opened = await Promise.all(
        [30_000, 300_000, 7_200_000, 60_000].map((leaseMs) =>
          SettleLeases.open(nats, fresh, leaseMs, (message) => warnings.push(message)),
        ),
      );
      expect(opened).toHaveLength(4);
      expect(warnings).toEqual([]);
      const bucket = natsNames(fresh).buckets.reconcilerLeases;
      expect((await (await new Kvm(nats).open(bucket)).status()).ttl).toBe(7_200_000);
    } finally {
      await removeNatsState(fresh);
    }
  });

  it("lets another instance take a lease once it has run out, by the lease's own length", async () => {
    const short = await SettleLeases.open(nats, prefix, 200);
    const other = await SettleLeases.open(nats, prefix, 30_000);
    expect(await short.take('pay-9')).toBe(true);
    expect(await other.take('pay-9')).toBe(false);
    // The bucket keeps entries for longer (the longest lease above): the lease's own time lets it go.
    await waitUntil(() => other.take('pay-9'), 5_000, 'the short lease ran out');
    expect(await short.take('pay-9')).toBe(false);
  });

  it('holds a lease until its holder looks again, at most as long as it said it would hold one', async () => {
    const kv = await new Kvm(nats).open(natsNames(prefix).buckets.reconcilerLeases);
    const until = async (key: string) => Number((await kv.get(key))!.string().split('|')[1]);
    const holder = await SettleLeases.open(nats, prefix, 200, undefined, 60_000);
    const other = await SettleLeases.open(nats, prefix, 200);
    expect(await holder.take('pay-held')).toBe(true);
    const before = Date.now();
    expect(await holder.holdUntil('pay-held', before + 30_000)).toBe(true);
    expect(await until('pay-held')).toBe(before + 30_000);
    // Past the 200 ms lease, the holder's next look is still ahead: the other instance leaves it alone.
    await waitUntil(() => Date.now() > before + 400, 2_000, 'the lease length passed');
    expect(await other.take('pay-held')).toBe(false);
    // Never longer than it said (the bucket keeps entries that long), and only its own.
    expect(await holder.holdUntil('pay-held', Date.now() + 3_600_000)).toBe(true);
    expect(await until('pay-held')).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(await other.holdUntil('pay-held', Date.now() + 1_000)).toBe(false);
    expect(await other.holdUntil('pay-nobody', Date.now() + 1_000)).toBe(false);
  });

  it('reads a lease written before leases said their length as held for a lease from when it was written', async () => {
    const kv = await new Kvm(nats).open(natsNames(prefix).buckets.reconcilerLeases);
    await kv.put('pay-old', 'host-1-42-abcdef12');
    expect(await (await SettleLeases.open(nats, prefix, 30_000)).take('pay-old')).toBe(false);
    // Not for the bucket's hour: a service of 200 ms leases takes it once 200 ms have passed since it was written.
    const short = await SettleLeases.open(nats, prefix, 200);
    await waitUntil(() => short.take('pay-old'), 5_000, 'the old lease ran out');
  });

  it('gives up its many leases at a stop many at a time, each then free to another instance at once', async () => {
    const stopping = await SettleLeases.open(nats, prefix, 30_000);
    const keys = Array.from({ length: 300 }, (_, index) => `pay-release-${index}`);
    for (const key of keys) expect(await stopping.take(key)).toBe(true);
    // The bucket's reads, counted while the stop gives them up: one after another, a Dintero outage's thousands of
    // leases took the stop past an orchestrator's grace period.
    const kv = (stopping as unknown as { kv: { get: (key: string) => Promise<unknown> } }).kv;
    const get = kv.get.bind(kv);
    let inFlight = 0;
    let most = 0;
    kv.get = async (key) => {
      most = Math.max(most, ++inFlight);
      try {
        return await get(key);
      } finally {
        inFlight -= 1;
      }
    };
    await stopping.release();
    expect(most).toBeGreaterThan(1);
    const next = await SettleLeases.open(nats, prefix, 30_000);
    for (const key of keys) expect(await next.take(key)).toBe(true);
  });

  it('returns from a stop within its bound while NATS leaves a request unanswered, the lease left to run out', async () => {
    const stopping = await SettleLeases.open(nats, prefix, 30_000);
    expect(await stopping.take('pay-unanswered')).toBe(true);
    // JetStream without its quorum, the connection up: a read waits for its timeout (5 s; here, for ever).
    const kv = (stopping as unknown as { kv: { get: (key: string) => Promise<unknown> } }).kv;
    kv.get = () => new Promise(() => undefined);
    await stopping.release([], 100);
    const next = await SettleLeases.open(nats, prefix, 30_000);
    expect(await next.take('pay-unanswered')).toBe(false);
    // A stop held by the unanswered read fails here, not at the tier's two minutes.
  }, 10_000);
});

import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { natsNames } from '@app/messaging';
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

  it('applies a changed lease length to the existing bucket, shorter than its duplicate window too', async () => {
    const warnings: string[] = [];
    await SettleLeases.open(nats, prefix, 5_000, (message) => warnings.push(message));
    const kv = await new Kvm(nats).open(natsNames(prefix).buckets.reconcilerLeases);
    expect((await kv.status()).ttl).toBe(5_000);
    expect(warnings).toEqual([]);
  });
});

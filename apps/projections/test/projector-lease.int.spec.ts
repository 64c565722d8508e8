import { connect, TimeoutError, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { natsNames } from '@app/messaging';
import { ProjectorLease } from '../src/projector/projector-lease';
import { NATS_URL, removeNatsState, uniquePrefix as newPrefix } from '../../../test/support/projections';

describe('the projector lease', () => {
  let nats: NatsConnection;
  beforeAll(async () => (nats = await connect({ servers: NATS_URL })));
  afterEach(() => jest.restoreAllMocks());
  /** Each test's prefix, whose lease bucket is removed at the end. */
  const prefixes: string[] = [];
  const uniquePrefix = () => {
    const prefix = newPrefix();
    prefixes.push(prefix);
    return prefix;
  };
  afterAll(async () => {
    for (const prefix of prefixes) await removeNatsState(prefix);
    await nats.close();
  });

  /** The KV bucket class's `method`, made to do its work at the server and then lose the answer, once. */
  async function loseTheAnswerOnce(prefix: string, method: 'create' | 'update'): Promise<void> {
    const bucket = await new Kvm(nats).open(natsNames(prefix).buckets.projectorLease);
    const prototype = Object.getPrototypeOf(bucket) as Record<typeof method, (...args: unknown[]) => Promise<number>>;
    const real = prototype[method];
    jest.spyOn(prototype, method).mockImplementationOnce(async function (this: unknown, ...args: unknown[]) {
      await real.apply(this, args);
      throw new TimeoutError();
    });
  }

  it.each(['update', 'create'] as const)(
    'is still held when the answer to its %s was lost after NATS took it',
    async (method) => {
      const prefix = uniquePrefix();
      const lease = await ProjectorLease.open(nats, prefix, 5_000);
      const other = await ProjectorLease.open(nats, prefix, 5_000);
      if (method === 'update') expect(await lease.acquire()).toBe(true);
      await loseTheAnswerOnce(prefix, method);
      await expect(lease.acquire()).rejects.toThrow(TimeoutError);
      // The key names this instance at a revision it did not hear of: renewed there, not given up for a lease.
      expect(await lease.acquire()).toBe(true);
      expect(lease.holds()).toBe(true);
      expect(await other.acquire()).toBe(false);
      expect(await lease.acquire()).toBe(true);
      await lease.release();
      expect(await other.acquire()).toBe(true);
      await other.release();
    },
  );

  it('is not taken back from another holder, nor after it lapsed', async () => {
    const prefix = uniquePrefix();
    const lease = await ProjectorLease.open(nats, prefix, 5_000);
    const other = await ProjectorLease.open(nats, prefix, 5_000);
    expect(await lease.acquire()).toBe(true);
    // This instance's lease ends (its key deleted, as the TTL would), and another takes it.
    await (await new Kvm(nats).open(natsNames(prefix).buckets.projectorLease)).delete('leader');
    expect(await other.acquire()).toBe(true);
    expect(await lease.acquire()).toBe(false);
    expect(lease.holds()).toBe(false);
    expect(await other.acquire()).toBe(true);
    await other.release();
  });
});

import { randomUUID } from 'node:crypto';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { isRevisionConflict, writeEntries } from '@app/messaging';
import { NATS_URL } from '../../../test/support/nats-state';

describe('writeEntries', () => {
  // This run's own bucket.
  const name = `kvb${randomUUID().slice(0, 8)}`;
  let nats: NatsConnection;
  let kv: KV;

  beforeAll(async () => {
    nats = await connect({ servers: NATS_URL });
    kv = await new Kvm(nats).create(name, { history: 1 });
  });
  afterAll(async () => {
    await kv.destroy();
    await nats.close();
  });

  it('writes every entry at once and gives the revision KV gave each, in order', async () => {
    const writes = Array.from({ length: 1_500 }, (_, i) => ({ kv, key: `k${i}`, value: `{"i":${i}}` }));
    const revisions = await writeEntries(nats, writes);
    expect(revisions).toHaveLength(1_500);
    for (const i of [0, 749, 1_499]) {
      const entry = await kv.get(`k${i}`);
      expect(entry?.json()).toEqual({ i });
      expect(revisions[i]).toBe(entry?.revision);
    }
  });

  it('refuses, as kv.update does, each entry whose revision is not the key’s, and writes the others', async () => {
    const [first] = await writeEntries(nats, [{ kv, key: 'fenced', value: 'one' }]);
    const [stale, created, current] = await writeEntries(nats, [
      { kv, key: 'fenced', value: 'stale', revision: 0 },
      { kv, key: 'fresh', value: 'new', revision: 0 },
      { kv, key: 'fenced', value: 'two', revision: first as number },
    ]);
    expect(isRevisionConflict(stale)).toBe(true);
    expect(typeof created).toBe('number');
    expect(typeof current).toBe('number');
    expect((await kv.get('fenced'))?.string()).toBe('two');
    expect((await kv.get('fresh'))?.string()).toBe('new');
    // The same refusal as nats.js's own.
    const refusal = await kv.update('fenced', 'older', first as number).catch((error: unknown) => error);
    expect(isRevisionConflict(refusal)).toBe(true);
  });

  it('sends nothing more once NATS did not answer a window, and says so for each write left', async () => {
    // A bucket whose stream is gone: no stream takes its subjects, and the server answers so at once.
    const gone = await new Kvm(nats).create(`${name}gone`, { history: 1 });
    await gone.destroy();
    const writes = Array.from({ length: 1_500 }, (_, i) => ({ kv: gone, key: `k${i}`, value: '{}' }));
    const outcomes = await writeEntries(nats, writes);
    expect(outcomes).toHaveLength(1_500);
    expect(outcomes[0]).toEqual(expect.objectContaining({ message: 'no JetStream stream takes this subject' }));
    expect(outcomes[999]).toEqual(expect.objectContaining({ message: 'no JetStream stream takes this subject' }));
    expect(outcomes[1_000]).toEqual(
      expect.objectContaining({
        message: 'not sent, after an earlier write failed: no JetStream stream takes this subject',
      }),
    );
    expect(outcomes[1_499]).toBe(outcomes[1_000]);
  });

  it('refuses a key KV cannot hold before anything is sent', async () => {
    await expect(
      writeEntries(nats, [
        { kv, key: 'good', value: 'x' },
        { kv, key: 'bad key', value: 'x' },
      ]),
    ).rejects.toThrow(/invalid key/);
    expect(await kv.get('good')).toBeNull();
  });
});

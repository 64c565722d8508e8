import { Kvm } from '@nats-io/kv';
import { isRevisionConflict, writeEntries } from '@app/messaging';
import { ownBucket } from './own-bucket';

describe('writeEntries', () => {
  const own = ownBucket('kvb');

  it('writes every entry at once and gives the revision KV gave each, in order', async () => {
    const writes = Array.from({ length: 1_500 }, (_, i) => ({ kv: own.kv, key: `k${i}`, value: `{"i":${i}}` }));
    const revisions = await writeEntries(own.nats, writes);
    expect(revisions).toHaveLength(1_500);
    for (const i of [0, 749, 1_499]) {
      const entry = await own.kv.get(`k${i}`);
      expect(entry?.json()).toEqual({ i });
      expect(revisions[i]).toBe(entry?.revision);
    }
  });

  it('refuses, as kv.update does, each entry whose revision is not the key’s, and writes the others', async () => {
    const [first] = await writeEntries(own.nats, [{ kv: own.kv, key: 'fenced', value: 'one' }]);
    const [stale, created, current] = await writeEntries(own.nats, [
      { kv: own.kv, key: 'fenced', value: 'stale', revision: 0 },
      { kv: own.kv, key: 'fresh', value: 'new', revision: 0 },
      { kv: own.kv, key: 'fenced', value: 'two', revision: first as number },
    ]);
    expect(isRevisionConflict(stale)).toBe(true);
    expect(typeof created).toBe('number');
    expect(typeof current).toBe('number');
    expect((await own.kv.get('fenced'))?.string()).toBe('two');
    expect((await own.kv.get('fresh'))?.string()).toBe('new');
    // The same refusal as nats.js's own.
    const refusal = await own.kv.update('fenced', 'older', first as number).catch((error: unknown) => error);
    expect(isRevisionConflict(refusal)).toBe(true);
  });

  it('sends nothing more once NATS did not answer a window, and says so for each write left', async () => {
    // A bucket whose stream is gone: no stream takes its subjects, and the server answers so at once.
    const gone = await new Kvm(own.nats).create(`${own.name}gone`, { history: 1 });
    await gone.destroy();
    const writes = Array.from({ length: 1_500 }, (_, i) => ({ kv: gone, key: `k${i}`, value: '{}' }));
    const outcomes = await writeEntries(own.nats, writes);
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
      writeEntries(own.nats, [
        { kv: own.kv, key: 'good', value: 'x' },
        { kv: own.kv, key: 'bad key', value: 'x' },
      ]),
    ).rejects.toThrow(/invalid key/);
    expect(await own.kv.get('good')).toBeNull();
  });
});

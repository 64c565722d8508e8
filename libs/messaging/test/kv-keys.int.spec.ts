import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { bucketKeys, withTimeout } from '@app/messaging';
import { NATS_URL } from '../../../test/support/nats-state';

/** Puts its bucket's keys `k0`…`k17` over and over, 16 writes in flight, until it is killed. */
const WRITER = `
const { connect } = require('@nats-io/transport-node');
const { Kvm } = require('@nats-io/kv');
(async () => {
  const kv = await new Kvm(await connect({ servers: process.argv[1] })).open(process.argv[2]);
  let n = 0;
  const lane = async () => { for (;;) await kv.put('k' + (n++ % 18), String(n)); };
  for (let i = 0; i < 16; i++) void lane();
})();
`;

describe('bucketKeys', () => {
  // This run's own buckets.
  const name = `kvk${randomUUID().slice(0, 8)}`;
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

  it('lists the keys that match, a deleted key among them while its marker is', async () => {
    const empty = await new Kvm(nats).create(`${name}empty`, { history: 1 });
    try {
      expect(await bucketKeys(empty)).toEqual([]);
    } finally {
      await empty.destroy();
    }
    for (const key of ['a.1', 'a.2', 'a.2', 'b.1', 'gone', 'purged']) await kv.put(key, 'x');
    await kv.delete('gone');
    await kv.purge('purged');

    expect((await bucketKeys(kv)).sort()).toEqual(['a.1', 'a.2', 'b.1', 'gone', 'purged']);
    expect((await bucketKeys(kv, 'a.*')).sort()).toEqual(['a.1', 'a.2']);
    expect(await bucketKeys(kv, 'b.>')).toEqual(['b.1']);
    expect(await bucketKeys(kv, 'c.*')).toEqual([]);
    expect((await kv.get('gone'))?.operation).toBe('DEL');
    await expect(bucketKeys(kv, 'a b')).rejects.toThrow(/invalid key/);
  });

  it('ends while another process writes the bucket faster than this one reads it', async () => {
    const busy = await new Kvm(nats).create(`${name}busy`, { history: 1 });
    let writer: ChildProcess | undefined;
    let blocker: NodeJS.Timeout | undefined;
    try {
      writer = spawn(process.execPath, ['-e', WRITER, NATS_URL, `${name}busy`], { stdio: 'ignore' });
      // Under way: every key written, and hundreds of writes since.
      const deadline = Date.now() + 10_000;
      while ((await busy.status()).streamInfo.state.last_seq < 500) {
        if (Date.now() > deadline) throw new Error('the writer did not write');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // This process busy 20 ms out of every 25, as one starting on a loaded machine is: a consumer of the bucket
      // here falls behind the writer for good (nats.js's `kv.keys()` then never ends).
      blocker = setInterval(() => {
        const until = Date.now() + 20;
        while (Date.now() < until);
      }, 25);
      const keys = await withTimeout(bucketKeys(busy), 10_000, 'the keys were not listed');
      expect(keys.sort()).toEqual(Array.from({ length: 18 }, (_, i) => `k${i}`).sort());
    } finally {
      clearInterval(blocker);
      writer?.kill('SIGKILL');
      await busy.destroy();
    }
  });
});

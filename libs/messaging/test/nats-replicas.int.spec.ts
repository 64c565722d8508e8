import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { replicatedBucket, replicatedObjectStore } from '@app/messaging';
import { NATS_URL } from '../../../test/support/nats-state';
import { startSilentNats } from '../../../test/support/silent-nats';

/** On the shared NATS, a single server: the cluster's side is in test/replicated-nats.int.spec.ts. */
describe('replicas on a NATS server that is not clustered', () => {
  const name = `replicas${randomUUID().slice(0, 8)}`;
  let nats: NatsConnection;

  beforeAll(async () => {
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    const jsm = await jetstreamManager(nats);
    for (const stream of [`KV_${name}`, `KV_${name}_new`, `OBJ_${name}`])
      await jsm.streams.delete(stream).catch(() => false);
    await nats.close();
  });

  const unclustered = /NATS_REPLICAS=3, but the NATS server is not part of a JetStream cluster.*set NATS_REPLICAS=1/;

  it('makes and opens buckets with one replica', async () => {
    const kv = await replicatedBucket(nats, name, { history: 1 }, 1);
    await kv.put('k', 'v');
    expect((await kv.status()).replicas).toBe(1);
    // Made already: opened as it is.
    const again = await replicatedBucket(nats, name, { history: 1 }, 1);
    expect((await again.get('k'))?.string()).toBe('v');
  });

  it('refuses more with the setting named, for a bucket or store it would make and for one it finds', async () => {
    await expect(replicatedBucket(nats, `${name}_new`, { history: 1 }, 3)).rejects.toThrow(unclustered);
    await expect(replicatedObjectStore(nats, name, 3)).rejects.toThrow(unclustered);
    // One made before with one copy, which the server would keep at one whatever the update said.
    await new Kvm(nats).create(name, { history: 1 });
    await expect(replicatedBucket(nats, name, { history: 1 }, 3)).rejects.toThrow(unclustered);
  });
});

describe('a bucket on a NATS that takes connections and answers no request', () => {
  it('fails within seconds, saying JetStream does not answer, rather than trying for the whole settle time', async () => {
    const silent = await startSilentNats();
    const nats = await connect({ servers: silent.url });
    try {
      const started = Date.now();
      // Past the request's own 5 s: the account info asked then, in at most 2 s more, is not answered either.
      await expect(replicatedBucket(nats, 'anything', { history: 1 }, undefined)).rejects.toThrow(
        /NATS JetStream does not answer: the bucket anything timed out, and so did its account info/,
      );
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await nats.close();
      await silent.stop();
    }
  }, 60_000);
});

import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ObjectStore } from '@nats-io/obj';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/projections';
import { LogCheckpoints, type LogCheckpoint } from '../src/checkpoints/log-checkpoints';
import type { DueSnapshot } from '../src/reconciler/due-payments';
import { RECONCILER_CHECKPOINT, type ReconcilerSnapshot } from '../src/reconciler/reconciler-checkpoints';

/** A snapshot of many chunks (the object store's are 128 KiB): a reader takes a while over it. */
const large = (position: bigint): LogCheckpoint<ReconcilerSnapshot> => ({
  position,
  state: { due: { padding: 'x'.repeat(1024 * 1024) } as unknown as DueSnapshot },
});

describe("the reconciler's checkpoint (NATS object store)", () => {
  const prefix = uniquePrefix();
  let nats: NatsConnection;
  beforeAll(async () => (nats = await connect({ servers: NATS_URL })));
  afterAll(async () => {
    await nats.close();
    await removeNatsState(prefix);
  });

  it('reads the newer one when another instance saves it during the read, where the read waited out its limit', async () => {
    const checkpoints = await LogCheckpoints.open<ReconcilerSnapshot>(nats, prefix, RECONCILER_CHECKPOINT, 1);
    await checkpoints.save('log-1', large(10n));
    // Another instance saves while this one reads, and the chunks still to come are purged under the reader: its
    // stream stops and never ends. The server here delivers a whole object before a save can purge it, so the
    // stream is given as the object store leaves it then: the first chunk of the real one, and nothing after.
    const store: ObjectStore = Reflect.get(checkpoints, 'store');
    const get = store.get.bind(store);
    let saved = false;
    store.get = async (name) => {
      const result = await get(name);
      if (saved || !result) return result;
      saved = true;
      const first = await result.data.getReader().read();
      await checkpoints.save('log-1', large(20n));
      const stalled = new ReadableStream<Uint8Array>({ start: (controller) => controller.enqueue(first.value) });
      return { ...result, data: stalled };
    };
    const started = Date.now();
    const loaded = await checkpoints.load('log-1');
    expect(saved).toBe(true);
    expect(loaded?.position).toBe(20n);
    // Well within the 10 s a read gives up after (and the log is then followed from its start).
    expect(Date.now() - started).toBeLessThan(8_000);
  });
});

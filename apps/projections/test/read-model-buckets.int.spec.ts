import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { natsNames } from '@app/messaging';
import { succeeds, waitUntil } from '../../../test/support/app-process';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/projections';
import { FenceLostError, ReadModelBuckets } from '../src/projector/read-model.buckets';
import { REBUILD_SUFFIX } from '../src/rebuild/rebuild';
import { emptyStoreDay } from '../src/read-models/projections/store-day.projection';
import { emptyStore } from '../src/read-models/projections/store.projection';
import type { Change } from '../src/read-models/read-model.types';

const terminal = (position: number, status: 'idle' | 'awaiting_card' = 'idle'): Change => ({
  model: 'terminal',
  key: 'oslo.T-1',
  doc: { storeId: 'oslo', terminalId: 'T-1', status, position: String(position) },
});

/** A store's document at a position: what the buckets look at of it. */
const storeAt = (storeId: string, position: number): Change => ({
  model: 'store',
  key: storeId,
  doc: { ...emptyStore(storeId), position: String(position) },
});

/** The positions published on a subject, in the order they arrive; an empty body counts as a removal. */
function received(subscription: Subscription): string[] {
  const seen: string[] = [];
  void (async () => {
    for await (const msg of subscription)
      seen.push(
        msg.data.length === 0 ? `removed (${msg.headers?.get('KV-Operation')})` : msg.json<Change['doc']>().position,
      );
  })();
  return seen;
}

let nats: NatsConnection;
beforeAll(async () => {
  nats = await connect({ servers: NATS_URL });
});
afterAll(() => nats.close());

describe('read-model buckets: KV publishes what it takes on the change subjects', () => {
  const prefix = uniquePrefix();
  const names = natsNames(prefix);
  afterAll(() => removeNatsState(prefix));

  it('publishes each write KV accepts, in KV order, and nothing for one fenced out', async () => {
    const seen = received(nats.subscribe(names.changes.terminal('oslo', 'T-1')));
    await nats.flush();
    const writer = await ReadModelBuckets.open(nats, prefix);
    // An instance that was paused: it never read the document, and offers an older one.
    const woken = await ReadModelBuckets.open(nats, prefix);

    expect((await writer.putFenced([terminal(10, 'awaiting_card')])).written).toHaveLength(1);
    const fenced = await woken.putFenced([terminal(5)]);
    expect(fenced).toEqual({ written: [], newer: [terminal(10, 'awaiting_card')] });
    expect((await woken.putFenced([terminal(12)])).written).toHaveLength(1);

    await waitUntil(() => seen.length >= 2, 5_000, 'two changes');
    await nats.flush();
    expect(seen).toEqual(['10', '12']);
  });

  it('refuses a document older than KV’s however often it is sent again, and takes the next newer one', async () => {
    const writer = await ReadModelBuckets.open(nats, prefix);
    const woken = await ReadModelBuckets.open(nats, prefix);
    await writer.putFenced([storeAt('bergen', 10)]);
    expect(await woken.putFenced([storeAt('bergen', 5)])).toEqual({ written: [], newer: [storeAt('bergen', 10)] });
    // The same older document again, as a flush that failed after its documents sends them again.
    expect(await woken.putFenced([storeAt('bergen', 5)])).toEqual({ written: [], newer: [storeAt('bergen', 10)] });
    expect(await writer.get('store', 'bergen')).toEqual(storeAt('bergen', 10).doc);
    expect((await woken.putFenced([storeAt('bergen', 12)])).written).toEqual([storeAt('bergen', 12)]);
    expect(await writer.get('store', 'bergen')).toEqual(storeAt('bergen', 12).doc);
  });

  it('publishes nothing of a rebuild’s generation until it is copied into the live one', async () => {
    const seen = received(nats.subscribe(`${prefix}.v1.store.*`));
    await nats.flush();
    const live = await ReadModelBuckets.open(nats, prefix);
    const rebuilt = await ReadModelBuckets.open(nats, prefix, REBUILD_SUFFIX);
    await live.put([storeAt('bergen', 3)]);
    await rebuilt.put([storeAt('oslo', 7)]);
    await live.put([storeAt('tromso', 8)]);
    await waitUntil(() => seen.length >= 2, 5_000, 'the two live writes');
    expect(seen).toEqual(['3', '8']);

    // Adopted: the copy publishes the rebuilt document, and the removal of the one the rebuild lacks.
    await live.copyFrom(rebuilt, () => undefined);
    await waitUntil(() => seen.length >= 5, 5_000, 'the copy and the removals');
    expect(seen.slice(2).sort()).toEqual(['7', 'removed (DEL)', 'removed (DEL)']);
    await rebuilt.destroy();
  });

  /** Whether this server lets a stream's republishing change (nats-server before 2.9.12 does not). */
  const republishUpdatable = async (): Promise<boolean> => {
    const probe = `${uniquePrefix()}_probe`;
    const jsm = await jetstreamManager(nats);
    await new Kvm(nats).create(probe, { history: 1 });
    try {
      return await succeeds(
        jsm.streams.update(`KV_${probe}`, { republish: { src: `$KV.${probe}.>`, dest: `${probe}.changes.>` } }),
      );
    } finally {
      await jsm.streams.delete(`KV_${probe}`);
    }
  };

  it('gives buckets of an earlier version their publishing where the server can, and changes nothing else', async () => {
    const older = uniquePrefix();
    const olderNames = natsNames(older);
    const day = (position: number): Change => ({
      model: 'store-day',
      key: 'oslo.2026-12-02',
      doc: { ...emptyStoreDay('oslo', '2026-12-02', 'Europe/Oslo'), position: String(position) },
    });
    try {
      // As an earlier version left them: documents and a checkpoint, and no republishing.
      const kvm = new Kvm(nats);
      for (const bucket of [olderNames.buckets.terminals, olderNames.buckets.stores, olderNames.buckets.storeDays])
        await kvm.create(bucket, { history: 1 });
      await (await kvm.open(olderNames.buckets.storeDays)).put('oslo.2026-12-02', JSON.stringify(day(4).doc));
      await (
        await kvm.create(`${older}_projections`, { history: 1 })
      ).put('checkpoint', JSON.stringify({ position: '4', logId: 'l' }));
      const updatable = await republishUpdatable();

      const seen = received(nats.subscribe(`${older}.v1.store-day.>`));
      await nats.flush();
      const buckets = await ReadModelBuckets.open(nats, older);
      expect(buckets.publishedByNats).toBe(updatable);
      // Nothing is lost either way: the documents and the checkpoint stay.
      expect(await buckets.get('store-day', 'oslo.2026-12-02')).toEqual(day(4).doc);
      expect(await buckets.checkpoint()).toEqual({ position: 4n, logId: 'l' });
      if (updatable) {
        await buckets.put([day(9)]);
        await waitUntil(() => seen.length >= 1, 5_000, 'the day published');
        expect(seen).toEqual(['9']);
      }
    } finally {
      await removeNatsState(older);
    }
  });
});

describe('read-model buckets: an adoption is fenced', () => {
  const prefix = uniquePrefix();
  afterAll(() => removeNatsState(prefix));

  it('stops at the first document another instance wrote after the copy began, and leaves it as it is', async () => {
    const paused = await ReadModelBuckets.open(nats, prefix);
    const writer = await ReadModelBuckets.open(nats, prefix);
    const rebuilt = await ReadModelBuckets.open(nats, prefix, REBUILD_SUFFIX);
    const store = storeAt('oslo', 7);
    const olderStore = storeAt('oslo', 3);
    await paused.putFenced([terminal(3), olderStore]);
    await rebuilt.put([store, terminal(7)]);

    // Stores are copied before terminals: once the store is, the new writer writes the terminal, before the copy
    // goes on, as when the copying instance was paused there. (Started from the copy's callback, without waiting,
    // the write raced the copy to KV: a faster listing of the terminals' keys once let the copy win.)
    const copy = paused as unknown as { putOver(changes: readonly Change[]): Promise<void> };
    const putOver = copy.putOver.bind(paused);
    jest.spyOn(copy, 'putOver').mockImplementationOnce(async (changes) => {
      await putOver(changes);
      expect(changes).toEqual([store]);
      await writer.putFenced([terminal(20, 'awaiting_card')]);
    });
    await expect(paused.copyFrom(rebuilt, () => undefined)).rejects.toBeInstanceOf(FenceLostError);
    expect(await writer.get('terminal', 'oslo.T-1')).toEqual(terminal(20, 'awaiting_card').doc);
    // What was copied before the writer came stays copied: the writer folds on over it, fenced by position.
    expect(await writer.get('store', 'oslo')).toEqual(store.doc);
    await rebuilt.destroy();
  });

  it('withdraws only the offer it adopted: one a later rebuild made meanwhile stays', async () => {
    const buckets = await ReadModelBuckets.open(nats, prefix);
    await buckets.offerHandOver({ suffix: `${REBUILD_SUFFIX}_a`, position: '5', documents: 1 });
    const adopted = await buckets.handOverAt();
    await buckets.offerHandOver({ suffix: `${REBUILD_SUFFIX}_b`, position: '9', documents: 2 });
    expect(await buckets.clearHandOver(adopted!.revision)).toBe(false);
    expect(await buckets.handOver()).toEqual({ suffix: `${REBUILD_SUFFIX}_b`, position: '9', documents: 2 });
    expect(await buckets.clearHandOver((await buckets.handOverAt())!.revision)).toBe(true);
    expect(await buckets.handOver()).toBeUndefined();
  });

  it('moves the checkpoint back only from the revision it knows', async () => {
    const paused = await ReadModelBuckets.open(nats, prefix);
    const writer = await ReadModelBuckets.open(nats, prefix);
    await paused.saveCheckpoint(100n, 'log-a');
    expect(await writer.saveCheckpoint(150n, 'log-a')).toBe(true);
    await expect(paused.resetCheckpoint(40n, 'log-a', 1)).rejects.toBeInstanceOf(FenceLostError);
    expect(await writer.checkpoint()).toEqual({ position: 150n, logId: 'log-a' });
  });

  it('keeps the checkpoint of a later adoption, even behind the one a writer from before it saves', async () => {
    const paused = await ReadModelBuckets.open(nats, prefix);
    const adopter = await ReadModelBuckets.open(nats, prefix);
    await paused.saveCheckpoint(200n, 'log-b');
    await adopter.checkpoint();
    await adopter.resetCheckpoint(150n, 'log-b', 1);
    expect(await paused.saveCheckpoint(180n, 'log-b')).toBe(false);
    expect(await adopter.checkpoint()).toEqual({ position: 150n, logId: 'log-b', adoptions: 1 });
    // The adopter's own writes, of its generation, move it on.
    expect(await adopter.saveCheckpoint(160n, 'log-b', 1)).toBe(true);
    expect(await paused.checkpoint()).toEqual({ position: 160n, logId: 'log-b', adoptions: 1 });
  });

  it('copies a document over a key whose last entry is a delete marker, as kv.create does', async () => {
    const earlier = await ReadModelBuckets.open(nats, prefix);
    const live = await ReadModelBuckets.open(nats, prefix);
    const rebuilt = await ReadModelBuckets.open(nats, prefix, REBUILD_SUFFIX);
    // Written and deleted before this instance began (as a replaced log's documents are).
    await earlier.putFenced([storeAt('bergen', 4)]);
    const stores = await new Kvm(nats).open(natsNames(prefix).buckets.stores);
    await stores.delete('bergen');
    await rebuilt.put([storeAt('bergen', 9), terminal(9)]);

    await live.copyFrom(rebuilt, () => undefined);
    expect(await live.get('store', 'bergen')).toEqual(storeAt('bergen', 9).doc);
    expect(await live.get('terminal', 'oslo.T-1')).toEqual(terminal(9).doc);
    await rebuilt.destroy();
  });

  it('copies over a document this instance wrote and another deleted since, before the copy began', async () => {
    const first = await ReadModelBuckets.open(nats, prefix);
    const second = await ReadModelBuckets.open(nats, prefix);
    const rebuilt = await ReadModelBuckets.open(nats, prefix, REBUILD_SUFFIX);
    await first.putFenced([storeAt('trondheim', 5)]);
    // The other instance replaced every document (another log's, without this store): it deleted this one.
    await second.replaceAll([terminal(6)]);
    expect(await second.get('store', 'trondheim')).toBeUndefined();
    await rebuilt.put([storeAt('trondheim', 11), terminal(11)]);

    // Nothing was written after the copy began: it is not fenced out by the revision it wrote before.
    await first.copyFrom(rebuilt, () => undefined);
    expect(await first.get('store', 'trondheim')).toEqual(storeAt('trondheim', 11).doc);
    await rebuilt.destroy();
  });

  it('takes a key the rebuilt buckets hold only as a delete marker as absent, and deletes nothing twice', async () => {
    const live = await ReadModelBuckets.open(nats, prefix);
    const rebuilt = await ReadModelBuckets.open(nats, prefix, REBUILD_SUFFIX);
    const { stores } = natsNames(prefix).buckets;
    await live.putFenced([storeAt('molde', 3), storeAt('skien', 3), storeAt('alta', 3)]);
    // Deleted before the copy: its marker is the key's last entry, and must stay the last.
    const liveStores = await new Kvm(nats).open(stores);
    await liveStores.delete('alta');
    const altaDeleted = (await liveStores.get('alta'))!.revision;
    await rebuilt.put([storeAt('molde', 8), storeAt('skien', 8)]);
    await (await new Kvm(nats).open(`${stores}${REBUILD_SUFFIX}`)).delete('skien');

    const copied: string[] = [];
    await live.copyFrom(rebuilt, (change) => copied.push(change.key));
    expect(copied).toEqual(['molde']);
    expect(await live.get('store', 'molde')).toEqual(storeAt('molde', 8).doc);
    expect(await live.get('store', 'skien')).toBeUndefined();
    expect(await liveStores.get('alta')).toEqual(expect.objectContaining({ operation: 'DEL', revision: altaDeleted }));
    await rebuilt.destroy();
  });
});

describe('read-model buckets: a takeover fences every writer from before it', () => {
  const prefix = uniquePrefix();
  afterAll(() => removeNatsState(prefix));

  it('stops an adoption that read the documents after the takeover, before it writes over any', async () => {
    const paused = await ReadModelBuckets.open(nats, prefix);
    const next = await ReadModelBuckets.open(nats, prefix);
    const rebuilt = await ReadModelBuckets.open(nats, prefix, REBUILD_SUFFIX);
    await paused.claim('paused#1');
    await paused.putFenced([storeAt('oslo', 5)]);
    await paused.saveCheckpoint(5n, 'log-c');
    await rebuilt.put([storeAt('oslo', 3)]);
    // The paused instance passed its clock check; meanwhile the next one took over and wrote on.
    await next.claim('next#1');
    await next.putFenced([storeAt('oslo', 9)]);

    await expect(paused.copyFrom(rebuilt, () => undefined)).rejects.toBeInstanceOf(FenceLostError);
    expect(await next.get('store', 'oslo')).toEqual(storeAt('oslo', 9).doc);
    expect(await next.checkpoint()).toMatchObject({ position: 5n, writer: 'next#1' });
    await rebuilt.destroy();
  });

  it('stops a writer from before an adoption from writing its later documents over the adopted ones', async () => {
    const paused = await ReadModelBuckets.open(nats, prefix);
    const next = await ReadModelBuckets.open(nats, prefix);
    const rebuilt = await ReadModelBuckets.open(nats, prefix, REBUILD_SUFFIX);
    await paused.claim('paused#2');
    await paused.putFenced([storeAt('bergen', 10)]);
    await paused.saveCheckpoint(10n, 'log-c');
    // The next instance takes over and adopts a rebuild whose documents are behind the live ones.
    await next.claim('next#2');
    await rebuilt.put([storeAt('bergen', 4)]);
    await next.copyFrom(rebuilt, () => undefined);
    await next.resetCheckpoint(4n, 'log-c', 1);

    // Positions before and after an adoption are not comparable: the later one from before must not win.
    await expect(paused.putFenced([storeAt('bergen', 12)])).rejects.toBeInstanceOf(FenceLostError);
    await expect(paused.saveCheckpoint(12n, 'log-c')).rejects.toBeInstanceOf(FenceLostError);
    expect(await next.get('store', 'bergen')).toEqual(storeAt('bergen', 4).doc);
    expect(await next.checkpoint()).toEqual({ position: 4n, logId: 'log-c', adoptions: 1, writer: 'next#2' });
    // The writer itself goes on: its documents and checkpoint move forward as before.
    expect((await next.putFenced([storeAt('bergen', 6)])).written).toHaveLength(1);
    expect(await next.saveCheckpoint(6n, 'log-c', 1)).toBe(true);
    await rebuilt.destroy();
  });

  it('stops an adoption before it deletes a document the next writer wrote during its copy', async () => {
    const paused = await ReadModelBuckets.open(nats, prefix);
    const next = await ReadModelBuckets.open(nats, prefix);
    const rebuilt = await ReadModelBuckets.open(nats, prefix, REBUILD_SUFFIX);
    await paused.claim('paused#3');
    await rebuilt.put([storeAt('tromso', 3)]);
    // The next instance takes over and writes a store of its own while the paused one copies the stores.
    const copy = paused as unknown as { putOver(changes: readonly Change[]): Promise<void> };
    const putOver = copy.putOver.bind(paused);
    jest.spyOn(copy, 'putOver').mockImplementationOnce(async (changes) => {
      await putOver(changes);
      await next.claim('next#3');
      await next.putFenced([storeAt('narvik', 20)]);
    });

    await expect(paused.copyFrom(rebuilt, () => undefined)).rejects.toBeInstanceOf(FenceLostError);
    expect(await next.get('store', 'narvik')).toEqual(storeAt('narvik', 20).doc);
    await rebuilt.destroy();
  });

  it('deletes a key it knows no revision of only at the revision it read: written again meanwhile, it stays', async () => {
    const writer = await ReadModelBuckets.open(nats, prefix);
    const rebuilt = await ReadModelBuckets.open(nats, prefix, `${REBUILD_SUFFIX}_stray`);
    await writer.claim('writer#6');
    await rebuilt.put([storeAt('vardo', 1)]);
    const live = await new Kvm(nats).open(natsNames(prefix).buckets.stores);
    // A key none of the rebuild's, written after the copy read the documents, and again right after it read that key.
    const copy = writer as unknown as { putOver(changes: readonly Change[]): Promise<void>; buckets: { store: KV } };
    const putOver = copy.putOver.bind(writer);
    jest.spyOn(copy, 'putOver').mockImplementationOnce(async (changes) => {
      await putOver(changes);
      await live.put('stray', JSON.stringify(storeAt('stray', 2).doc));
    });
    const stores = copy.buckets.store;
    const get = stores.get.bind(stores);
    jest.spyOn(stores, 'get').mockImplementation(async (key) => {
      const entry = await get(key);
      if (key === 'stray') await live.put('stray', JSON.stringify(storeAt('stray', 3).doc));
      return entry;
    });

    await expect(writer.copyFrom(rebuilt, () => undefined)).rejects.toBeInstanceOf(FenceLostError);
    jest.restoreAllMocks();
    expect(await writer.get('store', 'stray')).toEqual(storeAt('stray', 3).doc);
    await rebuilt.destroy();
  });

  it("reads the checkpoint for its fence from the stream's leader, which a replica's direct get could lag", async () => {
    const prefix = uniquePrefix();
    try {
      const stream = `KV_${prefix}_projections`;
      const reads: string[] = [];
      for (const subject of [
        `$JS.API.DIRECT.GET.${stream}`,
        `$JS.API.DIRECT.GET.${stream}.>`,
        `$JS.API.STREAM.MSG.GET.${stream}`,
      ]) {
        const subscription = nats.subscribe(subject);
        void (async () => {
          for await (const msg of subscription)
            reads.push(msg.subject.startsWith('$JS.API.DIRECT') ? 'direct' : 'leader');
        })();
      }
      await nats.flush();
      const writer = await ReadModelBuckets.open(nats, prefix);
      await writer.claim('takeover-1');
      await writer.putFenced([storeAt('oslo', 3)]);
      await nats.flush();
      await waitUntil(() => reads.length >= 2, 5_000, 'the fence reads');
      expect(new Set(reads)).toEqual(new Set(['leader']));
    } finally {
      await removeNatsState(prefix);
    }
  });

  it('stops a writer from before a takeover before it creates a document the next writer has not written yet', async () => {
    const paused = await ReadModelBuckets.open(nats, prefix);
    const next = await ReadModelBuckets.open(nats, prefix);
    await paused.claim('paused#4');
    await next.claim('next#4');
    await expect(paused.putFenced([storeAt('alta', 30)])).rejects.toBeInstanceOf(FenceLostError);
    expect(await next.get('store', 'alta')).toBeUndefined();
  });

  it('stops a copy whose rebuilt buckets are gone (a later rebuild removed them), and deletes nothing', async () => {
    const writer = await ReadModelBuckets.open(nats, prefix);
    const rebuilt = await ReadModelBuckets.open(nats, prefix, `${REBUILD_SUFFIX}_gone`);
    await writer.claim('writer#5');
    await writer.putFenced([storeAt('hamar', 40)]);
    await rebuilt.put([storeAt('hamar', 41)]);
    await rebuilt.destroy();

    await expect(writer.copyFrom(rebuilt, () => undefined)).rejects.toThrow(/stream not found/);
    expect(await writer.get('store', 'hamar')).toEqual(storeAt('hamar', 40).doc);
  });

  it('lets only the last takeover claim: one that read the checkpoint before another’s claim is refused', async () => {
    const first = await ReadModelBuckets.open(nats, prefix);
    const second = await ReadModelBuckets.open(nats, prefix);
    await first.claim('first#1');
    await second.claim('second#1');
    await expect(first.saveCheckpoint(99n, 'log-c', 1)).rejects.toBeInstanceOf(FenceLostError);
    expect(await second.checkpoint()).toMatchObject({ writer: 'second#1' });
  });
});

describe('read-model buckets: an entry that is not a document', () => {
  const prefix = uniquePrefix();
  afterAll(() => removeNatsState(prefix));

  it('is refused by name, left out of the load, and written over at its revision by the next document', async () => {
    const buckets = await ReadModelBuckets.open(nats, prefix);
    await buckets.putFenced([storeAt('oslo', 5), storeAt('bergen', 6), storeAt('molde', 7)]);
    const stores = await new Kvm(nats).open(natsNames(prefix).buckets.stores);
    await stores.put('oslo', 'not json {');
    await stores.put('bergen', JSON.stringify({ storeId: 'bergen', position: 'six' }));
    // A position, but not a store a fold can go on from: its terminals are not counted.
    await stores.put('molde', JSON.stringify({ ...storeAt('molde', 8).doc, terminals: 3 }));

    for (const [key, reason] of [
      ['oslo', /is not valid JSON/],
      ['bergen', /it has no position/],
      ['molde', /\/terminals must be object/],
    ] as const)
      await expect(buckets.get('store', key)).rejects.toMatchObject({
        name: 'UnreadableDocumentError',
        model: 'store',
        key,
        message: expect.stringMatching(reason),
      });
    const unreadable: string[] = [];
    const loaded: Change[] = [];
    const reloaded = await ReadModelBuckets.open(nats, prefix);
    for await (const change of reloaded.loadAll((error) => unreadable.push(error.key))) loaded.push(change);
    expect(unreadable.sort()).toEqual(['bergen', 'molde', 'oslo']);
    expect(loaded).toEqual([]);

    // The fold's next document for the key replaces it, at the revision the load read.
    expect((await reloaded.putFenced([storeAt('oslo', 7)])).written).toHaveLength(1);
    expect(await reloaded.get('store', 'oslo')).toEqual(storeAt('oslo', 7).doc);
  });
});

describe('read-model buckets: the store days a projector loads', () => {
  const prefix = uniquePrefix();
  afterAll(() => removeNatsState(prefix));

  it('writes every store day of a flush before any other document, a day refused for its revision included', async () => {
    const names = natsNames(prefix);
    const day = (position: number): Change => ({
      model: 'store-day',
      key: 'molde.2026-11-03',
      doc: { ...emptyStoreDay('molde', '2026-11-03', 'Europe/Oslo'), position: String(position) },
    });
    const molde: Change = {
      model: 'terminal',
      key: 'molde.T-9',
      doc: { storeId: 'molde', terminalId: 'T-9', status: 'idle', position: '9' },
    };
    const writer = await ReadModelBuckets.open(nats, prefix);
    await writer.claim('test#2');
    await writer.putFenced([day(5)]);
    // Another instance wrote the day since: the revision this one knows is stale, so its next write is refused once.
    const other = await ReadModelBuckets.open(nats, prefix);
    await other.putFenced([day(6)]);
    const order: string[] = [];
    const changes = nats.subscribe(`${prefix}.v1.>`);
    void (async () => {
      for await (const message of changes)
        if (message.subject === names.changes.storeDay('molde', '2026-11-03') || message.subject.endsWith('.molde.T-9'))
          order.push(message.subject.includes('store-day') ? 'store-day' : 'terminal');
    })();
    await nats.flush();
    const put = await writer.putFenced([molde, day(9)]);
    expect(put.written.map((change) => change.model).sort()).toEqual(['store-day', 'terminal']);
    await waitUntil(() => order.length >= 2, 5_000, 'both changes');
    changes.unsubscribe();
    expect(order).toEqual(['store-day', 'terminal']);
  });

  it("counts a store's window from its latest day with a document, not from a deleted one", async () => {
    const day = (date: string, position: number): Change => ({
      model: 'store-day',
      key: `oslo.${date}`,
      doc: { ...emptyStoreDay('oslo', date, 'Europe/Oslo'), position: String(position) },
    });
    const buckets = await ReadModelBuckets.open(nats, prefix);
    await buckets.claim('test#1');
    await buckets.putFenced([day('2026-11-01', 5), day('2026-11-02', 6)]);
    // A later day KV no longer has (a rebuild without it, or a replaced log): its key is listed while its marker is.
    const days = await new Kvm(nats).open(natsNames(prefix).buckets.storeDays);
    await days.put('oslo.2026-11-20', JSON.stringify(day('2026-11-20', 7).doc));
    await days.delete('oslo.2026-11-20');
    const loaded: string[] = [];
    for await (const change of (await ReadModelBuckets.open(nats, prefix)).loadAll(() => undefined))
      loaded.push(`${change.model}:${change.key}`);
    // Oslo's days (the other test of these buckets wrote Molde's).
    expect(loaded.filter((key) => key.includes('oslo'))).toEqual([
      'store-day:oslo.2026-11-01',
      'store-day:oslo.2026-11-02',
    ]);
  });
});

describe('read-model buckets: documents an earlier version wrote', () => {
  const prefix = uniquePrefix();
  afterAll(() => removeNatsState(prefix));

  it("answers a store day kept before its terminals' totals were per currency in this version's shape", async () => {
    const buckets = await ReadModelBuckets.open(nats, prefix);
    const old = {
      ...emptyStoreDay('oslo', '2026-10-01', 'Europe/Oslo'),
      currencies: { NOK: { capturedCount: 1, capturedAmount: 100, refundedCount: 0, refundedAmount: 0, net: 100 } },
      terminals: { 'T-1': { capturedCount: 1, capturedAmount: 100, refundedAmount: 0 } },
      position: '5',
    };
    const days = await new Kvm(nats).open(natsNames(prefix).buckets.storeDays);
    await days.put('oslo.2026-10-01', JSON.stringify(old));
    // As a query for a day out of the projector's memory reads it.
    expect(await buckets.get('store-day', 'oslo.2026-10-01')).toMatchObject({
      terminals: { 'T-1': { currencies: { NOK: { capturedCount: 1, capturedAmount: 100, refundedAmount: 0 } } } },
    });
  });
});

describe('read-model buckets: what a fold begins from is read from each stream leader', () => {
  const prefix = uniquePrefix();
  afterAll(() => removeNatsState(prefix));

  it('reads documents and the checkpoint by message get, never by a direct get a replica behind may answer', async () => {
    const writer = await ReadModelBuckets.open(nats, prefix);
    await writer.claim('w#1');
    await writer.putFenced([terminal(3), storeAt('oslo', 3)]);
    await writer.saveCheckpoint(3n, 'log-1');
    const names = natsNames(prefix).buckets;
    const streams = [names.terminals, names.stores, names.storeDays, `${prefix}_projections`].map(
      (bucket) => `KV_${bucket}`,
    );
    // JetStream's API requests, as the server routes them: a direct get any replica answers, or the leader's get.
    const direct = streams.map((stream) => nats.subscribe(`$JS.API.DIRECT.GET.${stream}.>`));
    const directLast = streams.map((stream) => nats.subscribe(`$JS.API.DIRECT.GET.${stream}`));
    const leader = streams.map((stream) => nats.subscribe(`$JS.API.STREAM.MSG.GET.${stream}`));
    await nats.flush();

    const reader = await ReadModelBuckets.open(nats, prefix);
    const loaded: string[] = [];
    for await (const change of reader.loadAll(() => undefined)) loaded.push(change.key);
    expect(loaded.sort()).toEqual(['oslo', 'oslo.T-1']);
    expect(await reader.get('terminal', 'oslo.T-1')).toMatchObject({ position: '3' });
    expect((await reader.checkpoint()).position).toBe(3n);
    // Every request sent before this round trip has reached the subscriptions by its end.
    await nats.flush();
    const count = (subscriptions: Subscription[]) =>
      subscriptions.reduce((sum, subscription) => sum + subscription.getReceived(), 0);
    expect(count(direct) + count(directLast)).toBe(0);
    expect(count(leader)).toBeGreaterThanOrEqual(3);
    for (const subscription of [...direct, ...directLast, ...leader]) subscription.unsubscribe();
  });
});

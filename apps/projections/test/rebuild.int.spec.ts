import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { logIdentity, markOf, SqliteEventStore } from '@app/event-store';
import { natsNames } from '@app/messaging';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import {
  bucketContents,
  foldFromScratch,
  NATS_URL,
  removeNatsState,
  startProjections,
  uniquePrefix,
} from '../../../test/support/projections';
import { EventFeed } from '../src/projector/event-feed';
import { PROJECTED_STREAMS, ProjectorService } from '../src/projector/projector.service';
import { ReadModelBuckets, type HandOver } from '../src/projector/read-model.buckets';
import { FOLD_VERSION } from '../src/read-models/fold-version';
import { rebuildReadModels, REBUILD_SUFFIX } from '../src/rebuild/rebuild';
import { RebuildLock, RebuildRefusedError } from '../src/rebuild/rebuild-lock';

const AT = '2026-11-24T10:00:00.000Z';

/** A payment at the terminal, presented, until it has an outcome; the simulator left idle. */
async function pay(engine: Engine, storeId: string, terminalId: string, amount: number): Promise<void> {
  const { paymentId } = await engine.start(storeId, terminalId, amount);
  await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
  await engine.waitForPayment(paymentId as string, (s) => !['requested', 'awaiting_card'].includes(s.status), 'paid');
  await engine.sim.control('POST', '/idle');
}

/** Closes the engine, which removes its NATS state with the buckets rebuilds left. */
const closeEngine = (engine: Engine) => engine.close();

/** The names of the buckets of every rebuild's generation under this prefix. */
async function rebuildBuckets(nats: NatsConnection, prefix: string): Promise<string[]> {
  const stems = Object.values(natsNames(prefix).buckets).map((bucket) => `${bucket}${REBUILD_SUFFIX}`);
  const names: string[] = [];
  for await (const { bucket } of new Kvm(nats).list())
    if (stems.some((stem) => bucket.startsWith(stem))) names.push(bucket);
  return names.sort();
}

/**
 * Runs `test` with the leader of a projections app started on this engine's log and prefix, once it has caught up
 * and adopted any offer waiting (an adoption is the writer's).
 */
async function onLeader(engine: Engine, test: (service: ProjectorService) => Promise<void>): Promise<void> {
  const projections = await startProjections({
    EVENT_STORE_URL: `sqlite:${engine.eventStoreFile}`,
    NATS_PREFIX: engine.prefix,
  });
  try {
    const service = projections.get(ProjectorService);
    await waitUntil(() => service['state'].leader, 15_000, 'the lease');
    await waitUntil(async () => service.checkpoint >= (await engine.log.headPosition()), 15_000, 'caught up');
    await waitUntil(
      async () => (await service['state'].buckets!.handOver()) === undefined,
      15_000,
      'the offer adopted',
    );
    await test(service);
  } finally {
    await projections.close();
  }
}

/** The projector's adoption of `offer`, called as its watch of the offers would. */
const adopt = (service: ProjectorService, offer: HandOver) => service['adoption'].adopt(offer);

describe('projections: a rebuild from position 0 while the live read models keep serving', () => {
  let engine: Engine;
  let projections: NestFastifyApplication;
  let nats: NatsConnection;
  let prefix: string;

  beforeAll(async () => {
    engine = await startEngine({ projections: true });
    ({ projections, nats, prefix } = engine as Engine & { projections: NestFastifyApplication });
    await engine.terminals('oslo', 'Q-1', 'Q-2');
  });
  afterAll(() => closeEngine(engine));

  const payAt = (terminalId: string, amount: number) => pay(engine, 'oslo', terminalId, amount);

  it('repairs a damaged document, keeps up with payments made meanwhile, and ends equal to a fold from 0', async () => {
    // Every event handed to the feed, by id: folded again from the rebuild's position, none is sent again.
    const publish = jest.spyOn(EventFeed.prototype, 'publish');
    await payAt('Q-1', 10_000);
    await payAt('Q-2', 10_005);
    const service = projections.get(ProjectorService);
    await waitUntil(async () => service.checkpoint >= (await engine.log.headPosition()) - 5n, 10_000, 'caught up');
    // A bug once wrote a wrong document: the rebuild is how it gets repaired.
    const live = await new Kvm(nats).open(natsNames(prefix).buckets.stores);
    await live.put('oslo', JSON.stringify({ storeId: 'oslo', damaged: true }));
    await live.put('ghost', JSON.stringify({ storeId: 'ghost' }));

    const rebuilding = rebuildReadModels(engine.log, nats, prefix);
    await payAt('Q-1', 10_001); // while the rebuild runs, the live models keep serving
    const result = await rebuilding;
    expect(result.events).toBeGreaterThan(0);

    await payAt('Q-2', 10_000); // and after it
    // Adopted (the offer is withdrawn once the checkpoint moved back to the rebuild's position), then caught up:
    // in the middle of the copy the stores are the rebuild's already, and the checkpoint still the one before.
    const state = await new Kvm(nats).open(`${prefix}_projections`);
    await waitUntil(
      async () => {
        const head = (
          await engine.log.readAll({ after: result.position, limit: 10_000, streamPrefixes: PROJECTED_STREAMS })
        ).at(-1);
        const stores = await bucketContents(prefix, 'stores');
        const offered = (await state.get('rebuild'))?.operation === 'PUT';
        return !offered && stores.ghost === undefined && service.checkpoint >= (head?.position ?? result.position);
      },
      15_000,
      'the rebuild adopted and the projector caught up',
    );
    const scratch = await foldFromScratch(engine.log);
    expect(await bucketContents(prefix, 'stores')).toEqual({ oslo: scratch.store('oslo') });
    const terminals = await bucketContents(prefix, 'terminals');
    expect(terminals['oslo.Q-1']).toEqual(scratch.terminal('oslo', 'Q-1'));
    expect(terminals['oslo.Q-2']).toEqual(scratch.terminal('oslo', 'Q-2'));
    expect(service.models.store('oslo')).toEqual(scratch.store('oslo'));
    const fed = publish.mock.calls.flatMap(([events]) => events.map((event) => event.id));
    publish.mockRestore();
    const repeated = fed.filter((id, i) => fed.indexOf(id) !== i);
    expect({ fed: fed.length > 0, repeated }).toEqual({ fed: true, repeated: [] });
  });

  it('writes the payment index only where the live projector has not, and an index lost whole again', async () => {
    await payAt('Q-1', 10_002);
    const service = projections.get(ProjectorService);
    const index = await new Kvm(nats).open(natsNames(prefix).buckets.paymentIndex);
    const payments = async () => {
      let count = 0;
      for (let after = 0n; ;) {
        const page = await engine.log.readAll({ after, limit: 1_000, streamPrefixes: ['payment-'] });
        if (page.length === 0) return count;
        count += page.filter((event) => event.type === 'PaymentRequested').length;
        after = page.at(-1)!.position;
      }
    };
    const indexState = async () => (await index.status()).streamInfo.state;
    const state = await new Kvm(nats).open(`${prefix}_projections`);
    const locks = await new Kvm(nats).open(natsNames(prefix).buckets.projectorLease);
    const rebuilt = async () => {
      const result = await rebuildReadModels(engine.log, nats, prefix);
      // Adopted: the hand-over withdrawn (after the documents were copied and the checkpoint moved), and the
      // adopter done with the rebuilt buckets and its rebuild lock, which refuses the next rebuild until then.
      await waitUntil(
        async () =>
          (await state.get('rebuild'))?.operation !== 'PUT' &&
          service.checkpoint >= result.position &&
          (await locks.get('rebuild'))?.operation !== 'PUT',
        15_000,
        'the rebuild adopted',
      );
    };
    await waitUntil(async () => service.checkpoint >= (await engine.log.headPosition()) - 5n, 10_000, 'caught up');
    const before = await indexState();
    expect(before.messages).toBe(await payments());

    // Beside the live projector: every entry is there, and none is written again.
    await rebuilt();
    expect(await indexState()).toMatchObject({ messages: before.messages, last_seq: before.last_seq });

    // The index lost (its stream emptied): the rebuild sees fewer entries than payments, and writes them all.
    await (await jetstreamManager(nats)).streams.purge(`KV_${natsNames(prefix).buckets.paymentIndex}`);
    expect((await indexState()).messages).toBe(0);
    await rebuilt();
    expect((await indexState()).messages).toBe(await payments());
  });
});

describe('projections: a standby that takes over after the leader adopted a rebuild', () => {
  let engine: Engine;
  let standby: NestFastifyApplication | undefined;

  beforeAll(async () => {
    engine = await startEngine({ projections: true });
    await engine.terminals('bergen', 'S-1');
  });
  afterAll(async () => {
    await standby?.close();
    await closeEngine(engine);
  });
  const storeInKv = async () => (await bucketContents(engine.prefix, 'stores')).bergen as Record<string, unknown>;

  it('folds again from KV before it writes, rather than write back what the rebuild repaired', async () => {
    await pay(engine, 'bergen', 'S-1', 10_000);
    const leader = engine.projections!.get(ProjectorService);
    await waitUntil(async () => leader.checkpoint >= (await engine.log.headPosition()) - 5n, 10_000, 'caught up');
    // A bug once wrote a wrong document, and the standby started after it: it holds it in memory too.
    const live = await new Kvm(engine.nats).open(natsNames(engine.prefix).buckets.stores);
    await live.put('bergen', JSON.stringify({ ...(await storeInKv()), damaged: true }));
    standby = await startProjections({
      EVENT_STORE_URL: `sqlite:${engine.eventStoreFile}`,
      NATS_PREFIX: engine.prefix,
    });
    expect(standby.get(ProjectorService).models.store('bergen')).toMatchObject({ damaged: true });

    await rebuildReadModels(engine.log, engine.nats, engine.prefix);
    await waitUntil(async () => !('damaged' in (await storeInKv())), 15_000, 'the rebuild adopted by the leader');
    // The leader stops (a rolling restart): the standby takes the lease and writes from then on.
    await engine.projections!.close();
    const next = standby.get(ProjectorService);
    await pay(engine, 'bergen', 'S-1', 10_001);
    const scratch = await foldFromScratch(engine.log);
    const position = scratch.store('bergen')!.position;
    await waitUntil(async () => (await storeInKv()).position === position, 15_000, 'the standby writing the payment');
    expect(await storeInKv()).toEqual(scratch.store('bergen'));
    expect(next.models.store('bergen')).toEqual(scratch.store('bergen'));
  });
});

describe('projections: one rebuild at a time, and only a whole one adopted', () => {
  let engine: Engine;

  beforeAll(async () => {
    engine = await startEngine({ projections: true });
    await engine.terminals('tromso', 'R-1');
    await pay(engine, 'tromso', 'R-1', 10_000);
  });
  afterAll(() => closeEngine(engine));

  it('refuses a rebuild while another holds the lock, and runs once it is let go', async () => {
    // What a rebuild running in another process, or an adoption under way, holds.
    const held = await RebuildLock.take(engine.nats, engine.prefix, 5_000);
    expect(held).toBeDefined();
    try {
      await expect(rebuildReadModels(engine.log, engine.nats, engine.prefix)).rejects.toBeInstanceOf(
        RebuildRefusedError,
      );
    } finally {
      await held!.release();
    }
    const result = await rebuildReadModels(engine.log, engine.nats, engine.prefix);
    expect(result.documents).toBeGreaterThan(0);
    const leader = engine.projections!.get(ProjectorService);
    const state = await new Kvm(engine.nats).open(`${engine.prefix}_projections`);
    await waitUntil(
      async () => (await state.get('rebuild'))?.operation !== 'PUT' && leader.checkpoint >= result.position,
      15_000,
      'the rebuild adopted',
    );
  });

  it('withdraws an offer still waiting and removes its buckets, and offers its own, in its own, with its count', async () => {
    // The live projector is stopped: nothing adopts the first offer.
    await engine.projections!.close();
    const state = await new Kvm(engine.nats).open(`${engine.prefix}_projections`);
    const offered = async () => (await state.get('rebuild'))?.json<HandOver>();
    const first = await rebuildReadModels(engine.log, engine.nats, engine.prefix);
    const firstOffer = await offered();
    const second = await rebuildReadModels(engine.log, engine.nats, engine.prefix);
    expect(second.withdrew).toBe(first.position.toString());
    const offer = await offered();
    expect(offer).toEqual({
      suffix: expect.stringMatching(/^_rebuild_[0-9a-f]{8}$/),
      position: second.position.toString(),
      documents: second.documents,
      logId: await logIdentity(engine.log),
      foldVersion: FOLD_VERSION,
      // The event at its position: the adopter tells by it a log restored from a backup since.
      mark: markOf((await engine.log.readAll({ after: second.position - 1n, limit: 1 }))[0]!),
    });
    // The first rebuild's buckets are gone, not emptied: an adopter still reading them fails, and deletes nothing.
    expect(offer!.suffix).not.toBe(firstOffer!.suffix);
    const { terminals, stores, storeDays } = natsNames(engine.prefix).buckets;
    const names = [terminals, stores, storeDays];
    expect(await rebuildBuckets(engine.nats, engine.prefix)).toEqual(
      names.map((name) => `${name}${offer!.suffix}`).sort(),
    );
    const buckets = await ReadModelBuckets.open(engine.nats, engine.prefix, offer!.suffix);
    expect(await buckets.count()).toBe(second.documents);
  });

  it('refuses to rebuild from another log, or an empty one, than the live read models are of, writing nothing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rebuild-other-log-'));
    const other = new SqliteEventStore({ file: path.join(dir, 'other.db') });
    const empty = new SqliteEventStore({ file: path.join(dir, 'empty.db') });
    try {
      const where = { storeId: 'elsewhere', terminalId: 'E-1' };
      await other.append(
        'store-elsewhere',
        [{ type: 'StoreRegistered', data: { ...where, name: 'E', payoutDestinationId: 'p', timeZone: 'UTC', at: AT } }],
        { expectedRevision: 'no_stream' },
      );
      const state = await new Kvm(engine.nats).open(`${engine.prefix}_projections`);
      const before = {
        stores: await bucketContents(engine.prefix, 'stores'),
        rebuilt: await rebuildBuckets(engine.nats, engine.prefix),
        offer: (await state.get('rebuild'))?.string(),
      };
      const otherHead = await other.headPosition();
      await expect(rebuildReadModels(other, engine.nats, engine.prefix)).rejects.toThrow(
        /the live read models are of another event log .* Nothing was rebuilt/,
      );
      // Nor is anything written to that log: it is not named the engine's by being looked at.
      expect(await other.headPosition()).toBe(otherHead);
      await expect(rebuildReadModels(empty, engine.nats, engine.prefix)).rejects.toThrow(
        /the event log is empty, while the live read models are folded to position \d+/,
      );
      expect(await empty.headPosition()).toBe(0n);
      expect({
        stores: await bucketContents(engine.prefix, 'stores'),
        rebuilt: await rebuildBuckets(engine.nats, engine.prefix),
        offer: (await state.get('rebuild'))?.string(),
      }).toEqual(before);
    } finally {
      await other.close();
      await empty.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not adopt an offer whose buckets no longer hold every document it was made with', async () => {
    // The writer once the one before stopped.
    await onLeader(engine, async (service) => {
      const live = await new Kvm(engine.nats).open(natsNames(engine.prefix).buckets.stores);
      await live.put('ghost', JSON.stringify({ storeId: 'ghost', position: '1' }));
      // An offer whose buckets lost documents (emptied under it): adopting it would delete live documents.
      const rebuilt = await ReadModelBuckets.open(engine.nats, engine.prefix, REBUILD_SUFFIX);
      await rebuilt.put([{ model: 'store', key: 'tromso', doc: { storeId: 'tromso', position: '1' } as never }]);
      const offer: HandOver = { suffix: REBUILD_SUFFIX, position: '1', documents: 5 };
      await rebuilt.offerHandOver(offer);
      await adopt(service, offer);
      expect((await bucketContents(engine.prefix, 'stores')).ghost).toEqual({ storeId: 'ghost', position: '1' });
      expect(await rebuilt.handOver()).toEqual(offer);
      await rebuilt.clearHandOver();
    });
  });
});

describe('projections: only an offer a rebuild made and still stands is adopted', () => {
  let engine: Engine;

  beforeAll(async () => {
    engine = await startEngine();
    await engine.terminals('bodo', 'S-1');
    await pay(engine, 'bodo', 'S-1', 10_000);
  });
  afterAll(() => closeEngine(engine));

  it('refuses an offer that names buckets no rebuild made, and leaves the live documents as they are', async () => {
    await onLeader(engine, async (service) => {
      const before = await bucketContents(engine.prefix, 'stores');
      const state = await new Kvm(engine.nats).open(`${engine.prefix}_projections`);
      // The live buckets themselves (no suffix), with every document they hold: adopted, they would be removed.
      const documents = await (await ReadModelBuckets.existing(engine.nats, engine.prefix, '')).count();
      for (const suffix of ['', '_copy']) {
        const offer: HandOver = { suffix, position: '1', documents };
        await state.put('rebuild', JSON.stringify(offer));
        await adopt(service, offer);
        expect(await bucketContents(engine.prefix, 'stores')).toEqual(before);
        expect((await state.get('rebuild'))?.json<HandOver>()).toEqual(offer);
      }
      await state.delete('rebuild');
      const { stores } = natsNames(engine.prefix).buckets;
      const names: string[] = [];
      for await (const { bucket } of new Kvm(engine.nats).list()) names.push(bucket);
      expect(names).not.toContain(`${stores}_copy`);
    });
  });

  it('refuses an offer of another log than its own, and leaves the live documents as they are', async () => {
    await onLeader(engine, async (service) => {
      const before = await bucketContents(engine.prefix, 'stores');
      const rebuilt = await ReadModelBuckets.open(engine.nats, engine.prefix, `${REBUILD_SUFFIX}_otherlog`);
      await rebuilt.put([{ model: 'store', key: 'elsewhere', doc: { storeId: 'elsewhere', position: '1' } as never }]);
      const offer: HandOver = { suffix: `${REBUILD_SUFFIX}_otherlog`, position: '1', documents: 1, logId: 'another' };
      await rebuilt.offerHandOver(offer);
      await adopt(service, offer);
      expect(await bucketContents(engine.prefix, 'stores')).toEqual(before);
      expect(await rebuilt.handOver()).toEqual(offer);
      await rebuilt.clearHandOver();
      await rebuilt.destroy();
    });
  });

  it('leaves alone an offer it cannot read, and adopts the rebuild offered after it', async () => {
    await onLeader(engine, async () => {
      const state = await new Kvm(engine.nats).open(`${engine.prefix}_projections`);
      // Not a rebuild's: a person's, or a bug's. Read by the watch, the first ended the process.
      await state.put('rebuild', 'not an offer {');
      await state.put('rebuild', JSON.stringify({ suffix: 7, position: 'one' }));
      const rebuilt = await rebuildReadModels(engine.log, engine.nats, engine.prefix);
      expect(rebuilt.events).toBeGreaterThan(0);
      // Adopted: the offer is withdrawn once the live documents are the rebuild's.
      await waitUntil(async () => (await state.get('rebuild'))?.operation !== 'PUT', 15_000, 'the rebuild adopted');
      // Its buckets are removed after the offer is withdrawn (a crash between leaves them to the next rebuild).
      await waitUntil(
        async () => (await rebuildBuckets(engine.nats, engine.prefix)).length === 0,
        15_000,
        'the adopted rebuild’s buckets removed',
      );
    });
  });

  it('adopts only the offer still standing: one a later rebuild replaced is left, with the later one', async () => {
    await onLeader(engine, async (service) => {
      const live = await new Kvm(engine.nats).open(natsNames(engine.prefix).buckets.stores);
      await live.put('ghost', JSON.stringify({ storeId: 'ghost', position: '1' }));
      const earlier = await ReadModelBuckets.open(engine.nats, engine.prefix, `${REBUILD_SUFFIX}_earlier`);
      await earlier.put([{ model: 'store', key: 'tromso', doc: { storeId: 'tromso', position: '1' } as never }]);
      const later: HandOver = { suffix: `${REBUILD_SUFFIX}_later`, position: '1', documents: 7 };
      await earlier.offerHandOver(later);
      // The adopter was told of the earlier offer, which the later one has replaced by the time it reads it.
      await adopt(service, { suffix: `${REBUILD_SUFFIX}_earlier`, position: '1', documents: 1 });
      expect((await bucketContents(engine.prefix, 'stores')).ghost).toEqual({ storeId: 'ghost', position: '1' });
      expect(await earlier.handOver()).toEqual(later);
      await earlier.clearHandOver();
      await earlier.destroy();
      await live.delete('ghost');
    });
  });

  it('does not make again, empty, the buckets of an offer whose rebuild’s buckets were removed', async () => {
    await onLeader(engine, async (service) => {
      const before = await bucketContents(engine.prefix, 'stores');
      // The offer still stands, but its buckets are gone: a later rebuild removed them just before it replaces
      // the offer, or a person did.
      const state = await new Kvm(engine.nats).open(`${engine.prefix}_projections`);
      // Made at the head, with no document (as a rebuild of a log with no payment, store or terminal yet is):
      // buckets made again for it, empty, would hold every document it counted.
      const head = (await engine.log.headPosition()).toString();
      const offer: HandOver = { suffix: `${REBUILD_SUFFIX}_gone`, position: head, documents: 0 };
      await state.put('rebuild', JSON.stringify(offer));
      await adopt(service, offer);
      expect((await rebuildBuckets(engine.nats, engine.prefix)).filter((name) => name.endsWith('_gone'))).toEqual([]);
      expect(await bucketContents(engine.prefix, 'stores')).toEqual(before);
      await state.delete('rebuild');
    });
  });

  it('starts with a document it cannot read left out, and adopts the rebuild it starts to write them again', async () => {
    // A store document without its terminal counts: a bug wrote it, or a person.
    const live = await new Kvm(engine.nats).open(natsNames(engine.prefix).buckets.stores);
    await live.put('ghost', JSON.stringify({ storeId: 'ghost', position: '1' }));
    await onLeader(engine, async () => {
      // No rebuild is run here: the projector started one when it could not read the document.
      await waitUntil(
        async () => (await bucketContents(engine.prefix, 'stores')).ghost === undefined,
        15_000,
        'the rebuild adopted',
      );
      const stores = await bucketContents(engine.prefix, 'stores');
      expect(stores.bodo).toMatchObject({ storeId: 'bodo', terminals: { idle: 1 } });
    });
  });
});

describe('projections: a rebuild lets the event loop run while it folds', () => {
  const prefix = uniquePrefix();
  const dir = mkdtempSync(path.join(tmpdir(), 'rebuild-turns-'));
  let log: SqliteEventStore;
  let nats: NatsConnection;

  beforeAll(async () => {
    log = new SqliteEventStore({ file: path.join(dir, 'events.db') });
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    await log.close();
    await removeNatsState(prefix);
    await nats.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('between pages it has nothing to write for, so that its lock is renewed and NATS answered', async () => {
    // Three pages of stores, all before the live checkpoint: the payment index is taken as written, so the rebuild
    // has no write to wait for until the end.
    const stores = Array.from({ length: 2_500 }, (_, n) => `s${n}`);
    for (let start = 0; start < stores.length; start += 250)
      await Promise.all(
        stores
          .slice(start, start + 250)
          .map((storeId) =>
            log.append(
              `store-${storeId}`,
              [{ type: 'StoreRegistered', data: { storeId, name: storeId, timeZone: 'Europe/Oslo', at: AT } }],
              { expectedRevision: 'no_stream' },
            ),
          ),
      );
    const live = await ReadModelBuckets.open(nats, prefix);
    await live.resetCheckpoint(await log.headPosition(), await logIdentity(log), 0);

    let turned = false;
    const turnedByPage: boolean[] = [];
    const result = await rebuildReadModels(log, nats, prefix, {
      onProgress: () => {
        // A turn of the event loop runs what was set for the next one: here, after the first page.
        if (turnedByPage.length === 0) setImmediate(() => (turned = true));
        turnedByPage.push(turned);
      },
    });
    expect(result.events).toBe(stores.length);
    expect(turnedByPage.slice(0, 3)).toEqual([false, true, true]);
  });
});

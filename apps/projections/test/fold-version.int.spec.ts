import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kvm } from '@nats-io/kv';
import { connect, errors as natsErrors, type NatsConnection } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import { SqliteEventStore } from '@app/event-store';
import { METRICS_REGISTRY } from '@app/platform';
import { waitUntil } from '../../../test/support/app-process';
import {
  bucketContents,
  logOfStores,
  NATS_URL,
  projectUntil,
  startProjections,
  tearDownProjections,
  uniquePrefix,
} from '../../../test/support/projections';
import { ProjectorLease } from '../src/projector/projector-lease';
import { ProjectorService } from '../src/projector/projector.service';
import { FOLD_VERSION } from '../src/read-models/fold-version';
import { rebuildReadModels, REBUILD_SUFFIX } from '../src/rebuild/rebuild';
import { ReadModelBuckets } from '../src/projector/read-model.buckets';
import { loggedLines, type LoggedLine } from '../../../test/support/logged-lines';

/** `payments_read_models_outdated` of this app (undefined: not registered). */
const outdatedGauge = async (app: NestFastifyApplication) => {
  const metric = app.get<Registry>(METRICS_REGISTRY).getSingleMetric('payments_read_models_outdated');
  return metric ? (await metric.get()).values[0]?.value : undefined;
};

describe('projections: read models folded by an older fold version', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fold-version-'));
  const file = path.join(dir, 'events.db');
  const prefix = uniquePrefix();
  let errors: LoggedLine[] = [];
  let nats: NatsConnection;
  let log: SqliteEventStore;
  let app: NestFastifyApplication | undefined;

  beforeAll(async () => {
    errors = loggedLines('error');
    nats = await connect({ servers: NATS_URL });
    await projectUntil(file, prefix, await logOfStores(file, ['fv-a', 'fv-b']));
    log = new SqliteEventStore({ file });
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await tearDownProjections({ app: undefined, log, nats, prefix, dir });
  });

  const state = async () => new Kvm(nats).open(`${prefix}_projections`);
  const checkpoint = async () => (await (await state()).get('checkpoint'))!.json<Record<string, unknown>>();
  const startLeader = async (env: Record<string, string> = {}) => {
    const started = await startProjections({ EVENT_STORE_URL: `sqlite:${file}`, NATS_PREFIX: prefix, ...env });
    app = started;
    await waitUntil(() => started.get(ProjectorService)['state'].leader, 15_000, 'the lease');
    return started;
  };
  const saidOutdated = () => errors.filter((line) => line.fields.currentFoldVersion !== undefined);

  it('records this fold version with read models it folded from nothing, and says nothing at start', async () => {
    expect(await checkpoint()).toMatchObject({ foldVersion: FOLD_VERSION });
    errors.length = 0;
    const started = await startLeader();
    expect(await outdatedGauge(started)).toBe(0);
    expect(saidOutdated()).toEqual([]);
    expect(await checkpoint()).toMatchObject({ foldVersion: FOLD_VERSION });
  });

  it('says so at start when they record none, changes no document, and is current once a rebuild is adopted', async () => {
    // As a version from before fold versions left them.
    const { foldVersion: _dropped, ...before } = await checkpoint();
    await (await state()).put('checkpoint', JSON.stringify(before));
    const documents = await bucketContents(prefix, 'stores');
    expect(Object.keys(documents).sort()).toEqual(['fv-a', 'fv-b']);
    errors.length = 0;

    const started = await startLeader();
    expect(await outdatedGauge(started)).toBe(1);
    expect(saidOutdated()).toEqual([
      {
        fields: { foldVersion: 'none', currentFoldVersion: FOLD_VERSION },
        msg: expect.stringContaining('npm run projections:rebuild') as unknown,
      },
    ]);
    // Started and serving as they are: nothing written over, and the checkpoint still records none.
    expect(await bucketContents(prefix, 'stores')).toEqual(documents);
    expect((await checkpoint()).foldVersion).toBeUndefined();

    const rebuilt = await rebuildReadModels(log, nats, prefix);
    const service = started.get(ProjectorService);
    await waitUntil(
      async () => (await service['state'].buckets!.handOver()) === undefined && (await outdatedGauge(started)) === 0,
      15_000,
      'the rebuild adopted',
    );
    expect(await checkpoint()).toMatchObject({ position: rebuilt.position.toString(), foldVersion: FOLD_VERSION });
    expect(saidOutdated()).toHaveLength(1);
  });

  it('says so for an older version recorded, and a checkpoint written meanwhile keeps it', async () => {
    await (await state()).put('checkpoint', JSON.stringify({ ...(await checkpoint()), foldVersion: FOLD_VERSION - 1 }));
    errors.length = 0;
    const started = await startLeader();
    expect(await outdatedGauge(started)).toBe(1);
    expect(saidOutdated()).toMatchObject([{ fields: { foldVersion: FOLD_VERSION - 1 } }]);
    // A flush moves the checkpoint: the documents it leaves alone are still of the older fold.
    const head = await logOfStores(file, ['fv-c']);
    await waitUntil(() => started.get(ProjectorService).checkpoint >= head, 15_000, 'the new store folded');
    expect(await checkpoint()).toMatchObject({ position: head.toString(), foldVersion: FOLD_VERSION - 1 });
  });

  it('says so on a standby too, and that they are current once the writer adopted a rebuild', async () => {
    const { foldVersion: _dropped, ...before } = await checkpoint();
    await (await state()).put('checkpoint', JSON.stringify(before));
    const writer = await startLeader();
    const standby = await startProjections({ EVENT_STORE_URL: `sqlite:${file}`, NATS_PREFIX: prefix });
    try {
      expect(standby.get(ProjectorService)['state'].leader).toBe(false);
      expect(await outdatedGauge(standby)).toBe(1);
      await rebuildReadModels(log, nats, prefix);
      await waitUntil(async () => (await outdatedGauge(writer)) === 0, 15_000, 'the rebuild adopted');
      // The standby reads the writer's checkpoint as it renews its bid for the lease.
      await waitUntil(async () => (await outdatedGauge(standby)) === 0, 15_000, 'the standby told');
    } finally {
      await standby.close();
    }
  });

  it('with PROJECTIONS_REBUILD_WHEN_OUTDATED, rebuilds them itself at start, and adopts the result', async () => {
    const { foldVersion: _dropped, ...before } = await checkpoint();
    await (await state()).put('checkpoint', JSON.stringify(before));
    const adoptions = Number(before.adoptions ?? 0);
    const stores = await bucketContents(prefix, 'stores');
    const started = await startLeader({ PROJECTIONS_REBUILD_WHEN_OUTDATED: 'true' });
    // No rebuild run here: the instance started one, and adopted it.
    await waitUntil(async () => (await outdatedGauge(started)) === 0, 15_000, 'its rebuild adopted');
    expect(await checkpoint()).toMatchObject({ adoptions: adoptions + 1, foldVersion: FOLD_VERSION });
    expect(Object.keys(await bucketContents(prefix, 'stores')).sort()).toEqual(Object.keys(stores).sort());
  });

  it('with PROJECTIONS_REBUILD_WHEN_OUTDATED, rebuilds them once it takes the lease it could not take at start', async () => {
    const { foldVersion: _dropped, ...before } = await checkpoint();
    await (await state()).put('checkpoint', JSON.stringify(before));
    const adoptions = Number(before.adoptions ?? 0);
    // NATS does not answer the start's bid for the lease: the campaign's next turn takes it.
    const bid = jest.spyOn(ProjectorLease.prototype, 'acquire').mockRejectedValueOnce(new natsErrors.TimeoutError());
    try {
      const started = await startLeader({ PROJECTIONS_REBUILD_WHEN_OUTDATED: 'true' });
      expect(bid).toHaveBeenCalled();
      await waitUntil(async () => (await outdatedGauge(started)) === 0, 15_000, 'its rebuild adopted');
      expect(await checkpoint()).toMatchObject({ adoptions: adoptions + 1, foldVersion: FOLD_VERSION });
    } finally {
      bid.mockRestore();
    }
  });

  it('with PROJECTIONS_REBUILD_WHEN_OUTDATED, rebuilds them though an offer of this fold that none can adopt waits', async () => {
    const { foldVersion: _dropped, ...before } = await checkpoint();
    await (await state()).put('checkpoint', JSON.stringify(before));
    const adoptions = Number(before.adoptions ?? 0);
    // An offer of this fold, of another log: refused at each takeover, never withdrawn but by a rebuild.
    const suffix = `${REBUILD_SUFFIX}_another_log`;
    const offered = await ReadModelBuckets.open(nats, prefix, suffix);
    await offered.put([{ model: 'store', key: 'elsewhere', doc: { storeId: 'elsewhere', position: '1' } as never }]);
    await offered.offerHandOver({
      suffix,
      position: '1',
      documents: 1,
      logId: 'another-log',
      foldVersion: FOLD_VERSION,
    });
    const started = await startLeader({ PROJECTIONS_REBUILD_WHEN_OUTDATED: 'true' });
    await waitUntil(async () => (await outdatedGauge(started)) === 0, 15_000, 'its rebuild adopted');
    expect(await checkpoint()).toMatchObject({ adoptions: adoptions + 1, foldVersion: FOLD_VERSION });
    expect(await bucketContents(prefix, 'stores')).not.toHaveProperty('elsewhere');
  });

  it('with PROJECTIONS_REBUILD_WHEN_OUTDATED and read models of this fold, starts no rebuild', async () => {
    expect(await checkpoint()).toMatchObject({ foldVersion: FOLD_VERSION });
    const started = await startLeader({ PROJECTIONS_REBUILD_WHEN_OUTDATED: 'true' });
    expect(await outdatedGauge(started)).toBe(0);
    // Requested, it would be running from the start on (`RepairRebuild.request` sets it before start-up ends).
    expect(started.get(ProjectorService)['refold']['running']).toBeUndefined();
  });
});

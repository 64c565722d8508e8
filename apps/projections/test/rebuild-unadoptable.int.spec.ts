import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SqliteEventStore } from '@app/event-store';
import { waitUntil } from '../../../test/support/app-process';
import { loggedLines, type LoggedLine } from '../../../test/support/logged-lines';
import {
  bucketContents,
  logOfStores,
  NATS_URL,
  projectUntil,
  removeNatsState,
  startProjections,
  tearDownProjections,
  uniquePrefix,
} from '../../../test/support/projections';
import { storeRegistered } from '../../../test/support/recorded-events';
import { PROJECTED_STREAMS, ProjectorService } from '../src/projector/projector.service';
import { ReadModelBuckets, type HandOver } from '../src/projector/read-model.buckets';
import { FOLD_VERSION } from '../src/read-models/fold-version';
import { rebuildReadModels, REBUILD_SUFFIX } from '../src/rebuild/rebuild';

const AT = '2026-11-24T10:00:00.000Z';

/** `settling`, failing the test when it has not settled within `ms` (an adoption that waits for good never does). */
async function within<T>(settling: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still waits after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([settling, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('projections: a rebuild the live projector can never adopt does not hold up the ones after it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rebuild-unadoptable-'));
  const file = path.join(dir, 'events.db');
  const prefix = uniquePrefix();
  let nats: NatsConnection;
  let log: SqliteEventStore;
  let app: NestFastifyApplication | undefined;
  let errors: LoggedLine[] = [];

  beforeAll(async () => {
    nats = await connect({ servers: NATS_URL });
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    jest.restoreAllMocks();
  });
  afterAll(() => tearDownProjections({ app, log, nats, prefix, dir }));

  const state = () => new Kvm(nats).open(`${prefix}_projections`);
  const offered = async () => {
    const entry = await (await state()).get('rebuild');
    return entry?.operation === 'PUT' ? entry.json<HandOver>() : undefined;
  };
  /** The errors said about an adoption (`could not adopt the rebuild`), by their message. */
  const refusals = () =>
    errors
      .filter((line) => line.msg === 'could not adopt the rebuild')
      .map((line) => (line.fields.err as Error).message);
  /** The position of the log's last event the read models fold (the log's identity is not one). */
  const projectedHead = async () =>
    (await log.readAll({ after: 0n, limit: 10_000, streamPrefixes: PROJECTED_STREAMS })).at(-1)?.position ?? 0n;
  const startLeader = async (env: Record<string, string> = {}) => {
    const started = await startProjections({ EVENT_STORE_URL: `sqlite:${file}`, NATS_PREFIX: prefix, ...env });
    app = started;
    const service = started.get(ProjectorService);
    await waitUntil(() => service['state'].leader, 15_000, 'the lease');
    return service;
  };

  it('refuses at once a rebuild of the log as it was before a restore from a backup, and adopts the next one', async () => {
    const backup = path.join(dir, 'backup.db');
    // The projector names the log (its identity) on its first run: the backup has the identity.
    await projectUntil(file, prefix, await logOfStores(file, ['u-1']));
    copyFileSync(file, backup);
    await projectUntil(file, prefix, await logOfStores(file, ['u-2', 'u-3', 'u-4']));
    // Rebuilt while no projector runs: its offer waits, at a position past the backup's head.
    log = new SqliteEventStore({ file });
    const stale = await rebuildReadModels(log, nats, prefix);
    await log.close();
    // The engine stopped, the backup put in place (its events after the backup lost), and started again.
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(`${file}${suffix}`)) rmSync(`${file}${suffix}`);
    copyFileSync(backup, file);
    log = new SqliteEventStore({ file });
    expect(await log.headPosition()).toBeLessThan(stale.position);
    errors = loggedLines('error');

    const service = await startLeader();
    await waitUntil(() => refusals().length > 0, 10_000, 'the rebuild of the log as it was refused');
    expect(refusals()).toEqual([expect.stringMatching(/restored from a backup\. Not adopted: run `npm run/)]);
    // The restored log's own read models, not the rebuild's; its offer left for the next rebuild to withdraw.
    await waitUntil(async () => service.checkpoint >= (await projectedHead()), 10_000, 'caught up');
    expect(Object.keys(await bucketContents(prefix, 'stores'))).toEqual(['u-1']);
    expect((await offered())?.position).toBe(stale.position.toString());

    // A store registered at a position a lost one had, still short of the stale offer's: the next rebuild is
    // adopted, which it was not while the adoption before it waited for that position.
    await log.append('store-u-5', [storeRegistered('u-5', AT)], { expectedRevision: 'no_stream' });
    const next = await rebuildReadModels(log, nats, prefix);
    expect(next.position).toBeLessThan(stale.position);
    expect(next.withdrew).toBe(stale.position.toString());
    await waitUntil(
      async () => (await offered()) === undefined && service.checkpoint >= next.position,
      15_000,
      'the next rebuild adopted',
    );
    expect(Object.keys(await bucketContents(prefix, 'stores')).sort()).toEqual(['u-1', 'u-5']);
    expect(refusals()).toHaveLength(1);
  });

  it('refuses at once an offer of another log, of a newer fold, or past this log’s head with no mark', async () => {
    const service = await startLeader();
    await waitUntil(async () => service.checkpoint >= (await projectedHead()), 10_000, 'caught up');
    errors = loggedLines('error');
    const before = await bucketContents(prefix, 'stores');
    const head = await log.headPosition();
    const suffix = `${REBUILD_SUFFIX}_unadoptable`;
    const rebuilt = await ReadModelBuckets.open(nats, prefix, suffix);
    await rebuilt.put([{ model: 'store', key: 'elsewhere', doc: { storeId: 'elsewhere', position: '1' } as never }]);
    const ours = service['state'].logId;
    const offers: HandOver[] = [
      { suffix, position: (head + 1_000n).toString(), documents: 1, logId: 'another-log', foldVersion: FOLD_VERSION },
      { suffix, position: '1', documents: 1, logId: ours, foldVersion: FOLD_VERSION + 1 },
      // As a version before marks offered it, of this log as it was before a restore: past the head.
      { suffix, position: (head + 1_000n).toString(), documents: 1, logId: ours, foldVersion: FOLD_VERSION },
    ];
    for (const offer of offers) {
      await rebuilt.offerHandOver(offer);
      // As its watch of the offers would (which has been told of it too).
      await within(service['adoption'].adopt(offer), 5_000, 'the adoption');
      expect(await bucketContents(prefix, 'stores')).toEqual(before);
      expect(await offered()).toEqual(offer);
    }
    expect(refusals()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/another event log \(another-log\) than this one .*EVENT_STORE_URL/),
        expect.stringMatching(
          new RegExp(`fold version ${FOLD_VERSION + 1}, newer than this version's ${FOLD_VERSION}`),
        ),
        expect.stringMatching(new RegExp(`position ${head + 1_000n}, past the log's head ${head}\\).*restored`)),
      ]),
    );
    await rebuilt.clearHandOver();
    await rebuilt.destroy();
  });

  it('gives up waiting for a projector that publishes nothing more, says why, and adopts the offer once it publishes past it', async () => {
    // A log and prefix of its own, whose lease bucket is made with a lease of 1 s (its TTL is the lease after).
    const stalledPrefix = uniquePrefix();
    const stalledFile = path.join(dir, 'stalled.db');
    await logOfStores(stalledFile, ['s-1']);
    const stalledLog = new SqliteEventStore({ file: stalledFile });
    const env = { EVENT_STORE_URL: `sqlite:${stalledFile}`, NATS_PREFIX: stalledPrefix, PROJECTOR_LEASE_SECONDS: '1' };
    const offeredThere = async () => {
      const entry = await (await new Kvm(nats).open(`${stalledPrefix}_projections`)).get('rebuild');
      return entry?.operation === 'PUT' ? entry.json<HandOver>() : undefined;
    };
    try {
      app = await startProjections(env);
      const service = app.get(ProjectorService);
      await waitUntil(() => service['state'].leader, 15_000, 'the lease');
      await waitUntil(async () => service.checkpoint > 0n, 10_000, 'caught up');
      errors = loggedLines('error');
      const warnings = loggedLines('warn');
      // The projector stops following the log (as at an event it cannot fold), and a store is registered past it.
      await service['stopFollowing']();
      const stuckAt = service.checkpoint;
      await stalledLog.append('store-s-2', [storeRegistered('s-2', AT)], { expectedRevision: 'no_stream' });
      const rebuilt = await rebuildReadModels(stalledLog, nats, stalledPrefix, { leaseMs: 1_000 });
      // Given up after 12 leases without a checkpoint (12 s), not waited for for good.
      await waitUntil(() => refusals().length > 0, 20_000, 'the adoption given up');
      expect(refusals()).toEqual([
        expect.stringMatching(
          new RegExp(
            `published nothing past position ${stuckAt} for 1\\d s, short of the rebuild's ${rebuilt.position}`,
          ),
        ),
      ]);
      expect(warnings.map((line) => line.msg)).toContain(
        'waiting for this projector to publish as far as the rebuild before adopting it',
      );
      // The offer stays; the projector follows the log again (from the adoption's end) and publishes past it. Then
      // this instance adopts it, with no takeover: a stall may be only for a while (the log or NATS away).
      await waitUntil(
        async () => (await offeredThere()) === undefined && service.checkpoint >= rebuilt.position,
        10_000,
        'the offer adopted once the projector published past it',
      );
      expect(service['state'].leader).toBe(true);
      expect(refusals()).toHaveLength(1);
      expect(Object.keys(await bucketContents(stalledPrefix, 'stores')).sort()).toEqual(['s-1', 's-2']);
    } finally {
      await app?.close();
      app = undefined;
      await stalledLog.close();
      await removeNatsState(stalledPrefix);
    }
  });
});

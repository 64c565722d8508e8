import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { waitUntil } from '../../../test/support/app-process';
import {
  logOfStores,
  projectUntil,
  NATS_URL,
  removeNatsState,
  startProjections,
  uniquePrefix,
} from '../../../test/support/projections';
import { ProjectorService } from '../src/projector/projector.service';
import { ReadModelBuckets } from '../src/projector/read-model.buckets';

describe('a standby that started while the read models were another log’s', () => {
  const prefix = uniquePrefix();
  let dir: string;
  let nats: NatsConnection;
  const apps: NestFastifyApplication[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'standby-replaced-'));
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await nats.close();
    rmSync(dir, { recursive: true, force: true });
    await removeNatsState(prefix);
  });

  it('tells a known store’s day without a document as none once its fold is done, as the writer does', async () => {
    const first = path.join(dir, 'first.db');
    await projectUntil(first, prefix, await logOfStores(first, ['a-1']));

    const second = path.join(dir, 'second.db');
    const head = await logOfStores(second, ['b-1']);
    // The writer's replacement of the other log's documents is held until the standby has started.
    let reach!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((resolve) => (reach = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with its own `this` below
    const replaceAll = ReadModelBuckets.prototype.replaceAll;
    const held = jest.spyOn(ReadModelBuckets.prototype, 'replaceAll').mockImplementation(async function (
      this: ReadModelBuckets,
      ...args: Parameters<typeof replaceAll>
    ) {
      reach();
      await released;
      return replaceAll.apply(this, args);
    });
    try {
      const writing = startProjections({
        EVENT_STORE_URL: `sqlite:${second}`,
        NATS_PREFIX: prefix,
        PROJECTOR_LEASE_SECONDS: '3',
      });
      await reached;
      const standby = await startProjections({
        EVENT_STORE_URL: `sqlite:${second}`,
        NATS_PREFIX: prefix,
        PROJECTOR_LEASE_SECONDS: '3',
      });
      apps.push(standby);
      release();
      const writer = await writing;
      apps.push(writer);
      const service = standby.get(ProjectorService);
      await waitUntil(
        () => service.checkpoint >= head && writer.get(ProjectorService).checkpoint >= head,
        10_000,
        'both folded the second log',
      );
      expect(await writer.get(ProjectorService).storeDay('b-1', '2026-11-25')).toBe('none');
      // Done folding, the other log's documents replaced by the writer: the standby too knows this day has none.
      expect(await service.mayLackFolded()).toBe(false);
      // Within a turn of its lease's campaign (a third of a lease).
      await waitUntil(
        async () => (await service.storeDay('b-1', '2026-11-25')) === 'none',
        10_000,
        'the standby telling the day has no document',
      );
    } finally {
      release();
      held.mockRestore();
    }
  });
});

import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { rmSync } from 'node:fs';
import { SqliteEventStore, type EventStore } from '@app/event-store';
import { bucketKeys, natsNames } from '@app/messaging';
import { createHttpApp, loadConfig, type SharedInfrastructure } from '@app/platform';
import { ProjectionsConfig } from '../../apps/projections/src/projections.config';
import { ProjectionsModule } from '../../apps/projections/src/projections.module';
import { PROJECTIONS_HTTP_APP } from '../../apps/projections/src/projections-http-app';
import { PROJECTED_STREAMS, ProjectorService } from '../../apps/projections/src/projector/projector.service';
import { ReadModelProjector } from '../../apps/projections/src/read-models/read-model.projector';
import { applyFromLog } from '../../apps/projections/src/read-models/apply-from-log';
import { NATS_URL, removeNatsState, uniquePrefix } from './nats-state';
import { listenOrClose } from './started-app';
import { waitUntil } from './app-process';
import { storeRegistered } from './recorded-events';

export { NATS_URL, removeNatsState, uniquePrefix };

/**
 * The projections app in this process, not listening yet: on what `shared` gives (a test's own log, say, or one whose
 * reads fail), the rest opened from `env`.
 */
export async function projectionsApp(
  env: Record<string, string>,
  shared: SharedInfrastructure = {},
): Promise<NestFastifyApplication> {
  const config = loadConfig(ProjectionsConfig, { LOG_LEVEL: 'silent', NATS_URL, ...env });
  return createHttpApp(ProjectionsModule.forRoot(config, shared), config, PROJECTIONS_HTTP_APP);
}

/** The projections app in this process (`projectionsApp`), on a free port. */
export async function startProjections(
  env: Record<string, string>,
  shared: SharedInfrastructure = {},
): Promise<NestFastifyApplication> {
  const app = await projectionsApp(env, shared);
  await listenOrClose(app);
  return app;
}

/** The read models as a from-scratch fold of the whole log: what every run must end equal to. */
export async function foldFromScratch(log: EventStore): Promise<ReadModelProjector> {
  const projector = new ReadModelProjector();
  let after = 0n;
  for (;;) {
    const page = await log.readAll({ after, limit: 1_000, streamPrefixes: PROJECTED_STREAMS });
    if (page.length === 0) return projector;
    await applyFromLog(log, projector, page, () => undefined);
    after = page[page.length - 1]!.position;
  }
}

/** Every document of a KV bucket, by key. */
export async function bucketContents(
  prefix: string,
  bucket: 'terminals' | 'stores' | 'storeDays',
  natsUrl = NATS_URL,
  suffix = '',
) {
  const nats = await connect({ servers: natsUrl });
  try {
    const kv = await new Kvm(nats).open(`${natsNames(prefix).buckets[bucket]}${suffix}`);
    const contents: Record<string, unknown> = {};
    for (const key of await bucketKeys(kv)) {
      // A key listed a moment ago may be deleted by now (a rebuild's hand-over).
      const entry = await kv.get(key);
      if (entry?.operation === 'PUT') contents[key] = entry.json();
    }
    return contents;
  } finally {
    await nats.close();
  }
}

/** Ends a test's projections world: the app, its log, the NATS connection, its NATS state and its files. */
export async function tearDownProjections(world: {
  readonly app: NestFastifyApplication | undefined;
  readonly log: EventStore;
  readonly nats: NatsConnection;
  readonly prefix: string;
  readonly dir: string;
}): Promise<void> {
  await world.app?.close();
  await world.log.close();
  await world.nats.close();
  await removeNatsState(world.prefix);
  rmSync(world.dir, { recursive: true, force: true });
}

/**
 * Registers `storeIds` in the SQLite log at `file` (made when not there), each at one fixed time, and gives the log's
 * head after them: a log told apart from another by its stores, for tests of a log replaced under the read models.
 */
export async function logOfStores(file: string, storeIds: readonly string[]): Promise<bigint> {
  const log = new SqliteEventStore({ file });
  try {
    for (const storeId of storeIds)
      await log.append(`store-${storeId}`, [storeRegistered(storeId, '2026-11-24T10:00:00.000Z')], {
        expectedRevision: 'no_stream',
      });
    return await log.headPosition();
  } finally {
    await log.close();
  }
}

/** Runs projections on the SQLite log at `file` under `prefix` until its checkpoint reaches `head`, then stops them. */
export async function projectUntil(file: string, prefix: string, head: bigint): Promise<void> {
  const app = await startProjections({ EVENT_STORE_URL: `sqlite:${file}`, NATS_PREFIX: prefix });
  try {
    const service = app.get(ProjectorService);
    await waitUntil(() => service.checkpoint >= head, 10_000, 'the projector at the end of the log');
  } finally {
    await app.close();
  }
}

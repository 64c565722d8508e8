import { createServer, type AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import { createHttpApp, loadConfig } from '@app/platform';
import { IngestServiceConfig } from '../../apps/ingest-service/src/ingest-service.config';
import { IngestServiceModule } from '../../apps/ingest-service/src/ingest-service.module';
import { INGEST_HTTP_APP } from '../../apps/ingest-service/src/ingest-http-app';
import { appPrefix, NATS_URL } from './nats-state';
import { listenOrClose } from './started-app';

export interface RunningIngestService {
  readonly app: NestFastifyApplication;
  readonly url: string;
  readonly log: EventStore;
  close(): Promise<void>;
}

/**
 * The ingest service in this process on a free port, over the SQLite file in `env.EVENT_STORE_URL`, with a
 * NATS prefix of its own unless `env.NATS_PREFIX` names one (the reconciler's leases and checkpoint): its own prefix's
 * buckets are removed at close; a prefix the test names is the test's to remove.
 */
export async function startIngestService(env: Record<string, string>): Promise<RunningIngestService> {
  const nats = appPrefix(env.NATS_PREFIX);
  // Its own callback URL's origin is how it tells its payments from another engine's (`madeByThisEngine`): the
  // command service builds callback URLs on the URL this one listens at, port included, so this one is told it too.
  // The port is looked up free before the app listens on it; taken in between by another process, another is tried.
  for (let attempt = 1; ; attempt++) {
    const port = env.INGEST_PUBLIC_URL === undefined ? await freePort() : 0;
    const config = loadConfig(IngestServiceConfig, {
      LOG_LEVEL: 'silent',
      INGEST_PUBLIC_URL: `http://127.0.0.1:${port}`,
      RECONCILER_INTERVAL_MS: '50',
      // The nightly close would start at the stores' close time, whenever a test runs: only its tests enable it.
      NIGHTLY_CLOSE_ENABLED: 'false',
      // Tests send bursts from one address; the limit has tests of its own.
      HTTP_RATE_LIMIT_PER_MINUTE: '0',
      NATS_URL,
      ...env,
      NATS_PREFIX: nats.prefix,
    });
    const app = await createHttpApp(IngestServiceModule.forRoot(config), config, INGEST_HTTP_APP);
    let url: string;
    try {
      url = await listenOrClose(app, () => nats.remove(), port);
    } catch (error) {
      if (attempt < 3 && (error as { code?: unknown }).code === 'EADDRINUSE') continue;
      throw error;
    }
    return {
      app,
      url,
      log: app.get(EVENT_STORE),
      close: async () => {
        await app.close();
        await nats.remove();
      },
    };
  }
}

/** A port of 127.0.0.1 that nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * An ingest service that runs the nightly close for the engine's stores (its log, simulator and NATS prefix), at
 * once for every terminal (no spread), looking every 200 ms; `env` adds or overrides.
 */
export function startNightlyCloser(
  engine: { readonly eventStoreFile: string; readonly prefix: string; readonly sim: { readonly url: string } },
  env: Record<string, string> = {},
): Promise<RunningIngestService> {
  return startIngestService({
    EVENT_STORE_URL: `sqlite:${engine.eventStoreFile}`,
    DINTERO_API_URL: engine.sim.url,
    DINTERO_CHECKOUT_URL: engine.sim.url,
    NATS_PREFIX: engine.prefix,
    NIGHTLY_CLOSE_ENABLED: 'true',
    NIGHTLY_CLOSE_CHECK_MS: '200',
    NIGHTLY_CLOSE_SPREAD_SECONDS: '0',
    OPERATION_POLL_SECONDS: '1',
    RECONCILER_INTERVAL_MS: '100',
    ...env,
  });
}

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import { createHttpApp, loadConfig } from '@app/platform';
import { CommandServiceConfig } from '../../apps/command-service/src/command-service.config';
import { CommandServiceModule } from '../../apps/command-service/src/command-service.module';
import { COMMAND_HTTP_APP } from '../../apps/command-service/src/command-http-app';
import { appPrefix, removeNatsState } from './nats-state';
import { listenOrClose } from './started-app';
import { HQ, writePosClients, type TestPosClient } from './pos-clients';
import { startSimulator, type RunningSimulator } from './simulator';

export interface RunningCommandService {
  readonly app: NestFastifyApplication;
  readonly url: string;
  /** The service's own event log (a fresh SQLite file). */
  readonly log: EventStore;
  /** `fetch` on a route of the service with a POS client's key (head office's unless told). */
  fetch(route: string, init?: RequestInit, client?: TestPosClient): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The command service in this process on a free port, over a fresh SQLite file and the real NATS server (with a
 * NATS prefix of its own unless `env.NATS_PREFIX` names one), with these POS clients in its key file (head office,
 * every store, by default).
 */
export async function startCommandService(
  env: Record<string, string> = {},
  clients: readonly TestPosClient[] = [HQ],
): Promise<RunningCommandService> {
  const dir = mkdtempSync(path.join(tmpdir(), 'command-service-'));
  const nats = appPrefix(env.NATS_PREFIX);
  const config = loadConfig(CommandServiceConfig, {
    LOG_LEVEL: 'silent',
    EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`,
    NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    POS_CLIENTS_FILE: writePosClients(dir, clients),
    // Tests send bursts with one key; the limit has tests of its own.
    HTTP_RATE_LIMIT_PER_MINUTE: '0',
    NATS_RATE_LIMIT_PER_MINUTE: '0',
    ...env,
    NATS_PREFIX: nats.prefix,
  });
  const app = await createHttpApp(CommandServiceModule.forRoot(config), config, COMMAND_HTTP_APP);
  const url = await listenOrClose(app, async () => {
    rmSync(dir, { recursive: true, force: true });
    await nats.remove();
  });
  return {
    app,
    url,
    log: app.get(EVENT_STORE),
    fetch: (route, init = {}, client = HQ) =>
      fetch(`${url}${route}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${client.key}` },
      }),
    close: async () => {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
      await nats.remove();
    },
  };
}

export interface ChainStore {
  readonly id: string;
  readonly payoutDestinationId: string;
  readonly terminals: readonly string[];
}

/**
 * A simulator, and a command service on it with a NATS prefix of its own, with these stores (time zone
 * Europe/Oslo) and terminals registered in both: the setting of most command-service suites.
 */
export async function startCommandServiceOnSimulator(
  stores: readonly ChainStore[],
  clients: readonly TestPosClient[] = [HQ],
  env: Record<string, string> = {},
): Promise<{ service: RunningCommandService; sim: RunningSimulator; prefix: string; close: () => Promise<void> }> {
  const prefix = `t${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const sim = await startSimulator();
  await sim.control('POST', '/seed', {
    stores: stores.map((store) => ({ id: store.id, payout_destination_id: store.payoutDestinationId })),
    terminals: stores.flatMap((store) => store.terminals.map((terminal_id) => ({ terminal_id, store_id: store.id }))),
  });
  const service = await startCommandService(
    { DINTERO_API_URL: sim.url, DINTERO_CHECKOUT_URL: sim.url, NATS_PREFIX: prefix, ...env },
    clients,
  );
  const put = async (route: string, body: unknown = {}) => {
    const response = await service.fetch(route, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status >= 300) throw new Error(`PUT ${route}: ${response.status} ${await response.text()}`);
  };
  for (const store of stores) {
    await put(`/v1/stores/${store.id}`, {
      name: store.id,
      payoutDestinationId: store.payoutDestinationId,
      timeZone: 'Europe/Oslo',
    });
    for (const terminal of store.terminals) await put(`/v1/stores/${store.id}/terminals/${terminal}`);
  }
  return {
    service,
    sim,
    prefix,
    close: async () => {
      await service.close();
      await sim.close();
      // The service made the payment index's bucket under this prefix (its lookups read it).
      await removeNatsState(prefix);
    },
  };
}

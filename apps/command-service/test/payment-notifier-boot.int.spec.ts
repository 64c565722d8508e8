import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SqliteEventStore } from '@app/event-store';
import { createHttpApp, loadConfig } from '@app/platform';
import { waitUntil } from '../../../test/support/app-process';
import { logOutage } from '../../../test/support/log-outage';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/nats-state';
import { HQ, writePosClients } from '../../../test/support/pos-clients';
import { listenOrClose } from '../../../test/support/started-app';
import { COMMAND_HTTP_APP } from '../src/command-http-app';
import { CommandServiceConfig } from '../src/command-service.config';
import { CommandServiceModule } from '../src/command-service.module';

/**
 * The command service started while the log's head cannot be read (KurrentDB electing a leader, SQLite's file busy):
 * its `waitFor=final` notifier reads the head as it starts. Where that failure rejected the start, and the process
 * exited (and `apps/engine`, the ingest and projections apps in it), the notifier's start is tried again and the
 * service takes requests meanwhile, `/health` naming the notifier until it starts.
 */
describe('the command service when the log’s head cannot be read at start', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'payment-notifier-boot-'));
  const prefix = uniquePrefix();
  let log: SqliteEventStore;
  let app: NestFastifyApplication | undefined;
  beforeAll(() => (log = new SqliteEventStore({ file: path.join(dir, 'events.db') })));
  afterAll(async () => {
    await app?.close();
    await log.close();
    await removeNatsState(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes requests, says the notifier is not started, and starts it once the log answers', async () => {
    const outage = logOutage(log, ['headPosition']);
    const config = loadConfig(CommandServiceConfig, {
      LOG_LEVEL: 'silent',
      EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`,
      NATS_URL,
      NATS_PREFIX: prefix,
      POS_CLIENTS_FILE: writePosClients(dir, [HQ]),
      HTTP_RATE_LIMIT_PER_MINUTE: '0',
      NATS_RATE_LIMIT_PER_MINUTE: '0',
    });
    app = await createHttpApp(
      CommandServiceModule.forRoot(config, { eventStore: outage.store }),
      config,
      COMMAND_HTTP_APP,
    );
    const url = await listenOrClose(app);
    const health = async () => {
      const response = await fetch(`${url}/health`);
      return { status: response.status, body: await response.text() };
    };

    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body).toContain('not started yet, trying again: payment-notifier');
    // A request is answered from the log all the same.
    const unknown = await fetch(`${url}/v1/stores/nowhere`, { headers: { authorization: `Bearer ${HQ.key}` } });
    expect(unknown.status).toBe(404);
    expect(outage.failures).toBeGreaterThanOrEqual(1);

    outage.end();
    await waitUntil(async () => (await health()).status === 200, 10_000, 'the notifier started');
  });
});

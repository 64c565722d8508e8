import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { SqliteEventStore } from '@app/event-store';
import { natsNames } from '@app/messaging';
import { AnotherLogCheck, createHttpApp, loadConfig } from '@app/platform';
import { waitUntil } from '../../../test/support/app-process';
import { loggedLines } from '../../../test/support/logged-lines';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/nats-state';
import { bearer, HQ, writePosClients } from '../../../test/support/pos-clients';
import { startedApps } from '../../../test/support/started-app';
import { COMMAND_HTTP_APP } from '../src/command-http-app';
import { CommandServiceConfig } from '../src/command-service.config';
import { CommandServiceModule } from '../src/command-service.module';

/**
 * A command-service instance still starting (the check that no engine of another log runs on its NATS prefix not
 * made yet: the log out of reach as it starts) is no member of the queue group of the NATS commands and queries: it
 * took its share of them only to answer 503 `ENGINE_STARTING`, while an instance that was ready could have answered
 * them. It joins once the check is made. Over HTTP it still answers 503 (a load balancer reads its `/health`). The
 * check is held here as `apps/engine` shares its projector's (`SharedInfrastructure.anotherLogCheck`).
 */
describe('the NATS commands of a command-service instance still starting', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nats-commands-wait-for-check-'));
  const prefix = uniquePrefix();
  let log: SqliteEventStore;
  let client: NatsConnection;
  const apps = startedApps();
  const { commands, queries } = natsNames(prefix);

  beforeAll(async () => {
    log = new SqliteEventStore({ file: path.join(dir, 'events.db') });
    client = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    await apps.closeAll();
    await client.close();
    await log.close();
    await removeNatsState(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  /** An instance on the shared log and prefix, its check made already (`checked`) or only by `check.pass`. */
  const instance = async (checked: boolean) => {
    const config = loadConfig(CommandServiceConfig, {
      LOG_LEVEL: 'silent',
      EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`,
      NATS_URL,
      NATS_PREFIX: prefix,
      POS_CLIENTS_FILE: writePosClients(dir),
      HTTP_RATE_LIMIT_PER_MINUTE: '0',
      NATS_RATE_LIMIT_PER_MINUTE: '0',
    });
    const check = new AnotherLogCheck(checked);
    const app = await createHttpApp(
      CommandServiceModule.forRoot(config, { eventStore: log, anotherLogCheck: check }),
      config,
      COMMAND_HTTP_APP,
    );
    return { ...(await apps.listen(app)), check };
  };

  /** A query of a payment no one started, with head office's key: 404 from an instance that takes requests. */
  const ask = async () => {
    const h = headers();
    h.set('Authorization', `Bearer ${HQ.key}`);
    const reply = await client.request(queries.payment, JSON.stringify({ paymentId: randomUUID() }), {
      timeout: 5_000,
      headers: h,
    });
    return reply.json<{ status: number; body: { code?: string } }>();
  };

  it('takes no share of the requests until its check is made, and answers once it is', async () => {
    const ready = await instance(true);
    const starting = await instance(false);
    // Beside an instance that is ready, every request goes to the ready one.
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push(await ask());
    expect(answers.map(({ status }) => status)).toEqual(Array.from({ length: 20 }, () => 404));

    // Alone, nothing answers: the caller is told so at once, as when no instance runs.
    await apps.stop(ready.app);
    await expect(ask()).rejects.toThrow(/no responders/i);
    await expect(client.request(commands.start, '{}', { timeout: 5_000 })).rejects.toThrow(/no responders/i);
    // Over HTTP it still answers, 503 ENGINE_STARTING, for a load balancer that has not yet read its /health.
    const http = await fetch(`${starting.url}/v1/terminal-payments/${randomUUID()}`, { headers: bearer() });
    expect(http.status).toBe(503);
    expect(await http.json()).toMatchObject({ code: 'ENGINE_STARTING' });

    // Checked, it joins the queue group and answers.
    starting.check.pass();
    await waitUntil(
      () =>
        ask().then(
          ({ status }) => status === 404,
          () => false,
        ),
      10_000,
      'the instance answering once checked',
    );
    await apps.stop(starting.app);
  }, 30_000);

  it('subscribes nothing when its check is made after it stopped', async () => {
    const errors = loggedLines('error');
    const starting = await instance(false);
    await apps.stop(starting.app);
    starting.check.pass();
    // What the pass would set off runs in this turn's microtasks.
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual([]);
    await expect(ask()).rejects.toThrow(/no responders/i);
    jest.restoreAllMocks();
  });
});

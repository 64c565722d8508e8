import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { APPS, runToExit, startApp, startApps, waitUntil, type RunningApp } from './support/app-process';
import { SqliteEventStore } from '@app/event-store';
import { bearer, writePosClients } from './support/pos-clients';
import { removeNatsState, uniquePrefix } from './support/projections';

describe('the four apps, as built', () => {
  let dir: string;
  let env: Record<string, string>;
  const running: RunningApp[] = [];

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'apps-boot-'));
    env = {
      EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`,
      NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
      POS_CLIENTS_FILE: writePosClients(dir),
      NATS_PREFIX: uniquePrefix(),
    };
  });
  afterAll(async () => {
    await Promise.all(running.map((app) => app.stop()));
    rmSync(dir, { recursive: true, force: true });
    await removeNatsState(env.NATS_PREFIX!);
  });

  it('each boots on one shared SQLite log and answers /health, /metrics and /docs', async () => {
    running.push(...(await startApps(APPS, env)));

    for (const app of running) {
      const health = (await (await fetch(`${app.url}/health`)).json()) as {
        status: string;
        details: Record<string, { status: string }>;
      };
      expect(health.status).toBe('ok');
      const metrics = await (await fetch(`${app.url}/metrics`)).text();
      expect(metrics).toContain(`process_cpu_user_seconds_total{app="${app.name}"}`);
      // Every app counts and times its requests by route pattern and status: the /health just answered.
      expect(metrics).toMatch(/http_requests_total\{method="GET",route="\/health",status="200",app="[a-z-]+"\} [1-9]/);
      expect(metrics).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/health",status="200"\} [1-9]/);
      expect((await fetch(`${app.url}/docs`)).status).toBe(200);
    }
    const commandHealth = (await (await fetch(`${running[0]!.url}/health`)).json()) as {
      details: Record<string, { status: string }>;
    };
    expect(commandHealth.details).toEqual({
      'event-store': expect.objectContaining({ status: 'up' }),
      nats: expect.objectContaining({ status: 'up' }),
      // The payment notifier's subscription to the log (waitFor=final): up, resubscribing after a drop.
      'log-subscriptions': expect.objectContaining({ status: 'up' }),
      // Made as it started (the log answered): no engine of another log on its NATS prefix, requests taken.
      'another-log-check': expect.objectContaining({ status: 'up' }),
    });
  });

  it('stops cleanly on SIGTERM', async () => {
    const app = await startApp('ingest-service', env);
    expect(await app.stop()).toBe(0);
  });

  it('stops within seconds while a POS waits for a payment on a kept-alive connection', async () => {
    const simulator = await startApp('dintero-simulator', { ...env, SIM_TERMINAL_DELAY_MS: '600000' });
    const command = await startApp('command-service', {
      ...env,
      LOG_LEVEL: 'debug',
      DINTERO_API_URL: simulator.url,
      DINTERO_CHECKOUT_URL: simulator.url,
      INGEST_PUBLIC_URL: 'http://127.0.0.1:9',
    });
    // Stopped however the test ends: a failure left both running, and Jest waiting for them.
    try {
      const call = async (method: string, route: string, body?: unknown, headers: Record<string, string> = {}) => {
        const response = await fetch(`${command.url}${route}`, {
          method,
          headers: { ...bearer(), 'content-type': 'application/json', ...headers },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };
      await fetch(`${simulator.url}/_control/seed`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          payoutDestinations: ['seller-1'],
          stores: [{ id: 's-1', payout_destination_id: 'seller-1' }],
          terminals: [{ terminal_id: 'T-1', store_id: 's-1' }],
        }),
      });
      expect(
        await call('PUT', '/v1/stores/s-1', {
          name: 'S',
          payoutDestinationId: 'seller-1',
          timeZone: 'UTC',
          currencies: ['NOK'],
        }),
      ).toMatchObject({ status: 201 });
      expect(await call('PUT', '/v1/stores/s-1/terminals/T-1', {})).toMatchObject({ status: 200 });
      const started = await call(
        'POST',
        '/v1/terminal-payments',
        { storeId: 's-1', terminalId: 'T-1', amount: 39_900, currency: 'NOK', merchantReference: 'R-1' },
        { 'idempotency-key': 'stop-1' },
      );
      expect(started.status).toBe(201);

      // fetch keeps the connection alive after the answer; the stop must not wait out Fastify's 72 s for it.
      const waiting = call('GET', `/v1/terminal-payments/${String(started.body.paymentId)}?waitFor=final&timeout=60`);
      await waitUntil(() => command.output().includes('waiting for the outcome'), 10_000, 'the wait to begin');
      const stopped = command.stop();
      expect(await waiting).toMatchObject({ status: 200, body: { status: 'awaiting_card', final: false } });
      const exit = await Promise.race([
        stopped,
        new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 15_000).unref()),
      ]);
      expect(exit).toBe(0);
    } finally {
      await command.stop();
      await simulator.stop();
    }
  });

  it('echoes a well-formed X-Correlation-Id, records it on the events, and logs one line per request', async () => {
    const simulator = await startApp('dintero-simulator', env);
    const command = await startApp('command-service', {
      ...env,
      LOG_LEVEL: 'info',
      DINTERO_API_URL: simulator.url,
      DINTERO_CHECKOUT_URL: simulator.url,
      INGEST_PUBLIC_URL: 'http://127.0.0.1:9',
    });
    try {
      await fetch(`${simulator.url}/_control/seed`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          payoutDestinations: ['seller-1'],
          terminals: [{ terminal_id: 'C-1', store_id: 'corr-1' }],
        }),
      });
      const put = (route: string, body: unknown, correlationId: string) =>
        fetch(`${command.url}${route}`, {
          method: 'PUT',
          headers: { ...bearer(), 'content-type': 'application/json', 'x-correlation-id': correlationId },
          body: JSON.stringify(body),
        });
      const registered = await put(
        '/v1/stores/corr-1',
        { name: 'C', payoutDestinationId: 'seller-1', timeZone: 'UTC', currencies: ['NOK'] },
        'till-3.receipt-42',
      );
      expect(registered.status).toBe(201);
      expect(registered.headers.get('x-correlation-id')).toBe('till-3.receipt-42');
      // Not well-formed: a new one instead, never the caller's text.
      const other = await put('/v1/stores/corr-1/terminals/C-1', {}, 'has spaces and <html>');
      const generated = other.headers.get('x-correlation-id');
      expect(generated).toMatch(/^[0-9a-f-]{36}$/);

      const log = new SqliteEventStore({ file: env.EVENT_STORE_URL!.slice('sqlite:'.length) });
      try {
        const events = await log.readStream('store-corr-1');
        expect(events[0]?.metadata).toMatchObject({ correlationId: 'till-3.receipt-42', posClientId: 'hq' });
        expect(events.at(-1)?.metadata).toMatchObject({ correlationId: generated });
      } finally {
        await log.close();
      }
      // Probes and scrapes, before the request below: their lines, were they written, would come before its.
      for (const probe of ['/health', '/metrics', '/health?ready']) await fetch(`${command.url}${probe}`);
      // A request whose code logs a line of its own naming the correlation id (the terminals imported).
      const imported = await fetch(`${command.url}/v1/stores/corr-1/terminals/import`, {
        method: 'POST',
        headers: { ...bearer(), 'x-correlation-id': 'till-3.receipt-42' },
      });
      expect(imported.status).toBe(200);
      await waitUntil(
        () =>
          command.output().includes('"correlationId":"till-3.receipt-42"') &&
          command.output().includes('imported terminals from Dintero'),
        10_000,
        'the request line and the import’s',
      );
      const line = command
        .output()
        .split('\n')
        .map((text) => (text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {}))
        .find((entry) => entry['correlationId'] === 'till-3.receipt-42' && entry['msg'] === 'request answered');
      expect(line).toMatchObject({
        req: { method: 'PUT', url: '/v1/stores/corr-1' },
        res: { status: 201 },
        route: '/v1/stores/:storeId',
        posClientId: 'hq',
        durationMs: expect.any(Number),
      });
      expect(command.output()).not.toContain(bearer().authorization);
      expect(command.output()).not.toMatch(/"url":"\/(health|metrics)/);
      // The request's logger carries its correlation id, and the lines the code writes name it too: once a line.
      const lines = command.output().split('\n');
      expect(lines.filter((text) => text.includes('imported terminals from Dintero'))).toEqual([
        expect.stringContaining('"correlationId":"till-3.receipt-42"'),
      ]);
      expect(lines.filter((text) => text.split('"correlationId"').length > 2)).toEqual([]);
    } finally {
      await command.stop();
      await simulator.stop();
    }
  });

  it('refuses to start on a bad configuration, saying what is wrong', async () => {
    const { code, output } = await runToExit('command-service', {
      ...env,
      EVENT_STORE_URL: 'mysql://nope',
      PORT: 'eighty',
    });
    expect(code).toBe(1);
    expect(output).toContain('EVENT_STORE_URL must be sqlite:<path>');
    // Named by the variable the operator sets.
    expect(output).toContain('PORT must be an integer number');
    expect(output).not.toContain('PORT: PORT');
  });

  it('refuses to start the command service without a valid POS key file', async () => {
    const { POS_CLIENTS_FILE: _file, ...withoutKeys } = env;
    const missing = await runToExit('command-service', withoutKeys);
    expect(missing.code).toBe(1);
    expect(missing.output).toContain('POS_CLIENTS_FILE must name the POS API key file');
    const broken = await runToExit('command-service', { ...env, POS_CLIENTS_FILE: path.join(dir, 'nope.json') });
    expect(broken.code).toBe(1);
    expect(broken.output).toContain('nope.json does not exist: make it with `npm run pos-key`');
  });

  it('refuses to start when NATS does not answer', async () => {
    const { code, output } = await runToExit('projections', { ...env, NATS_URL: 'nats://127.0.0.1:1' });
    expect(code).toBe(1);
    expect(output).toContain('NATS at nats://127.0.0.1:1 does not answer');
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { APPS, runToExit, startApp, startApps, type RunningApp } from './support/app-process';
import { writePosClients } from './support/pos-clients';
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
      expect((await fetch(`${app.url}/docs`)).status).toBe(200);
    }
    const commandHealth = (await (await fetch(`${running[0]!.url}/health`)).json()) as {
      details: Record<string, { status: string }>;
    };
    expect(commandHealth.details).toEqual({
      'event-store': expect.objectContaining({ status: 'up' }),
      nats: expect.objectContaining({ status: 'up' }),
    });
  });

  it('stops cleanly on SIGTERM', async () => {
    const app = await startApp('ingest-service', env);
    expect(await app.stop()).toBe(0);
  });

  it('refuses to start on a bad configuration, saying what is wrong', async () => {
    const { code, output } = await runToExit('command-service', {
      ...env,
      EVENT_STORE_URL: 'mysql://nope',
      PORT: 'eighty',
    });
    expect(code).toBe(1);
    expect(output).toContain('EVENT_STORE_URL must be sqlite:<path>');
    expect(output).toContain('port: port must be an integer number');
  });

  it('refuses to start the command service without a valid POS key file', async () => {
    const { POS_CLIENTS_FILE: _file, ...withoutKeys } = env;
    const missing = await runToExit('command-service', withoutKeys);
    expect(missing.code).toBe(1);
    expect(missing.output).toContain('POS_CLIENTS_FILE must name the POS API key file');
    const broken = await runToExit('command-service', { ...env, POS_CLIENTS_FILE: path.join(dir, 'nope.json') });
    expect(broken.code).toBe(1);
    expect(broken.output).toContain('nope.json: ENOENT');
  });

  it('refuses to start when NATS does not answer', async () => {
    const { code, output } = await runToExit('projections', { ...env, NATS_URL: 'nats://127.0.0.1:1' });
    expect(code).toBe(1);
    expect(output).toContain('NATS at nats://127.0.0.1:1 does not answer');
  });
});

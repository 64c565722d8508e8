import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startApp, type RunningApp } from './support/app-process';
import { startNatsServer, type PrivateNats } from './support/nats-server';
import { bearer, writePosClients } from './support/pos-clients';
import { uniquePrefix } from './support/projections';

/**
 * A built app whose NATS server refuses its credentials for good (the password changed under it): nats.js stops
 * reconnecting, and the app stops as on SIGTERM with exit code 1, so that its supervisor starts it again.
 */
describe('an app whose NATS connection closes for good', () => {
  let dir: string;
  let server: PrivateNats | undefined;
  let app: RunningApp | undefined;
  const config = (password: string) =>
    writeFileSync(path.join(dir, 'nats.conf'), `authorization { user: app, password: ${password} }\n`);

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'nats-loss-e2e-'));
  });
  afterEach(async () => {
    await app?.stop();
    // A server of the test's own: its JetStream folder, with the app's buckets, goes with it.
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** `name` on a NATS server of this test's own, whose user's password is `first-password` until changed. */
  const startOnOwnNats = async (name: 'projections' | 'engine') => {
    config('first-password');
    server = await startNatsServer({
      args: ['-c', path.join(dir, 'nats.conf')],
      probe: { user: 'app', pass: 'first-password' },
    });
    const ports = { command: await freePort(), ingest: await freePort(), projections: await freePort() };
    return startApp(
      name,
      {
        EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`,
        NATS_URL: `nats://app:first-password@127.0.0.1:${new URL(server.url).port}`,
        NATS_PREFIX: uniquePrefix(),
        POS_CLIENTS_FILE: writePosClients(dir),
        // The engine's three apps on ports of their own (it takes PORT for the command service's).
        INGEST_SERVICE_PORT: String(ports.ingest),
        PROJECTIONS_PORT: String(ports.projections),
        COMMAND_SERVICE_PORT: String(ports.command),
      },
      30_000,
      name === 'engine' ? ports.command : undefined,
    );
  };

  it.each(['projections', 'engine'] as const)(
    '%s stops with exit code 1, saying why',
    async (name) => {
      app = await startOnOwnNats(name);
      // The password changes under the running server: it drops the app, and refuses it when it comes back.
      config('second-password');
      server!.reload();
      expect(await app.exited).toBe(1);
      expect(app.output()).toContain('the NATS connection closed for good');
    },
    60_000,
  );

  it('engine answers a listing of payments while its NATS server is down 503 PAYMENT_INDEX_UNAVAILABLE, to try again', async () => {
    app = await startOnOwnNats('engine');
    const list = () => fetch(`${app!.url}/v1/terminal-payments?storeId=store-1`, { headers: bearer() });
    expect((await list()).status).toBe(200);
    await server!.stop();
    server = undefined;
    const response = await list();
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await response.json()).toMatchObject({ code: 'PAYMENT_INDEX_UNAVAILABLE' });
  }, 60_000);

  it('engine stopped (SIGTERM) while its NATS server is down stops cleanly, exit code 0, saying it could not drain', async () => {
    app = await startOnOwnNats('engine');
    await server!.stop();
    server = undefined;
    app.process.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    expect(app.output()).toContain('NATS could not be drained: it does not answer');
  }, 60_000);
});

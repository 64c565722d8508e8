import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteEventStore } from '@app/event-store';
import { freePort, startApp, waitUntil, type RunningApp } from './support/app-process';
import { startNatsServer, type PrivateNats } from './support/nats-server';
import { bearer, writePosClients } from './support/pos-clients';
import { uniquePrefix } from './support/projections';
import { storeRegistered } from './support/recorded-events';

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
  const startOnOwnNats = async (name: 'projections' | 'engine', env: Record<string, string> = {}) => {
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
        ...env,
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

  it('projections with NATS away past its lease reports the position KV holds, and a lag that grows', async () => {
    app = await startOnOwnNats('projections', { PROJECTOR_LEASE_SECONDS: '1' });
    const log = new SqliteEventStore({ file: path.join(dir, 'events.db') });
    const registered = async (from: number, count: number) => {
      for (let n = from; n < from + count; n++)
        await log.append(`store-nl-${n}`, [storeRegistered(`nl-${n}`)], { expectedRevision: 'no_stream' });
      return log.headPosition();
    };
    const metric = async (name: string) => sample(await (await fetch(`${app!.url}/metrics`)).text(), name);
    try {
      const written = await registered(0, 5);
      await waitUntil(
        async () => (await metric('payments_projection_position')) === Number(written),
        20_000,
        'the read models written',
      );
      await server!.stop();
      server = undefined;
      const head = await registered(5, 5);
      // The lease runs out by the projector's own clock; what it folds meanwhile reaches no KV.
      await waitUntil(async () => (await metric('payments_projector_leader')) === 0, 20_000, 'the lease lost');
      await waitUntil(
        async () => (await metric('payments_log_head_position')) === Number(head),
        10_000,
        'the head seen',
      );
      // Past the longest pause between two tries of a flush (5 s): none may move the position KV does not hold.
      for (const until = Date.now() + 7_000; Date.now() < until; await new Promise((r) => setTimeout(r, 250))) {
        expect(await metric('payments_projection_position')).toBe(Number(written));
        expect(await metric('payments_projection_lag_positions')).toBe(Number(head - written));
      }
    } finally {
      await log.close();
    }
  }, 90_000);

  it('engine stopped (SIGTERM) while its NATS server is down stops cleanly, exit code 0, saying it could not drain', async () => {
    app = await startOnOwnNats('engine');
    await server!.stop();
    server = undefined;
    // Seen by the engine as away (it says so on its health) before it is told to stop.
    await waitUntil(async () => (await fetch(`${app!.url}/health`)).status === 503, 10_000, 'NATS seen away');
    app.process.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    const output = app.output();
    expect(output).toContain('NATS could not be drained: it does not answer');
    // What is worth writing only while NATS answers is not tried, each a 5 s wait for a request's timeout.
    expect(output).toContain('NATS is away: the projector lease is left to lapse');
    expect(output).toContain('NATS is away: the reconciler checkpoint is not saved at stop');
    expect(output).not.toContain('could not save the reconciler checkpoint');
    // Nor are the fleet services' leases given up: they run out.
    expect(output).toContain('operations-reconciler: NATS is away: the leases are not given up at stop');
    expect(output).not.toContain('could not give up the leases at stop');
  }, 60_000);
});

/** The value of a Prometheus sample of one series (whatever its labels, such as the app's). */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((each) => each.startsWith(`${name} `) || each.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

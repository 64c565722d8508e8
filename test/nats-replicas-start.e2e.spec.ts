import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApp, type AppName } from './support/app-process';
import { writePosClients } from './support/pos-clients';
import { removeNatsState, uniquePrefix } from './support/projections';

/**
 * NATS_REPLICAS=3 on the shared NATS, a single server: each app stops at start with the setting named, and is not
 * found out later (the command service at its first payment lookup, ingest's leases with a warning only).
 */
describe('NATS_REPLICAS above what a single NATS server keeps', () => {
  let dir: string;
  let env: Record<string, string>;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'replicas-start-'));
    env = {
      EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`,
      NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
      POS_CLIENTS_FILE: writePosClients(dir),
      NATS_PREFIX: uniquePrefix(),
      NATS_REPLICAS: '3',
    };
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await removeNatsState(env.NATS_PREFIX!);
  });

  const unclustered = /NATS_REPLICAS=3, but the NATS server is not part of a JetStream cluster/;

  it.each<[AppName, Record<string, string>]>([
    ['command-service', {}],
    // Its reconciler would stop it on its own checkpoint; without it, only its leases' bucket is made, late.
    ['ingest-service', { RECONCILER_ENABLED: 'false' }],
  ])('%s stops at start', async (name, extra) => {
    const starting = startApp(name, { ...env, ...extra }, 15_000);
    // Healthy would be the defect: stopped here, so that it does not outlive the test.
    const started = await starting.catch((error: unknown) => error as Error);
    if (!(started instanceof Error)) await started.stop();
    expect(started).toBeInstanceOf(Error);
    expect((started as Error).message).toMatch(/exited with 1/);
    expect((started as Error).message).toMatch(unclustered);
  });
});

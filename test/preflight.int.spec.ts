import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { freePort } from './support/app-process';

const root = path.resolve(__dirname, '..');

/** `npm start`'s first step, as a user's shell runs it, with these variables. */
function preflight(env: Record<string, string>) {
  const run = spawnSync(process.execPath, [path.join(root, 'scripts/preflight.mjs')], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { status: run.status, stderr: run.stderr.trim() };
}

describe('npm start: what it checks before it builds anything', () => {
  const ports: Record<string, string> = {};
  let freeForProjections: string;
  let taken: Server;
  beforeAll(async () => {
    for (const name of ['COMMAND_SERVICE_PORT', 'INGEST_SERVICE_PORT', 'PROJECTIONS_PORT', 'DINTERO_SIMULATOR_PORT'])
      ports[name] = String(await freePort());
    freeForProjections = String(await freePort());
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(Number(ports.PROJECTIONS_PORT), '127.0.0.1', resolve));
  });
  afterAll(() => new Promise((resolve) => taken.close(resolve)));

  it('goes on when NATS answers and every port is free', () => {
    expect(preflight({ ...ports, PROJECTIONS_PORT: freeForProjections })).toEqual({
      status: 0,
      stderr: '',
    });
  });

  it('refuses a port another process listens on, naming the app and its variable', () => {
    expect(preflight(ports)).toEqual({
      status: 1,
      stderr: `Port ${ports.PROJECTIONS_PORT} (projections) is taken: is the engine running already? Stop it (Ctrl-C where it runs), or set PROJECTIONS_PORT.`,
    });
  });

  it('refuses a NATS_URL that is not a URL with the rule, not a stack trace', () => {
    expect(preflight({ ...ports, PROJECTIONS_PORT: freeForProjections, NATS_URL: 'not-a-url' })).toEqual({
      status: 1,
      stderr: 'NATS_URL must be one or more comma-separated nats:// or tls:// URLs, not "not-a-url"',
    });
  });
});

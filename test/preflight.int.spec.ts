import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './support/app-process';

const root = path.resolve(__dirname, '..');

/** A data folder of this run's own: a developer's `npm start` on ./data is none of its business. */
const dataDir = mkdtempSync(path.join(tmpdir(), 'preflight-'));

/** `npm start`'s first step, as a user's shell runs it, with these variables. */
function preflight(env: Record<string, string>) {
  const run = spawnSync(process.execPath, [path.join(root, 'scripts/preflight.mjs')], {
    env: { ...process.env, DATA_DIR: dataDir, ...env },
    encoding: 'utf8',
  });
  return { status: run.status, stderr: run.stderr.trim() };
}

/** The same, while this process goes on: for a server of the test's own that must answer meanwhile. */
function preflightAsync(env: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const run = spawn(process.execPath, [path.join(root, 'scripts/preflight.mjs')], {
      env: { ...process.env, DATA_DIR: dataDir, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    run.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    run.once('close', (status) => resolve({ status, stderr: stderr.trim() }));
  });
}

describe('npm start: what it checks before it builds anything', () => {
  const ports: Record<string, string> = {};
  let freeForProjections: string;
  let taken: Server;
  const connections = new Set<Socket>();
  beforeAll(async () => {
    for (const name of ['COMMAND_SERVICE_PORT', 'INGEST_SERVICE_PORT', 'PROJECTIONS_PORT', 'DINTERO_SIMULATOR_PORT'])
      ports[name] = String(await freePort());
    freeForProjections = String(await freePort());
    // It accepts and says nothing. What the probes' connections leave (a reset, half a TLS hello) is dropped.
    taken = createServer((socket) => {
      connections.add(socket);
      socket.on('error', () => undefined).on('close', () => connections.delete(socket));
      // Read and dropped: a socket whose bytes (a TLS hello) no one reads never ends when its client goes.
      socket.resume();
    });
    await new Promise<void>((resolve) => taken.listen(Number(ports.PROJECTIONS_PORT), '127.0.0.1', resolve));
  });
  afterAll(async () => {
    // A connection no one reads never sees its end, and `close` waits for every connection.
    for (const socket of connections) socket.destroy();
    await new Promise((resolve) => taken.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

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

  it('refuses a port variable that is no port, naming it, rather than a stack trace or a port picked at random', () => {
    const free = { ...ports, PROJECTIONS_PORT: freeForProjections };
    expect(preflight({ ...free, COMMAND_SERVICE_PORT: 'abc', INGEST_SERVICE_PORT: '70000' })).toEqual({
      status: 1,
      stderr: [
        'INGEST_SERVICE_PORT must be a port number from 1 to 65535, not "70000".',
        'COMMAND_SERVICE_PORT must be a port number from 1 to 65535, not "abc".',
      ].join('\n'),
    });
    expect(preflight({ ...free, DINTERO_SIMULATOR_PORT: '' })).toMatchObject({
      status: 1,
      stderr: 'DINTERO_SIMULATOR_PORT must be a port number from 1 to 65535, not "".',
    });
  });

  it('refuses a NATS_URL where something else answers (an app’s HTTP port)', () => {
    expect(
      preflight({
        ...ports,
        PROJECTIONS_PORT: freeForProjections,
        NATS_URL: `nats://127.0.0.1:${ports.PROJECTIONS_PORT}`,
      }),
    ).toEqual({
      status: 1,
      stderr: `What answers at nats://127.0.0.1:${ports.PROJECTIONS_PORT} is not NATS: set NATS_URL to a NATS server.`,
    });
  });

  it('names a NATS that does not answer without the password its URL carries', () => {
    // Port 1: nothing listens there.
    expect(
      preflight({ ...ports, PROJECTIONS_PORT: freeForProjections, NATS_URL: 'nats://engine:s3cret-pw@127.0.0.1:1' }),
    ).toEqual({
      status: 1,
      stderr:
        'NATS does not answer at nats://127.0.0.1:1.\nStart one with JetStream (nats-server -js) or set NATS_URL.',
    });
    expect(
      preflight({ ...ports, PROJECTIONS_PORT: freeForProjections, NATS_URL: 'nats://engine:s3cret-pw@bad url' }).stderr,
    ).not.toContain('s3cret');
    // A password with a `/` in it, unencoded, is what makes a URL unreadable: it goes unsaid too.
    const slashed = preflight({
      ...ports,
      PROJECTIONS_PORT: freeForProjections,
      NATS_URL: 'nats://engine:se/cr@t@127.0.0.1:1',
    });
    expect(slashed.stderr).toContain('NATS_URL must be');
    expect(slashed.stderr).not.toMatch(/se\/cr|cr@t/);
    const commas = preflight({ ...ports, PROJECTIONS_PORT: freeForProjections, NATS_URL: 'nats://engine:pa,ss@h:1' });
    expect(commas.stderr).toContain('NATS_URL must be');
    expect(commas.stderr).not.toMatch(/pa,ss|engine/);
  });

  it('asks a server silent at a tls:// URL again over TLS, as NATS set up for a TLS handshake first answers', async () => {
    // A self-signed certificate of this run's own: the probe leaves checking it to the apps.
    const certificate = path.join(dataDir, 'nats-tls');
    const made = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost'].concat([
        '-keyout',
        `${certificate}.key`,
        '-out',
        `${certificate}.crt`,
      ]),
      { encoding: 'utf8' },
    );
    expect(made.status).toBe(0);
    const natsOverTls = createTlsServer(
      { key: readFileSync(`${certificate}.key`), cert: readFileSync(`${certificate}.crt`) },
      (socket) => socket.on('error', () => undefined).write('INFO {"server_id":"test","tls_required":true}\r\n'),
    );
    await new Promise<void>((resolve) => natsOverTls.listen(0, '127.0.0.1', resolve));
    try {
      const free = { ...ports, PROJECTIONS_PORT: freeForProjections };
      const { port } = natsOverTls.address() as AddressInfo;
      expect(await preflightAsync({ ...free, NATS_URL: `tls://127.0.0.1:${port}` })).toEqual({ status: 0, stderr: '' });
      // The port taken above accepts and says nothing, over TLS too: not NATS.
      expect(await preflightAsync({ ...free, NATS_URL: `tls://127.0.0.1:${ports.PROJECTIONS_PORT}` })).toEqual({
        status: 1,
        stderr: `What answers at tls://127.0.0.1:${ports.PROJECTIONS_PORT} is not NATS: set NATS_URL to a NATS server.`,
      });
    } finally {
      await new Promise((resolve) => natsOverTls.close(resolve));
    }
  });

  it('refuses a data folder another live npm start holds, and takes one whose holder is gone', () => {
    const free = { ...ports, PROJECTIONS_PORT: freeForProjections };
    // This test's own process stands for the other npm start.
    writeFileSync(path.join(dataDir, 'npm-start.pid'), `${process.pid}\n`);
    expect(preflight(free)).toEqual({
      status: 1,
      stderr: `${dataDir} is used by another npm start (process ${process.pid}): stop it first, or set DATA_DIR to another folder.`,
    });
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    writeFileSync(path.join(dataDir, 'npm-start.pid'), gone.stdout);
    expect(preflight(free)).toEqual({ status: 0, stderr: '' });
  });

  // Where there is no /proc (macOS), the hold is told by the process id alone, as the test above shows.
  (existsSync('/proc/self/stat') ? it : it.skip)(
    'tells the holder from a later process given its id, by when it started',
    () => {
      const free = { ...ports, PROJECTIONS_PORT: freeForProjections };
      // This process's start, in clock ticks since boot: /proc/<pid>/stat's 22nd field.
      const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
      const startedAt = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
      writeFileSync(path.join(dataDir, 'npm-start.pid'), `${process.pid} ${startedAt}\n`);
      expect(preflight(free)).toMatchObject({ status: 1 });
      // The same id, live, but another process's now: the npm start that wrote it is gone.
      writeFileSync(path.join(dataDir, 'npm-start.pid'), `${process.pid} ${Number(startedAt) - 1}\n`);
      expect(preflight(free)).toEqual({ status: 0, stderr: '' });
    },
  );

  it('refuses a NATS_URL that is not a URL with the rule, not a stack trace', () => {
    expect(preflight({ ...ports, PROJECTIONS_PORT: freeForProjections, NATS_URL: 'not-a-url' })).toEqual({
      status: 1,
      stderr: 'NATS_URL must be one or more comma-separated nats:// or tls:// URLs, not "not-a-url"',
    });
  });
});

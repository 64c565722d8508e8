import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './support/app-process';
import { removeNatsState, uniquePrefix } from './support/projections';

const root = path.resolve(__dirname, '..');

/**
 * `npm start -- <args>` (its script, which checks and builds only after reading them): on ports, a data folder and a prefix of
 * the test's own, so that one which started after all (as `--help` once did) disturbs nothing, and is stopped.
 */
describe('npm start: its arguments', () => {
  const parent = mkdtempSync(path.join(tmpdir(), 'npm-start-arguments-'));
  const dataDir = path.join(parent, 'data');
  const prefix = uniquePrefix();
  afterAll(async () => {
    rmSync(parent, { recursive: true, force: true });
    await removeNatsState(prefix);
  });

  const start = async (...args: string[]) => {
    const ports: Record<string, string> = {};
    for (const app of ['COMMAND_SERVICE', 'INGEST_SERVICE', 'PROJECTIONS', 'DINTERO_SIMULATOR'])
      ports[`${app}_PORT`] = String(await freePort());
    return spawnSync(process.execPath, [path.join(root, 'scripts/start.mjs'), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, DATA_DIR: dataDir, NATS_PREFIX: prefix, ...ports },
      encoding: 'utf8',
      // SIGTERM, which stops an engine that started after all, as npm start's own stop does.
      timeout: 15_000,
    });
  };

  it('prints what it does for --help, and starts nothing, making no data folder', async () => {
    const help = await start('--help');
    expect(help).toMatchObject({ status: 0, stderr: '' });
    expect(help.stdout).toMatch(/^usage: npm start \[-- --no-demo\]\n/);
    expect(help.stdout).toContain('COMMAND_SERVICE_PORT (3000)');
    expect(help.stdout).toContain('NATS_PREFIX (payments)');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses a word it does not know (a misspelt --no-demo), naming it, rather than run the demo', async () => {
    const typo = await start('--no-dmeo');
    expect(typo).toMatchObject({ status: 2, stdout: '' });
    expect(typo.stderr).toMatch(/^npm start takes --no-demo or --help, not "--no-dmeo"\nusage: npm start/);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses npm start --no-demo, whose flag npm keeps for itself, saying to put it after --, rather than run the demo', async () => {
    // What npm 11 does with `npm start --no-demo`: a warning of its own, npm_config_demo="", no word for the script.
    const ports: Record<string, string> = {};
    for (const app of ['COMMAND_SERVICE', 'INGEST_SERVICE', 'PROJECTIONS', 'DINTERO_SIMULATOR'])
      ports[`${app}_PORT`] = String(await freePort());
    const run = spawnSync('npm', ['start', '--silent', '--no-demo'], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, NATS_PREFIX: prefix, ...ports },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run).toMatchObject({ status: 2, stdout: '' });
    expect(run.stderr).toContain(
      'npm took --no-demo (or --demo) as a setting of its own and gave npm start nothing: its words go after --, ' +
        'as in npm start -- --no-demo\n',
    );
    expect(existsSync(dataDir)).toBe(false);
  });

  it('prints its help through npm itself, before the checks and the build: with a port in use it still does', async () => {
    // npm gives the words after `--` to the script's last command only: once that was the engine's, after the
    // preflight (which refused the port in use) and the build.
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const help = spawnSync('npm', ['start', '--silent', '--', '--help'], {
        cwd: root,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, COMMAND_SERVICE_PORT: String(port) },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(help).toMatchObject({ status: 0 });
      expect(help.stdout).toMatch(/^usage: npm start \[-- --no-demo\]\n/);
      expect(help.stdout).not.toContain('built ');
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      taken.close();
    }
  });
});

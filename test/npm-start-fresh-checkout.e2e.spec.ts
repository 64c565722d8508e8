import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startNpmStart, type NpmStart } from './support/npm-start';
import { removeNatsState, uniquePrefix } from './support/projections';

const root = path.resolve(__dirname, '..');
/** What a fresh clone does not have: what the build, `npm start` and the tests make, and git's own. */
const NOT_IN_A_CLONE = new Set(['node_modules', 'dist', 'data', 'coverage', 'test-artifacts', '.tmp', '.git']);

/**
 * `npm ci && npm start` on a fresh machine: a checkout with no build and no data folder. Every other test of
 * `npm start` runs in this checkout, built by `npm test` before them, so none saw that the demo's key files were
 * made with the built code before `npm start` built it: on a fresh clone it ended at once, on a module not found.
 */
describe('npm start in a fresh checkout (no dist/, no data/)', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'npm-start-fresh-'));
  const checkout = path.join(work, 'checkout');
  const dataDir = path.join(checkout, 'data');
  const prefix = uniquePrefix();
  let started: NpmStart | undefined;

  beforeAll(() => {
    cpSync(root, checkout, {
      recursive: true,
      filter: (source) => path.dirname(source) !== root || !NOT_IN_A_CLONE.has(path.basename(source)),
    });
    // What `npm ci` installs, shared: installing again would take minutes and the registry.
    symlinkSync(path.join(root, 'node_modules'), path.join(checkout, 'node_modules'), 'dir');
  });

  afterAll(async () => {
    await started?.stop();
    rmSync(work, { recursive: true, force: true });
    await removeNatsState(prefix);
  });

  it('builds, makes its key files and secrets, comes up, and stops cleanly', async () => {
    expect(existsSync(path.join(checkout, 'dist'))).toBe(false);
    expect(existsSync(dataDir)).toBe(false);

    started = await startNpmStart(['--no-demo'], { DATA_DIR: dataDir, NATS_PREFIX: prefix }, { root: checkout });

    expect(existsSync(path.join(checkout, 'dist/apps/engine/src/main.js'))).toBe(true);
    for (const file of ['pos-clients.json', 'demo-pos-key', 'operators.json', 'demo-operator-key', 'demo-secrets.json'])
      expect(existsSync(path.join(dataDir, file))).toBe(true);
    for (const app of ['command-service', 'ingest-service', 'projections', 'dintero-simulator'] as const)
      expect((await fetch(`${started.url(app)}/health`)).status).toBe(200);

    const exited = new Promise<number | null>((resolve) => started!.process.once('exit', resolve));
    started.process.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(started.output()).toContain('stopped: no payments open, no terminals claimed.');
  });
});

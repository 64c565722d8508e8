import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitUntil } from './support/app-process';
import { startNpmStart, type NpmStart } from './support/npm-start';
import { removeNatsState, uniquePrefix } from './support/projections';

/**
 * `npm start` stopped by a signal to npm alone, as `kill -INT <pid>` from a script or a process manager sends it
 * (Ctrl-C in a terminal signals the whole foreground group instead). npm passes SIGINT and SIGTERM on to its script's
 * process, which must be start.mjs itself: the shell that ran the steps before it stayed in between, kept the SIGINT
 * for itself while it waited, and the engine ran on.
 */
describe('npm start, stopped by a SIGINT to npm alone', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'npm-start-signal-'));
  const prefix = uniquePrefix();
  let started: NpmStart;

  beforeAll(async () => {
    started = await startNpmStart(['--no-demo'], { DATA_DIR: dataDir, NATS_PREFIX: prefix }, { throughNpm: true });
  });

  afterAll(async () => {
    await started?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    await removeNatsState(prefix);
  });

  it('stops the engine cleanly, frees its data folder and says so', async () => {
    const npm = started.process;
    const exited = new Promise<boolean>((resolve) => npm.once('exit', () => resolve(true)));
    npm.kill('SIGINT');
    // It stops in a few seconds; the engine running on is said as that, not as the test's timeout.
    let timer: NodeJS.Timeout | undefined;
    const ranOn = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 30_000)));
    const stopped = await Promise.race([exited, ranOn]);
    clearTimeout(timer);
    expect({ stoppedWithin30Seconds: stopped }).toEqual({ stoppedWithin30Seconds: true });
    expect(started.output().trim().split('\n').at(-1)).toBe('stopped: no payments open, no terminals claimed.');
    expect(existsSync(path.join(dataDir, 'npm-start.pid'))).toBe(false);
  });
});

/** Whether a process runs: a zombie waiting for a parent to reap it has ended. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The ids of a process's children, from /proc. */
function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

describe('npm start, killed outright (SIGKILL), which leaves it no time to stop its apps', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'npm-start-killed-'));
  const prefix = uniquePrefix();
  let started: NpmStart;

  beforeAll(async () => {
    started = await startNpmStart(['--no-demo'], { DATA_DIR: dataDir, NATS_PREFIX: prefix });
  });

  afterAll(async () => {
    await started?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    await removeNatsState(prefix);
  });

  it('has its apps stop by themselves, rather than run on orphaned with its ports and data folder', async () => {
    const apps = childrenOf(started.process.pid!);
    expect(apps).toHaveLength(2);
    started.process.kill('SIGKILL');
    await waitUntil(() => apps.every((pid) => !running(pid)), 30_000, 'the engine and the simulator to stop');
    expect((await fetch(started.url('command-service')).catch(() => undefined))?.status).toBeUndefined();
  });
});

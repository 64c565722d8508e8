import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { waitUntil } from '../../../test/support/app-process';
import { startSimulator } from '../../../test/support/simulator';
import { LOCK_HEARTBEAT_MS } from '../src/state/state-lock';

/** The lock's heartbeat as a running simulator keeps it: what a simulator of another host or container goes by. */
describe('state file lock of a running simulator', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sim-lock-int-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names it, touches its lock while it runs and removes it at its stop', async () => {
    const file = path.join(dir, 'state.json');
    const sim = await startSimulator({ SIM_STATE_FILE: file });
    const lock = `${file}.lock`;
    try {
      expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ host: hostname(), pid: process.pid });
      // Put back an hour: only a heartbeat brings it forward again.
      const hourAgo = Date.now() - 3_600_000;
      utimesSync(lock, hourAgo / 1000, hourAgo / 1000);
      await waitUntil(
        async () => statSync(lock).mtimeMs > Date.now() - 60_000,
        5 * LOCK_HEARTBEAT_MS,
        'the lock touched',
      );
    } finally {
      await sim.close();
    }
    expect(existsSync(lock)).toBe(false);
  });
});

import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitUntil } from '../../../test/support/app-process';
import { SEED, startSimulator } from '../../../test/support/simulator';
import { lockText } from '../src/state/lock-holder';
import { LOCK_HEARTBEAT_MS } from '../src/state/state-lock';

/**
 * A simulator whose lock another took over as stale (its host's clock behind, its process paused past the stale
 * time): the other now writes the file, so this one must not write it any more.
 */
describe('a running simulator whose state file lock was taken over', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sim-lock-lost-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the state file no more', async () => {
    const file = path.join(dir, 'state.json');
    const sim = await startSimulator({ SIM_STATE_FILE: file });
    const lock = `${file}.lock`;
    try {
      // Another container's simulator took the lock over (it found this one's untouched too long).
      const other = { host: 'sim-b', bootId: 'boot-b', pidNamespace: 'pid:[b]', pid: 1, instance: 'b-1' };
      writeFileSync(lock, lockText(other));
      const now = Date.now() / 1000;
      utimesSync(lock, now, now);
      // Its heartbeat finds the lock another's: from then on it refuses what would show or change its state.
      await waitUntil(
        async () => (await fetch(`${sim.url}/_control/state`)).status === 503,
        5 * LOCK_HEARTBEAT_MS,
        'the lost lock noticed: requests refused',
      );

      const size = (p: string) => {
        try {
          return statSync(p).size;
        } catch {
          return 0;
        }
      };
      const before = { snapshot: size(file), journal: size(`${file}.journal`) };
      const seeded = await sim.control('POST', '/seed', SEED).then(
        () => 'accepted',
        (error: Error) => error.message,
      );
      // What the other simulator's file holds is not this one's to change.
      expect({ snapshot: size(file), journal: size(`${file}.journal`) }).toEqual(before);
      expect(seeded).toMatch(/503/);
      // Nor at its stop: the file and the lock are left as the other has them.
      await sim.close();
      expect({ snapshot: size(file), journal: size(`${file}.journal`) }).toEqual(before);
      expect(readFileSync(lock, 'utf8')).toBe(lockText(other));
    } finally {
      await sim.close().catch(() => undefined);
    }
  }, 60_000);
});

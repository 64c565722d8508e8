import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitUntil } from '../../../test/support/app-process';
import { SEED, startSimulator } from '../../../test/support/simulator';
import { lockText } from '../src/state/lock-holder';
import { LOCK_HEARTBEAT_MS } from '../src/state/state-lock';

/**
 * A simulator stalled past the stale time (paused, its host's clock behind) whose lock another took over meanwhile:
 * what it is asked once it runs again, before its next heartbeat looks at the lock, is not written to the file the
 * other simulator holds now.
 */
describe('a simulator whose lock was taken over, asked before its heartbeat looks', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sim-lock-window-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes nothing to the file the other simulator holds', async () => {
    const file = path.join(dir, 'state.json');
    const sim = await startSimulator({ SIM_STATE_FILE: file });
    const lock = `${file}.lock`;
    const size = (p: string) => {
      try {
        return statSync(p).size;
      } catch {
        return 0;
      }
    };
    try {
      // Just after a heartbeat (it touched the lock): the next is a heartbeat away.
      const touched = statSync(lock).mtimeMs;
      await waitUntil(async () => statSync(lock).mtimeMs !== touched, 3 * LOCK_HEARTBEAT_MS, 'a heartbeat');
      const other = { host: 'sim-b', bootId: 'boot-b', pidNamespace: 'pid:[b]', pid: 1, instance: 'b-1' };
      writeFileSync(lock, lockText(other));
      const now = Date.now() / 1000;
      utimesSync(lock, now, now);
      const before = { snapshot: size(file), journal: size(`${file}.journal`) };
      const seeded = await sim.control('POST', '/seed', SEED).then(
        () => 'accepted',
        (error: Error) => error.message,
      );
      expect(readFileSync(lock, 'utf8')).toBe(lockText(other));
      expect({ snapshot: size(file), journal: size(`${file}.journal`) }).toEqual(before);
      // Refused as by a write that fails (its outcome unknown to the client), and every request after it with 503.
      expect(seeded).toMatch(/: 50[03] /);
      const again = await fetch(`${sim.url}/_control/state`);
      expect(again.status).toBe(503);
    } finally {
      await sim.close().catch(() => undefined);
    }
  }, 30_000);
});

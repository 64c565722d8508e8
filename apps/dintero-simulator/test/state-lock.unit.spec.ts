import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lockText, parseLock, type LockHolder } from '../src/state/lock-holder';
import { LOCK_HEARTBEAT_MS, LOCK_STALE_AFTER_MS, lockStateFile } from '../src/state/state-lock';

/** A pid no process has: beyond the kernel's largest (pid_max is at most 2^22). */
const GONE = 2 ** 22 + 1;

/** A simulator container: its own host name and pid namespace, the shared kernel's boot id, pid 1. */
function container(name: string, instance = `${name}-1`): LockHolder {
  return { host: name, bootId: 'boot-1', pidNamespace: `pid:[${name}]`, pid: 1, instance };
}

/**
 * The state file's lock (`<file>.lock`) between simulators on several hosts or containers, each one a holder given to
 * `lockStateFile` in this one process, on a clock the test drives (the heartbeat is stamped with it).
 */
describe('state file lock', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sim-lock-'));
  let n = 0;
  let time = Date.parse('2026-12-06T06:00:00Z');
  const now = () => time;
  const stateFile = () => path.join(dir, `state-${++n}.json`);
  const holderOf = (file: string) => parseLock(readFileSync(`${file}.lock`, 'utf8'));
  /** A lock left there as `holder` wrote it, last touched `ago` ms before now. */
  const leave = (file: string, text: string, ago = 0) => {
    writeFileSync(`${file}.lock`, text);
    utimesSync(`${file}.lock`, (time - ago) / 1000, (time - ago) / 1000);
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("never takes a pid-1 container's live lock for another pid 1's, only once its heartbeat stops", () => {
    const file = stateFile();
    const first = lockStateFile(file, { holder: container('sim-a'), now });
    const second = () => lockStateFile(file, { holder: container('sim-b'), now });
    const refusal = `SIM_STATE_FILE ${file} is in use by the simulator of pid 1 on host sim-a (its lock ${file}.lock`;

    // Beating, it keeps the lock however long it runs: far past the time a lock untouched goes stale.
    for (let beats = 0; beats * LOCK_HEARTBEAT_MS < 3 * LOCK_STALE_AFTER_MS; beats++) {
      time += LOCK_HEARTBEAT_MS;
      expect(first.beat()).toBe(true);
      expect(second).toThrow(refusal);
    }
    expect(holderOf(file)).toEqual(container('sim-a'));

    // Killed (no heartbeat): still live until its lock is untouched for the whole time, then taken over.
    time += LOCK_STALE_AFTER_MS - 1;
    expect(second).toThrow(`${refusal}, touched ${LOCK_STALE_AFTER_MS - 1} ms ago`);
    time += 1;
    const taken = second();
    expect(taken.takenOver).toBe('pid 1 on host sim-a');
    expect(holderOf(file)).toEqual(container('sim-b'));

    // The first, had it only been stalled, finds its lock gone, and its stop leaves the second's lock there.
    expect(first.beat()).toBe(false);
    first.release();
    expect(holderOf(file)).toEqual(container('sim-b'));
    taken.release();
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('takes over at once the lock of a simulator gone on this host, even one touched just now', () => {
    // Its pid no longer running.
    const dead = stateFile();
    leave(dead, lockText({ ...container('sim-a', 'old'), pid: GONE }));
    const taken = lockStateFile(dead, { holder: container('sim-a'), now });
    expect(taken.takenOver).toBe(`pid ${GONE} on host sim-a`);
    expect(holderOf(dead)).toEqual(container('sim-a'));
    taken.release();

    // The container's pid 1 of an earlier run: this process's own pid, another instance.
    const restarted = stateFile();
    leave(restarted, lockText(container('sim-a', 'old')));
    const again = lockStateFile(restarted, { holder: container('sim-a', 'new'), now });
    expect(again.takenOver).toBe('pid 1 on host sim-a');
    expect(holderOf(restarted)).toEqual(container('sim-a', 'new'));
    again.release();
  });

  it('refuses the lock of a running pid on this host however long untouched, and a second taking in one process', () => {
    const file = stateFile();
    leave(file, lockText({ ...container('sim-a', 'other'), pid: process.ppid }), 100 * LOCK_STALE_AFTER_MS);
    expect(() => lockStateFile(file, { holder: container('sim-a'), now })).toThrow(
      `in use by the simulator of pid ${process.ppid} on host sim-a (its lock ${file}.lock, its pid running on this host)`,
    );

    const mine = stateFile();
    const lock = lockStateFile(mine);
    expect(() => lockStateFile(mine)).toThrow('held by this process');
    lock.release();
    expect(existsSync(`${mine}.lock`)).toBe(false);
  });

  it("refuses a bare-pid lock naming this process's own pid (another container's pid 1?), takes one whose pid is gone", () => {
    const own = stateFile();
    leave(own, `${process.pid}\n`);
    expect(() => lockStateFile(own)).toThrow(`in use by the simulator of pid ${process.pid} (its lock ${own}.lock`);
    expect(readFileSync(`${own}.lock`, 'utf8')).toBe(`${process.pid}\n`);

    const gone = stateFile();
    leave(gone, `${GONE}\n`);
    const taken = lockStateFile(gone);
    expect(taken.takenOver).toBe(`pid ${GONE}`);
    taken.release();
  });
});

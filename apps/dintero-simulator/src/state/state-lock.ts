import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/** The locks this process holds: a lock naming this process's pid is stale unless it is one of them. */
const held = new Set<string>();

/**
 * Takes `<file>.lock` for this process, so that no two simulators use one SIM_STATE_FILE: each would write its own
 * world over the other's, and one's start would remove the other's write in progress as the leftover of a kill
 * (`removePartialWrites`). The lock holds the pid of its simulator; one whose process is gone (a simulator killed,
 * or a container's pid 1 of an earlier run) is taken over. Returns what releases it.
 *
 * Caveat: two simulators starting in the same instant on a file whose lock is stale may both take it over (no
 * compare-and-remove on a file); a live lock is never taken.
 */
export function lockStateFile(file: string): { readonly lock: string; readonly takenOver?: number; release(): void } {
  const lock = `${file}.lock`;
  let takenOver: number | undefined;
  for (let attempt = 1; ; attempt++) {
    if (create(lock)) break;
    const holder = holderOf(lock);
    if (holder !== undefined && alive(holder) && (holder !== process.pid || held.has(lock)))
      throw new Error(
        `SIM_STATE_FILE ${file} is in use by the simulator of pid ${holder} (its lock ${lock}): two simulators on ` +
          'one state file would write over each other. Stop that one, or give this one another SIM_STATE_FILE; if ' +
          `no simulator runs as pid ${holder}, remove ${lock}`,
      );
    if (attempt > 2) throw new Error(`SIM_STATE_FILE ${file}: could not take its lock ${lock}, taken again each time`);
    takenOver = holder;
    rmSync(lock, { force: true });
  }
  held.add(lock);
  return {
    lock,
    ...(takenOver === undefined ? {} : { takenOver }),
    release: () => {
      held.delete(lock);
      if (holderOf(lock) === process.pid) rmSync(lock, { force: true });
    },
  };
}

/** Creates `lock` holding this process's pid, whole or not at all (a hard link of a file written first). */
function create(lock: string): boolean {
  const mine = `${lock}.${process.pid}`;
  writeFileSync(mine, `${process.pid}\n`, { mode: 0o600 });
  try {
    linkSync(mine, lock);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(mine, { force: true });
  }
}

/** The pid a lock names; undefined when it is gone or names none. */
function holderOf(lock: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(lock, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: a process of another user holds the pid: alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

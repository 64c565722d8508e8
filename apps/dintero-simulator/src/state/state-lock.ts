import { linkSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { describeHolder, lockText, parseLock, sameHost, thisHolder, type LockHolder } from './lock-holder';

/** How often a holder touches its lock: the heartbeat that a simulator on another host or container goes by. */
export const LOCK_HEARTBEAT_MS = 2_000;
/**
 * A lock of another host or container untouched this long is stale: ten heartbeats missed. It must outlast the
 * longest the holder's event loop may be blocked, and the clock skew between the hosts (the touch is stamped with the
 * holder's clock, read with the reader's).
 */
export const LOCK_STALE_AFTER_MS = 10 * LOCK_HEARTBEAT_MS;

export interface StateLock {
  readonly lock: string;
  /** The holder of the stale lock taken over, if one was. */
  readonly takenOver?: string;
  /** Touches the lock (the heartbeat); false once the lock no longer names this holder (taken over meanwhile). */
  beat(): boolean;
  /** Whether the lock names this holder still, read now (taken over since the last heartbeat otherwise). */
  ours(): boolean;
  release(): void;
}

export interface LockOptions {
  /** Who takes the lock: this process by default; a test passes others, to be several hosts in one process. */
  readonly holder?: LockHolder;
  /** Milliseconds since the epoch: the heartbeat's stamp, and what a lock's last touch is measured against. */
  readonly now?: () => number;
  readonly staleAfterMs?: number;
}

/** The instances this process holds locks as: a lock naming this process's pid is stale unless it is one of them. */
const held = new Set<string>();

/**
 * Takes `<file>.lock`, so that no two simulators use one SIM_STATE_FILE: each would write its own world over the
 * other's, and one's start would remove the other's write in progress as the leftover of a kill
 * (`removePartialWrites`). The lock names its holder (`LockHolder`) and is touched every `LOCK_HEARTBEAT_MS` (`beat`).
 * A lock found there is taken over only when its holder is proven gone:
 * - on this host (same host name, boot and pid namespace): its pid is not running, or is this process's own pid with
 *   another instance (a simulator restarted as the same pid, a container's pid 1 of an earlier run): at once;
 * - on another host or container, whose pid says nothing here (two containers on one shared volume are each pid 1):
 *   its lock untouched for `staleAfterMs`;
 * - a bare pid (a simulator before holders were named): by the pid, as on this host, except this process's own pid,
 *   which may be another container's pid 1: never.
 *
 * Caveat: two simulators starting in the same instant on a file whose lock is stale may both take it over (no
 * compare-and-remove on a file); a live lock is never taken.
 */
export function lockStateFile(file: string, options: LockOptions = {}): StateLock {
  const self = options.holder ?? thisHolder();
  const now = options.now ?? Date.now;
  const staleAfterMs = options.staleAfterMs ?? LOCK_STALE_AFTER_MS;
  const lock = `${file}.lock`;
  let takenOver: string | undefined;
  for (let attempt = 1; ; attempt++) {
    if (create(lock, self, now())) break;
    const found = read(lock);
    if (found) {
      const live = liveReason(found.holder, found.touchedAt, self, now(), staleAfterMs);
      if (live)
        throw new Error(
          `SIM_STATE_FILE ${file} is in use by the simulator of ${describeHolder(found.holder)} (its lock ${lock}, ` +
            `${live}): two simulators on one state file would write over each other. Stop that one, or give this ` +
            `one another SIM_STATE_FILE; if no such simulator runs, remove ${lock}`,
        );
    }
    if (attempt > 2) throw new Error(`SIM_STATE_FILE ${file}: could not take its lock ${lock}, taken again each time`);
    takenOver = found ? describeHolder(found.holder) : undefined;
    rmSync(lock, { force: true });
  }
  held.add(self.instance);
  const mine = () => {
    const holder = read(lock)?.holder;
    return holder !== undefined && 'instance' in holder && holder.instance === self.instance;
  };
  return {
    lock,
    ...(takenOver === undefined ? {} : { takenOver }),
    beat: () => {
      if (!held.has(self.instance) || !mine()) return false;
      const at = now() / 1000;
      utimesSync(lock, at, at);
      return true;
    },
    ours: () => held.has(self.instance) && mine(),
    release: () => {
      held.delete(self.instance);
      if (mine()) rmSync(lock, { force: true });
    },
  };
}

/** Why the lock's holder counts as running (a phrase for the refusal), or undefined when it is proven gone. */
function liveReason(
  holder: NonNullable<ReturnType<typeof parseLock>>,
  touchedAt: number,
  self: LockHolder,
  now: number,
  staleAfterMs: number,
): string | undefined {
  if (holder.host === undefined) {
    if (holder.pid === self.pid) return "naming only a pid, this process's own: maybe another container's pid";
    return alive(holder.pid) ? 'its pid running' : undefined;
  }
  if (sameHost(holder, self)) {
    if (holder.pid === self.pid) return held.has(holder.instance) ? 'held by this process' : undefined;
    return alive(holder.pid) ? 'its pid running on this host' : undefined;
  }
  const age = now - touchedAt;
  return age < staleAfterMs
    ? `touched ${Math.max(0, Math.round(age))} ms ago, stale once untouched for ${staleAfterMs} ms`
    : undefined;
}

/** Creates `lock` naming `holder`, touched at `at`, whole or not at all (a hard link of a file written first). */
function create(lock: string, holder: LockHolder, at: number): boolean {
  const mine = `${lock}.${holder.instance}`;
  writeFileSync(mine, lockText(holder), { mode: 0o600 });
  try {
    utimesSync(mine, at / 1000, at / 1000);
    linkSync(mine, lock);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(mine, { force: true });
  }
}

/** The holder a lock names and when it was last touched; undefined when it is gone or names none. */
function read(lock: string) {
  try {
    const holder = parseLock(readFileSync(lock, 'utf8'));
    return holder && { holder, touchedAt: statSync(lock).mtimeMs };
  } catch {
    return undefined;
  }
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

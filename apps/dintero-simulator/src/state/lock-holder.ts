import { randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who holds a state file's lock, as the lock file names it. A pid alone tells nothing across hosts or containers:
 * two simulator containers on one shared volume are each pid 1, and each would find "pid 1" alive (itself). The host
 * name, the kernel's boot id and the pid namespace say whether the holder's pid can be checked from here at all; the
 * instance id tells two holders of the same pid apart (a simulator restarted as the same pid).
 */
export interface LockHolder {
  readonly host: string;
  /** `/proc/sys/kernel/random/boot_id`: another boot of the same host is another host. '' where there is none. */
  readonly bootId: string;
  /** The pid namespace (`/proc/self/ns/pid`): a container's pids are not the host's. '' where there is none. */
  readonly pidNamespace: string;
  readonly pid: number;
  /** Random, one per lock taken. */
  readonly instance: string;
}

/** This process as a lock holder, with a new instance id. */
export function thisHolder(): LockHolder {
  return {
    host: hostname(),
    bootId: orEmpty(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()),
    pidNamespace: orEmpty(() => readlinkSync('/proc/self/ns/pid')),
    pid: process.pid,
    instance: randomUUID(),
  };
}

/** Whether `holder`'s pid names a process this one can see: same host, same boot, same pid namespace. */
export function sameHost(holder: LockHolder, self: LockHolder): boolean {
  return holder.host === self.host && holder.bootId === self.bootId && holder.pidNamespace === self.pidNamespace;
}

export function lockText(holder: LockHolder): string {
  return `${JSON.stringify(holder)}\n`;
}

/**
 * The holder a lock's text names: a `LockHolder` line, or a bare pid (the lock of a simulator before holders were
 * named), which says nothing of its host. Undefined when it names none (torn, or not a lock).
 */
export function parseLock(text: string): LockHolder | { readonly pid: number; readonly host?: undefined } | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const pid = Number(trimmed);
    return Number.isSafeInteger(pid) && pid > 0 ? { pid } : undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  const holder = value as Partial<Record<keyof LockHolder, unknown>> | null;
  if (
    holder === null ||
    typeof holder !== 'object' ||
    typeof holder.host !== 'string' ||
    typeof holder.bootId !== 'string' ||
    typeof holder.pidNamespace !== 'string' ||
    typeof holder.instance !== 'string' ||
    typeof holder.pid !== 'number' ||
    !Number.isSafeInteger(holder.pid) ||
    holder.pid <= 0
  )
    return undefined;
  return holder as LockHolder;
}

/** How a holder is named in messages and logs. */
export function describeHolder(holder: Pick<LockHolder, 'pid'> & { readonly host?: string }): string {
  return holder.host === undefined ? `pid ${holder.pid}` : `pid ${holder.pid} on host ${holder.host}`;
}

function orEmpty(read: () => string): string {
  try {
    return read();
  } catch {
    return '';
  }
}

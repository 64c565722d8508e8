import type { EventStore } from './event-store.port';

export interface CachedState<State> {
  readonly state: State;
  readonly revision: number;
  readonly position: bigint | undefined;
}

/** Streams whose folded state each process keeps, per log and decider: the most recently used ones. */
export const STATE_CACHE_STREAMS = 10_000;

/**
 * Folded states of recently used streams, so that a command reads only the events after the revision it
 * already folded instead of the whole stream. Streams only grow and their events never change, so a
 * cached fold plus the newer events is exactly the fold of the whole stream, whatever other processes
 * wrote meanwhile. (A Map in insertion order is the LRU: a hit is moved to the end.)
 */
class StateCache {
  private readonly entries = new Map<string, CachedState<unknown>>();

  get(stream: string): CachedState<unknown> | undefined {
    const entry = this.entries.get(stream);
    if (entry) {
      this.entries.delete(stream);
      this.entries.set(stream, entry);
    }
    return entry;
  }

  set(stream: string, entry: CachedState<unknown>): void {
    const current = this.entries.get(stream);
    // Never go back: two concurrent readers may finish in either order.
    if (current && current.revision > entry.revision) return;
    this.entries.delete(stream);
    this.entries.set(stream, entry);
    if (this.entries.size > STATE_CACHE_STREAMS) this.entries.delete(this.entries.keys().next().value!);
  }
}

const caches = new WeakMap<EventStore, WeakMap<object, StateCache>>();

export function stateCache(store: EventStore, decider: object): StateCache {
  let byDecider = caches.get(store);
  if (!byDecider) caches.set(store, (byDecider = new WeakMap()));
  let cache = byDecider.get(decider);
  if (!cache) byDecider.set(decider, (cache = new StateCache()));
  return cache;
}

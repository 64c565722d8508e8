import type { FastifyRateLimitStore } from '@fastify/rate-limit';
import { LruMap } from 'toad-cache';

/** The addresses whose counts are kept, the most recently seen: as many as @fastify/rate-limit keeps by default. */
const ADDRESSES = 5_000;

interface Window {
  count: number;
  readonly startMs: number;
}

type Counted = Parameters<FastifyRateLimitStore['incr']>[1];

/**
 * The HTTP rate limit's counts, a fixed window each, as @fastify/rate-limit's own in-memory store keeps them, but
 * known clients' counts (keys `client:…`) apart from addresses' (`ip:…`). The clients are as many as the key
 * files name, so theirs need no bound; addresses are without number, so theirs are the `ADDRESSES` most recently
 * seen. In the library's one store of 5,000, a caller with that many addresses (an IPv6 /64 holds billions) pushed
 * a POS client's count out, and the client started a fresh minute.
 */
export class RateLimitCounts implements FastifyRateLimitStore {
  private readonly clients = new Map<string, Window>();
  private readonly addresses = new LruMap<Window>(ADDRESSES);

  incr(key: string, counted: Counted, timeWindow: number): void {
    const counts = key.startsWith('client:') ? this.clients : this.addresses;
    const nowMs = Date.now();
    let window = counts.get(key);
    if (window === undefined || window.startMs + timeWindow <= nowMs) window = { count: 0, startMs: nowMs };
    window.count += 1;
    counts.set(key, window);
    counted(null, { current: window.count, ttl: window.startMs + timeWindow - nowMs });
  }

  /** A route with limits of its own counts apart, as the library's store does. */
  child(): FastifyRateLimitStore {
    return new RateLimitCounts();
  }
}

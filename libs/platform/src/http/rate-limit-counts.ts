import { isIPv6 } from 'node:net';
import type { FastifyRateLimitStore } from '@fastify/rate-limit';
import { Address6 } from 'ip-address';
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

/** The bits of an IPv6 address one subscriber is given: a home or an office has a whole /64 to pick addresses from. */
const IPV6_SUBNET = 64;

/**
 * A caller's address as the limit counts it: an IPv6 one by its /64 and an IPv4-mapped one as IPv4, as
 * @fastify/rate-limit's own key does (a key generator of our own, `limitRate`'s, goes without it). Otherwise each of
 * the 2^64 addresses of one subscriber's network had an allowance of its own.
 */
export function addressKey(ip: string): string {
  if (!isIPv6(ip)) return `ip:${ip}`;
  const address = new Address6(ip);
  if (address.isMapped4()) return `ip:${address.to4().correctForm()}`;
  return `ip:${new Address6(`${ip}/${IPV6_SUBNET}`).startAddress().correctForm()}/${IPV6_SUBNET}`;
}

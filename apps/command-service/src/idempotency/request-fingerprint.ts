import { createHash } from 'node:crypto';

/**
 * A request with an Idempotency-Key, as the key compares it with the key's first request:
 * - `asTaken`: the request as the engine takes it, the same over HTTP and NATS: the validated DTO (a currency in
 *   either case upper-cased), with what the engine reads as absent left out. Two ways of writing one request are one
 *   request; a request the engine would record or do otherwise is another.
 * - `asSentBefore`: how versions before this one fingerprinted the same request (the HTTP body as sent, the NATS
 *   message's DTO). A key they took, held for its 24 hours across an upgrade, holds that fingerprint: a retry of
 *   the same request is still taken as the same request, never refused as another.
 */
export interface KeyedRequest {
  readonly asTaken: unknown;
  readonly asSentBefore?: readonly unknown[];
}

/** A keyed request's fingerprint as the key records it, and its fingerprints of before, which match older keys too. */
export interface Fingerprint {
  readonly bodyHash: string;
  /**
   * Hashed on the first call, not before: only a key that holds another hash than `bodyHash` needs them (a key taken
   * before the upgrade), never a new key or a retry of one this version took.
   */
  earlierHashes(): readonly string[];
}

export function fingerprintOf(request: KeyedRequest): Fingerprint {
  const bodyHash = sha256(canonicalJson(request.asTaken));
  let earlierHashes: readonly string[] | undefined;
  return { bodyHash, earlierHashes: () => (earlierHashes ??= earlierHashesOf(request, bodyHash)) };
}

function earlierHashesOf(request: KeyedRequest, bodyHash: string): readonly string[] {
  const earlier = (request.asSentBefore ?? []).map((shape) => sha256(canonicalJson(shape)));
  return [...new Set(earlier)].filter((hash) => hash !== bodyHash);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * JSON with sorted keys, so that the same body in another key order is the same request. A property whose value is
 * `undefined` is left out, as `JSON.stringify` leaves it out: a DTO field the request did not give is not there.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const entries = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

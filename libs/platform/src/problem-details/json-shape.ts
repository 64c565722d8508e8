import { RequestValidationError } from './problem-details.filter';

/** Deeper than any request of ours needs; class-transformer recurses, and a 6,000-level body overflowed it. */
export const MAX_JSON_DEPTH = 32;
/** Object keys and array items in one request, all levels together. */
export const MAX_JSON_MEMBERS = 5_000;

/**
 * Keys JavaScript gives a meaning of their own. Nest's validation drops them without a word (and
 * class-transformer fails on a `constructor` that is a string), so an entry of metadata named so would be
 * accepted and lost: they are refused instead, the same over HTTP and NATS.
 */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Refuses a parsed JSON value nested deeper than `MAX_JSON_DEPTH`, with more than `MAX_JSON_MEMBERS`
 * members, or with a key in `FORBIDDEN_KEYS`, before anything transforms or validates it, so that hostile
 * input is a 400 and never a 5xx. Walked with an explicit stack: a recursive walk would overflow on the very
 * input it guards against.
 */
export function assertReasonableJson(value: unknown, where = 'body'): void {
  if (typeof value !== 'object' || value === null) return;
  const stack: [unknown, number, string][] = [[value, 1, where]];
  let members = 0;
  const refuse = (field: string, message: string) => new RequestValidationError([{ field, message }]);
  while (stack.length > 0) {
    const [current, depth, path] = stack.pop()!;
    if (depth > MAX_JSON_DEPTH) throw refuse(where, `nested deeper than ${MAX_JSON_DEPTH} levels`);
    const isArray = Array.isArray(current);
    const keys = isArray ? undefined : Object.keys(current as object);
    members += keys?.length ?? (current as unknown[]).length;
    if (members > MAX_JSON_MEMBERS) throw refuse(where, `more than ${MAX_JSON_MEMBERS} keys and items`);
    const children: [string, unknown][] = isArray
      ? (current as unknown[]).map((item, index) => [String(index), item])
      : keys!.map((key) => [key, (current as Record<string, unknown>)[key]]);
    for (const [key, child] of children) {
      if (!isArray && FORBIDDEN_KEYS.has(key))
        throw refuse(
          `${path === where ? '' : `${path}.`}${key}`,
          `${key} is not allowed as a key (__proto__, constructor and prototype are reserved)`,
        );
      // Only objects and arrays go on: their path is the one a refusal inside them names.
      if (typeof child === 'object' && child !== null)
        stack.push([child, depth + 1, path === where ? key : `${path}.${key}`]);
    }
  }
}

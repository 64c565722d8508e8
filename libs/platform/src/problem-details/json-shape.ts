import { RequestValidationError } from './problem-details.filter';

/** Deeper than any request of ours needs; class-transformer recurses, and a 6,000-level body overflowed it. */
export const MAX_JSON_DEPTH = 32;
/** Object keys and array items in one request, all levels together. */
export const MAX_JSON_MEMBERS = 5_000;

/**
 * Keys JavaScript gives a meaning of their own. Nest's validation drops them without a word (and
 * class-transformer fails on a `constructor` that is a string), so in a POS's request an entry of metadata
 * named so would be accepted and lost: there they are refused, the same over HTTP and NATS. In what Dintero
 * sends they are left for Nest to drop, as any field Dintero may add (`dinteroInput`).
 */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface JsonShapeOptions {
  /** Whether a key in `RESERVED_KEYS` is refused (the default) or left as it is. */
  readonly refuseReservedKeys: boolean;
  /** Keys and items at most, all levels together: `MAX_JSON_MEMBERS` unless said. */
  readonly maxMembers?: number;
}

/**
 * Refuses a parsed JSON value nested deeper than `MAX_JSON_DEPTH`, with more than `MAX_JSON_MEMBERS`
 * members, or (unless told otherwise) with a key in `RESERVED_KEYS`, before anything transforms or validates
 * it, so that hostile input is a 400 and never a 5xx. Walked with an explicit stack: a recursive walk would
 * overflow on the very input it guards against.
 */
export function assertReasonableJson(
  value: unknown,
  where = 'body',
  { refuseReservedKeys, maxMembers = MAX_JSON_MEMBERS }: JsonShapeOptions = { refuseReservedKeys: true },
): void {
  if (typeof value !== 'object' || value === null) return;
  const stack: [object, number, string][] = [[value, 1, where]];
  let members = 0;
  const refuse = (field: string, message: string) => new RequestValidationError([{ field, message }]);
  const pathOf = (path: string, key: string) => (path === where ? key : `${path}.${key}`);
  while (stack.length > 0) {
    const [current, depth, path] = stack.pop()!;
    if (depth > MAX_JSON_DEPTH) throw refuse(where, `nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (Array.isArray(current)) {
      members += current.length;
      if (members > maxMembers) throw refuse(where, `more than ${maxMembers} keys and items`);
      current.forEach((item: unknown, index) => {
        if (typeof item === 'object' && item !== null) stack.push([item, depth + 1, pathOf(path, String(index))]);
      });
      continue;
    }
    const keys = Object.keys(current);
    members += keys.length;
    if (members > maxMembers) throw refuse(where, `more than ${maxMembers} keys and items`);
    for (const key of keys) {
      if (refuseReservedKeys && RESERVED_KEYS.has(key))
        throw refuse(
          pathOf(path, key),
          `${key} is not allowed as a key (__proto__, constructor and prototype are reserved)`,
        );
      // Only objects and arrays go on: their path is the one a refusal inside them names.
      const child = (current as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1, pathOf(path, key)]);
    }
  }
}

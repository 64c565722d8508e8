import { RequestValidationError } from './problem-details.filter';

/** Deeper than any request of ours needs; class-transformer recurses, and a 6,000-level body overflowed it. */
export const MAX_JSON_DEPTH = 32;
/** Object keys and array items in one request, all levels together. */
export const MAX_JSON_MEMBERS = 5_000;

/**
 * Refuses a parsed JSON value nested deeper than `MAX_JSON_DEPTH` or with more than `MAX_JSON_MEMBERS`
 * members, before anything transforms or validates it, so that hostile input is a 400 and never a 5xx.
 * Walked with an explicit stack: a recursive walk would overflow on the very input it guards against.
 */
export function assertReasonableJson(value: unknown, where = 'body'): void {
  const stack: [unknown, number][] = [[value, 1]];
  let members = 0;
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > MAX_JSON_DEPTH)
      throw new RequestValidationError([{ field: where, message: `nested deeper than ${MAX_JSON_DEPTH} levels` }]);
    const children = Array.isArray(current) ? current : Object.values(current);
    members += children.length;
    if (members > MAX_JSON_MEMBERS)
      throw new RequestValidationError([{ field: where, message: `more than ${MAX_JSON_MEMBERS} keys and items` }]);
    for (const child of children) stack.push([child, depth + 1]);
  }
}

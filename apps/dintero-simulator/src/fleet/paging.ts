/**
 * One page of a management list, Dintero's way: the items after `starting_after` (an item's id), at most
 * `limit`, and the cursor for the next page only when there may be one.
 */
export function page<T>(
  items: readonly T[],
  idOf: (item: T) => string,
  { limit = 10, starting_after }: { limit?: number; starting_after?: string },
): { items: T[]; starting_after?: string } {
  const start = starting_after === undefined ? 0 : items.findIndex((item) => idOf(item) === starting_after) + 1;
  const taken = items.slice(start, start + limit);
  const more = start + limit < items.length;
  return { items: taken, ...(more && taken.length > 0 ? { starting_after: idOf(taken[taken.length - 1]!) } : {}) };
}

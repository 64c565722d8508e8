/**
 * A string field of an event's data or metadata, by name, without a cast: undefined when the value has no such
 * field or it is not a string. For what several event types share (`at`, `storeId`), read the same way for all.
 */
export function stringField(source: unknown, name: string): string | undefined {
  const value: unknown =
    typeof source === 'object' && source !== null && name in source ? Reflect.get(source, name) : undefined;
  return typeof value === 'string' ? value : undefined;
}

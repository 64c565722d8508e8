/**
 * The entry a record keeps under `key`, only when it is the record's own: a record keyed by names a chain chooses
 * (a store's terminals) must not find `constructor`, `toString` or `__proto__` on every object, which are valid
 * terminal names.
 */
export function ownEntry<Value>(record: Readonly<Record<string, Value>>, key: string): Value | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

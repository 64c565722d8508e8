import { plainToInstance } from 'class-transformer';
import { ArrayNotEmpty, IsArray, Matches, validateSync } from 'class-validator';
import { ConfigError } from '../config/load-config';
import { fieldErrors } from '../config/validation-messages';

/** The stores a key may act for or see: a set of ids, or `'*'` for every store. */
export type StoreScope = ReadonlySet<string> | '*';

export function inScope(scope: StoreScope, storeId: string): boolean {
  return scope === '*' || scope.has(storeId);
}

/** An entry of a key file: who holds the key, its hash, and its stores (POS clients, dashboard operators). */
export class ScopedKeyEntry {
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'id: 1-64 letters, digits, "_" or "-"' })
  id!: string;

  /** SHA-256 of the key, in hex: the key itself is never stored. */
  @Matches(/^[0-9a-f]{64}$/, {
    message: 'keySha256: 64 lower-case hex digits (npm run pos-key or npm run operator-key prints it)',
  })
  keySha256!: string;

  /** Store ids, or `["*"]` for every store. */
  @IsArray()
  @ArrayNotEmpty()
  @Matches(/^(\*|[A-Za-z0-9_-]{1,64})$/, { each: true, message: 'stores: store ids, or "*" for every store' })
  stores!: string[];
}

/** What a key file would refuse in this entry (nothing: it is accepted), for the commands that make entries. */
export function scopedKeyEntryProblems(entry: object): string[] {
  // The entry's messages name their field already ("id: 1-64 letters, …").
  return fieldErrors(validateSync(plainToInstance(ScopedKeyEntry, entry))).map(({ message }) => message);
}

/**
 * The holders of a key file's entries by the hash of their key. An id or a key that appears twice is a
 * ConfigError naming `variable`, the file and the entry.
 */
export function byKeyHash<Entry extends ScopedKeyEntry, Holder>(
  entries: readonly Entry[],
  where: { readonly variable: string; readonly file: string; readonly holder: string },
  make: (entry: Entry, stores: StoreScope) => Holder,
): Map<string, Holder> {
  const holders = new Map<string, Holder>();
  const ids = new Set<string>();
  for (const entry of entries) {
    if (ids.has(entry.id) || holders.has(entry.keySha256))
      throw new ConfigError([`${where.variable} ${where.file}: ${where.holder} ${entry.id} or its key appears twice`]);
    ids.add(entry.id);
    holders.set(entry.keySha256, make(entry, entry.stores.includes('*') ? '*' : new Set(entry.stores)));
  }
  return holders;
}

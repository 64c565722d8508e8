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
 * The holders of a key file's entries by the hash of their key. An id or a key that appears twice is a ConfigError
 * naming `variable`, the file and the entry. With `rotating`, an id may appear again with another key, the rest of
 * its entry the same: a holder's old and new key while it rotates, both its own (for a POS client, its
 * `Idempotency-Key` space and its events' client id); one that appears again with other stores or rights is still
 * refused.
 */
export function byKeyHash<Entry extends ScopedKeyEntry, Holder>(
  entries: readonly Entry[],
  where: { readonly variable: string; readonly file: string; readonly holder: string; readonly rotating?: boolean },
  make: (entry: Entry, stores: StoreScope) => Holder,
): Map<string, Holder> {
  const holders = new Map<string, Holder>();
  const rights = new Map<string, string>();
  const problem = (what: string) => new ConfigError([`${where.variable} ${where.file}: ${where.holder} ${what}`]);
  for (const entry of entries) {
    const before = rights.get(entry.id);
    if (holders.has(entry.keySha256) || (before !== undefined && !where.rotating))
      throw problem(`${entry.id} or its key appears twice`);
    const granted = rightsOf(entry);
    if (before !== undefined && before !== granted)
      throw problem(
        `${entry.id} appears twice with other stores or rights: one id's keys (its old and new while it rotates) ` +
          'have the same entry but for keySha256',
      );
    rights.set(entry.id, granted);
    holders.set(entry.keySha256, make(entry, entry.stores.includes('*') ? '*' : new Set(entry.stores)));
  }
  return holders;
}

/** What an entry grants, but for its key: its stores (in any order) and any other field the file gives it. */
function rightsOf(entry: ScopedKeyEntry): string {
  const { keySha256: _key, stores, ...rest } = entry as ScopedKeyEntry & Record<string, unknown>;
  const fields = Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([[...new Set(stores)].sort(), fields]);
}

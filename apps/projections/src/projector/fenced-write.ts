import type { KV } from '@nats-io/kv';
import { isRevisionConflict } from '@app/messaging';
import type { Entry } from './read-model.entries';

/** The KV revision this instance knows for one entry (a document, or the checkpoint), undefined when it knows none. */
export interface KnownRevision {
  get(): number | undefined;
  set(revision: number | undefined): void;
}

/** One key's known revision in a map of them, dropped from it when set to undefined. */
export function knownIn(revisions: Map<string, number>, known: string): KnownRevision {
  return {
    get: () => revisions.get(known),
    set: (revision) => (revision === undefined ? revisions.delete(known) : revisions.set(known, revision)),
  };
}

/** Writes `value` at the revision known for `key` (created when none is known), and knows the new one. */
export async function writeAtKnownRevision(
  bucket: KV,
  known: KnownRevision,
  key: string,
  value: string,
): Promise<void> {
  const revision = known.get();
  known.set(revision === undefined ? await bucket.create(key, value) : await bucket.update(key, value, revision));
}

/**
 * After a write of `value` at the revision known for `key` was refused: reads the entry again, and gives up
 * (returning it) when `supersedes` says what is there must stay, or writes at its revision, until written
 * (undefined). `beforeWriteOver` runs before each write over what another writer left (a document's: that no later
 * takeover claimed the checkpoint, read after the document).
 */
export async function writeAfterConflict(
  bucket: KV,
  known: KnownRevision,
  key: string,
  value: string,
  supersedes: (entry: Entry) => boolean,
  beforeWriteOver: () => Promise<void>,
): Promise<Entry | undefined> {
  for (;;) {
    const entry = await bucket.get(key);
    // Its revision is not taken as known: this instance's document lost to it, and the same document sent again
    // (a flush tried again) must lose again rather than write over it. A later document of this instance's
    // is refused once at the old revision, and then compared again here.
    if (entry?.operation === 'PUT' && supersedes(entry)) return entry;
    await beforeWriteOver();
    // Moved on to an older position, or deleted: written over at its revision (created when absent).
    known.set(entry?.revision);
    try {
      await writeAtKnownRevision(bucket, known, key, value);
      return undefined;
    } catch (error) {
      if (!isRevisionConflict(error)) throw error;
    }
  }
}

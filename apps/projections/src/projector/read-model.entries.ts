import { Logger } from '@nestjs/common';
import type { LogMark } from '@app/event-store';
import { isRevisionConflict } from '@app/messaging';
import { documentProblem } from '../read-models/document-schemas';
import { upgraded } from '../read-models/document-upgrades';
import type { Change } from '../read-models/read-model.types';
import { stringField } from '../read-models/string-field';

/** Named as the buckets' own: an offer that cannot be read is said by `ReadModelBuckets`. */
const logger = new Logger('ReadModelBuckets');

/** A rebuild, caught up to `position` in the buckets named with `suffix`, for the live projector to adopt. */
export interface HandOver {
  readonly suffix: string;
  readonly position: string;
  /** How many documents the rebuild wrote: the adopter copies only buckets that still hold them all. */
  readonly documents?: number;
  /** The identity of the log the rebuild read (absent in offers of versions before it): adopted only from this one. */
  readonly logId?: string;
  /** The fold version the rebuild folded with (`FOLD_VERSION`; absent in offers of versions before it). */
  readonly foldVersion?: number;
  /**
   * The event at `position` (absent in offers of versions before it, and of a rebuild of a log with no projected
   * event): a log restored from a backup since the rebuild ran keeps its identity but not that event, and its new
   * events take the lost ones' positions. The adopter tells by it that the rebuild is of the log as it was.
   */
  readonly mark?: LogMark;
}

export interface Checkpoint {
  readonly position: bigint;
  readonly logId?: string;
  /**
   * How many rebuilds the live documents have been replaced by (absent: none). An instance that folded the
   * documents from before the last one folds again from KV before it writes, and its checkpoint never goes over
   * one of a later adoption, whatever the positions.
   */
  readonly adoptions?: number;
  /**
   * The takeover that wrote it last (`ReadModelBuckets.claim`): every writer claims the checkpoint before its first
   * document, so that one from before finds another's claim there and stops (absent on checkpoints from before
   * claims).
   */
  readonly writer?: string;
  /**
   * The event at `position` (absent on checkpoints saved before it was kept, and after a rebuild's adoption until
   * the next flush): a log restored from a backup, with its identity and new events at the lost ones' positions,
   * is told by it.
   */
  readonly mark?: LogMark;
  /**
   * The fold version the documents were folded with (`FOLD_VERSION`): the one a rebuild recorded when it was adopted,
   * this version's once the documents are folded from nothing; absent when folded by a version that recorded none.
   * A flush keeps the one it found: documents folded on by a later version are still of the older fold.
   */
  readonly foldVersion?: number;
}

/** What a fenced write did with each document: written, or left alone because KV had a newer one. */
export interface FencedPut {
  readonly written: Change[];
  /** The documents KV holds at a later position than the one offered: the projector takes these instead. */
  readonly newer: Change[];
}

export type Entry = { readonly revision: number; readonly operation: string; json<T>(): T; string(): string };

/**
 * Another instance wrote a document or the checkpoint since this one learned its revision: that instance is
 * the writer now (this one was paused past its lease), and this one writes nothing more.
 */
export class FenceLostError extends Error {
  constructor(what: string) {
    super(`${what} was written by another instance meanwhile: this instance no longer writes the read models`);
    this.name = 'FenceLostError';
  }
}

/** A read-model entry in KV that is not a document (not JSON, or with no position): a bug wrote it, or a person. */
export class UnreadableDocumentError extends Error {
  constructor(
    readonly model: Change['model'],
    readonly key: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`the ${model} document ${key} in KV cannot be read: ${reason}`, { cause });
    this.name = 'UnreadableDocumentError';
  }
}

export function checkpointValue({ position, logId, adoptions, writer, mark, foldVersion }: Checkpoint): string {
  return JSON.stringify({
    position: position.toString(),
    logId,
    ...(adoptions ? { adoptions } : {}),
    ...(writer === undefined ? {} : { writer }),
    ...(mark ? { mark } : {}),
    ...(foldVersion === undefined ? {} : { foldVersion }),
  });
}

export function parseCheckpoint(entry: Entry): Checkpoint {
  const text = entry.string();
  if (/^\d+$/.test(text)) return { position: BigInt(text) };
  const { position, logId, adoptions, writer, mark, foldVersion } = JSON.parse(text) as {
    position: string;
    logId?: string;
    adoptions?: number;
    writer?: string;
    mark?: LogMark;
    foldVersion?: unknown;
  };
  return {
    position: BigInt(position),
    ...(logId === undefined ? {} : { logId }),
    ...(adoptions ? { adoptions } : {}),
    ...(writer === undefined ? {} : { writer }),
    ...(mark === undefined ? {} : { mark }),
    ...(Number.isSafeInteger(foldVersion) ? { foldVersion: foldVersion as number } : {}),
  };
}

/**
 * An entry's document, parsed; `UnreadableDocumentError` when it is not JSON, not an object with the position
 * every document is written with (what the fold goes on from), or not in its model's shape (`documentProblem`).
 */
export function documentOf(model: Change['model'], key: string, entry: Entry): unknown {
  let doc: unknown;
  try {
    doc = entry.json();
  } catch (error) {
    throw new UnreadableDocumentError(model, key, error);
  }
  if (positionIn(doc) === undefined) throw new UnreadableDocumentError(model, key, new Error('it has no position'));
  const problem = documentProblem(model, doc);
  if (problem !== undefined) throw new UnreadableDocumentError(model, key, new Error(problem));
  // In this version's shape, for the fold and for every query alike.
  return upgraded({ model, key, doc } as Change).doc;
}

/** A document's position, as every document is written with it (digits); undefined when it has none such. */
export function positionIn(doc: unknown): string | undefined {
  const position = stringField(doc, 'position');
  return position !== undefined && /^\d+$/.test(position) ? position : undefined;
}

/**
 * A rebuild's offer, or undefined (said in the log) when the entry is not one: something other than a rebuild
 * wrote the key, and it is no offer. Thrown from the watch, it ended the process.
 */
export function offerOf(entry: Entry): HandOver | undefined {
  let offer: unknown;
  try {
    offer = entry.json();
  } catch {
    offer = undefined;
  }
  const suffix = stringField(offer, 'suffix');
  const position = stringField(offer, 'position');
  const documents: unknown = typeof offer === 'object' && offer !== null ? Reflect.get(offer, 'documents') : undefined;
  const logId = stringField(offer, 'logId');
  const foldVersion: unknown =
    typeof offer === 'object' && offer !== null ? Reflect.get(offer, 'foldVersion') : undefined;
  const mark = markIn(offer);
  const ofLog = {
    ...(logId === undefined ? {} : { logId }),
    ...(Number.isSafeInteger(foldVersion) ? { foldVersion: foldVersion as number } : {}),
    ...(mark === undefined ? {} : { mark }),
  };
  if (suffix !== undefined && position !== undefined && /^\d+$/.test(position)) {
    if (documents === undefined) return { suffix, position, ...ofLog };
    if (typeof documents === 'number' && Number.isSafeInteger(documents))
      return { suffix, position, documents, ...ofLog };
  }
  logger.error(
    { revision: entry.revision },
    'the rebuild offer in KV cannot be read (a rebuild writes a suffix and a position): left alone',
  );
  return undefined;
}

/** An offer's mark (`HandOver.mark`), or undefined when it has none in that shape. */
function markIn(offer: unknown): LogMark | undefined {
  const mark: unknown = typeof offer === 'object' && offer !== null ? Reflect.get(offer, 'mark') : undefined;
  const streamName = stringField(mark, 'streamName');
  const eventId = stringField(mark, 'eventId');
  const revision: unknown = typeof mark === 'object' && mark !== null ? Reflect.get(mark, 'revision') : undefined;
  if (streamName === undefined || eventId === undefined || !Number.isSafeInteger(revision)) return undefined;
  return { streamName, revision: revision as number, eventId };
}

/** The checkpoint, or undefined when the entry cannot be read as one. */
export function readableCheckpoint(entry: Entry): Checkpoint | undefined {
  try {
    return parseCheckpoint(entry);
  } catch {
    return undefined;
  }
}

/** The position a document in KV reflects; -1 for one without a readable position (damaged, foreign): written over. */
export function positionOf(entry: Entry): bigint {
  try {
    const position = positionIn(entry.json());
    return position === undefined ? -1n : BigInt(position);
  } catch {
    return -1n;
  }
}

/** Runs `write`; a revision conflict (another instance wrote `what` since) becomes `FenceLostError`. */
export async function fenced<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isRevisionConflict(error)) throw new FenceLostError(what);
    throw error;
  }
}

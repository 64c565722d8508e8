import type { EventMetadata, RecordedEvent } from '../event-store.port';
import type { EventRow, RowShape } from './filtered-reads';

/**
 * A row as one JSON array text, `[id, type, data, metadata, stream, revision, position]`, built by SQLite: data and
 * metadata are stored as JSON text already, and the rest is quoted (`json_quote`) or a number. A statement of this one
 * column (`pluck`) hands each row to JS as one string, parsed once (`fromEventJson`). On Node 20 better-sqlite3 builds
 * a raw row as an empty array it then sets cell by cell through V8's generic property path (about a sixth of
 * read-all's time, with six more strings to make): read-all of 300,000 events in pages of 1,000 took about a tenth less
 * CPU this way (a fresh process's first pass, median of six: 658 ms before, 593 after).
 */
export const EVENT_JSON =
  "concat('[', json_quote(id), ',', json_quote(type), ',', data, ',', metadata, ',', json_quote(stream), ',', revision, ',', position, ']')";

/**
 * Rows as `EVENT_JSON` for reads by prefix: `position` is selected too, as a read by category orders its arms by it,
 * but better-sqlite3 hands JS the first column alone.
 */
export const EVENT_JSON_ROWS: RowShape = { columns: `${EVENT_JSON}, position`, mode: 'pluck' };

type EventJson = [
  id: string,
  type: string,
  data: unknown,
  metadata: EventMetadata,
  stream: string,
  revision: number,
  position: number,
];

/** An event from its row as `EVENT_JSON` gives it: the keys of `toRecordedEvent`'s event, in its order. */
export function fromEventJson(text: string): RecordedEvent {
  const row = JSON.parse(text) as EventJson;
  return {
    id: row[0],
    type: row[1],
    data: row[2],
    metadata: row[3],
    streamName: row[4],
    revision: row[5],
    position: BigInt(row[6]),
  };
}

// Indexed access rather than array destructuring: destructuring goes through the iterator protocol,
// which is measurably slower on this path (read-all builds every recorded event here).
export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row[3],
    type: row[4],
    data: JSON.parse(row[5]) as unknown,
    metadata: JSON.parse(row[6]) as EventMetadata,
    streamName: row[1],
    revision: row[2],
    position: BigInt(row[0]),
  };
}

/** `toRecordedEvent`, its metadata parsed when first read (`ReadAllOptions.lazyMetadata`). */
export function toLazyRecordedEvent(row: EventRow): RecordedEvent {
  return new LazyMetadataEvent(row);
}

/**
 * A recorded event whose metadata is parsed when first read. `metadata` is an own enumerable accessor, in the place
 * an eager event has it, so that a spread, `JSON.stringify`, a structured clone and `toEqual` read it as theirs. It
 * is defined with one descriptor, its getter shared by every event: a getter made per event (an object literal's
 * `get metadata()`) gives each event a map of its own, and V8 keeps them as slow dictionaries (every `type`, `data`
 * and `position` the fold reads a hash lookup): a rebuild's read and fold took a third more CPU than parsing eagerly.
 */
class LazyMetadataEvent implements RecordedEvent {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  declare readonly metadata: EventMetadata;
  readonly streamName: string;
  readonly revision: number;
  readonly position: bigint;
  #metadataText: string;
  #metadata: EventMetadata | undefined;

  static readonly #metadataDescriptor: PropertyDescriptor = {
    get(this: LazyMetadataEvent): EventMetadata {
      return (this.#metadata ??= JSON.parse(this.#metadataText) as EventMetadata);
    },
    enumerable: true,
  };

  constructor(row: EventRow) {
    this.id = row[3];
    this.type = row[4];
    this.data = JSON.parse(row[5]) as unknown;
    this.#metadataText = row[6];
    this.#metadata = undefined;
    Object.defineProperty(this, 'metadata', LazyMetadataEvent.#metadataDescriptor);
    this.streamName = row[1];
    this.revision = row[2];
    this.position = BigInt(row[0]);
  }
}

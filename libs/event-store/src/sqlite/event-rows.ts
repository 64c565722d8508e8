import type { EventMetadata, RecordedEvent } from '../event-store.port';
import type { EventRow } from './filtered-reads';

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

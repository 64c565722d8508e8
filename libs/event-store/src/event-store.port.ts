/**
 * The event log port. Every fact about a payment, a terminal and a store lives here, written once.
 * Adapters: SQLite (embedded default) and KurrentDB (production); one contract suite proves both.
 */

/** What the writer expects the stream to be: its last revision, or one of the three stream states. */
export type ExpectedRevision = number | 'no_stream' | 'stream_exists' | 'any';

/** What a stream is now: its last revision, or `no_stream`. */
export type CurrentRevision = number | 'no_stream';

export interface EventMetadata {
  readonly correlationId?: string;
  readonly causationId?: string;
  /** ISO-8601 time at which the fact happened (from the command, never from the log's clock). */
  readonly occurredAt?: string;
  readonly [key: string]: unknown;
}

/** An event to append. `id` is a UUID; the adapter generates one when it is left out. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  readonly id?: string;
  readonly type: Type;
  readonly data: Data;
  readonly metadata?: EventMetadata;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> {
  readonly id: string;
  readonly type: Type;
  readonly data: Data;
  readonly metadata: EventMetadata;
  readonly streamName: string;
  /** Per stream, from 0. */
  readonly revision: number;
  /** Global, strictly increasing across all streams. */
  readonly position: bigint;
}

export interface AppendOptions {
  readonly expectedRevision: ExpectedRevision;
}

export interface AppendResult {
  /** The stream's revision after the append: pass it as the next expected revision. */
  readonly nextRevision: number;
  /** The global position of the last event appended. */
  readonly position: bigint;
}

export interface ReadStreamOptions {
  readonly direction?: 'forwards' | 'backwards';
  /** Inclusive. Forwards defaults to the first event, backwards to the last. */
  readonly fromRevision?: number;
  readonly limit?: number;
}

export interface ReadAllOptions {
  /** Exclusive: events after this position. Left out: from the beginning of the log. */
  readonly after?: bigint;
  readonly limit?: number;
  /** Only events of streams whose name starts with one of these. */
  readonly streamPrefixes?: readonly string[];
  /**
   * For a fold that reads each event once and lets it go (the projections' rebuild): the embedded log then parses an
   * event's metadata when it is first read, not as it reads the row. A rebuild's fold reads the metadata of almost no
   * event, and parsing it was about a twentieth of the read and fold's CPU. Such an event's `metadata` is an own
   * enumerable getter, so a spread, `JSON.stringify`, a structured clone and `toEqual` see it as any event's; only
   * `toStrictEqual` (the event is of a class) and `util.inspect` (`[Getter]`) tell it apart. KurrentDB ignores it.
   */
  readonly lazyMetadata?: boolean;
}

export type SubscribeOptions = Omit<ReadAllOptions, 'limit' | 'lazyMetadata'>;

/**
 * Catch-up, then live: every event after `after`, in position order, then new ones as they are written.
 * Pull-based, so a slow consumer slows the subscription rather than filling memory.
 */
export interface EventSubscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
  /**
   * Settles once the log has confirmed the subscription live (KurrentDB's `confirmation`), where that is not so
   * at once; absent where it is (the embedded log). A quiet log sends no event to tell a live subscription from
   * one a node holds open and never serves.
   */
  readonly confirmed?: Promise<void>;
}

export interface EventStore {
  /**
   * Whether a read may lag behind what was written (KurrentDB's reads may be served by a follower); the embedded
   * log's never do.
   */
  readonly readsMayLag?: boolean;
  append(streamName: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult>;
  /** A stream that does not exist reads as empty. */
  readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** The position of the last event in the log (0 when it is empty): for progress and lag. */
  headPosition(): Promise<bigint>;
  subscribeToAll(options?: SubscribeOptions): EventSubscription;
  /**
   * Resolves once the log takes writes now, writing nothing (`GET /health`): the embedded log's reads and appends
   * go through different connections, and a log that reads but cannot commit (another process holding its write
   * lock, a full or read-only disk) refuses every append. Absent: reads are the only probe there is.
   */
  checkWritable?(): Promise<void>;
  close(): Promise<void>;
}

/** Nest injection token for the configured adapter. */
export const EVENT_STORE = Symbol('EVENT_STORE');

export const DEFAULT_READ_LIMIT = 1_000;
export const MAX_READ_LIMIT = 10_000;

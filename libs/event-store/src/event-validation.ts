import { randomUUID } from 'node:crypto';
import { InvalidEventStoreInputError } from './event-store.errors';
import {
  DEFAULT_READ_LIMIT,
  MAX_READ_LIMIT,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
} from './event-store.port';

// Both adapters check input here, before any I/O, so that bad input fails the same way on each and
// writes nothing. `$` starts KurrentDB's system streams and event types, so neither may start with it.
const STREAM_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,199}$/;
const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MAX_EVENTS_PER_APPEND = 1_000;
export const MAX_EVENT_BYTES = 1024 * 1024;
/**
 * The most one append may hold, counted as KurrentDB counts it (data, metadata and twice the type's length,
 * over every event): 1 MiB, KurrentDB's default `MaxAppendSize` before 25.1 and the least a server may be
 * configured with here, so that what the embedded log accepts a production log accepts too.
 */
export const MAX_APPEND_BYTES = 1024 * 1024;

/** An event as it is written: id assigned, data and metadata serialised once. */
export interface SerializedEvent {
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
}

export function assertStreamName(streamName: unknown): asserts streamName is string {
  if (typeof streamName !== 'string' || !STREAM_NAME.test(streamName)) {
    throw new InvalidEventStoreInputError(
      `Invalid stream name ${JSON.stringify(streamName)}: 1-200 characters of A-Z a-z 0-9 _ . : @ -, starting with a letter or digit`,
    );
  }
}

export function assertStreamPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || prefix.length === 0 || !STREAM_NAME.test(prefix)) {
    throw new InvalidEventStoreInputError(`Invalid stream prefix ${JSON.stringify(prefix)}`);
  }
}

export function assertExpectedRevision(expected: unknown): asserts expected is ExpectedRevision {
  if (expected === 'no_stream' || expected === 'stream_exists' || expected === 'any') return;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0) return;
  throw new InvalidEventStoreInputError(
    `Invalid expected revision ${JSON.stringify(expected)}: a whole number from 0, 'no_stream', 'stream_exists' or 'any'`,
  );
}

export function checkReadStreamOptions(options: ReadStreamOptions = {}): Required<
  Omit<ReadStreamOptions, 'fromRevision'>
> & {
  fromRevision: number | undefined;
} {
  const direction = options.direction ?? 'forwards';
  if (direction !== 'forwards' && direction !== 'backwards') {
    throw new InvalidEventStoreInputError(`Invalid direction ${JSON.stringify(direction)}`);
  }
  if (options.fromRevision !== undefined && !isNonNegativeInteger(options.fromRevision)) {
    throw new InvalidEventStoreInputError(`Invalid fromRevision ${JSON.stringify(options.fromRevision)}`);
  }
  return { direction, fromRevision: options.fromRevision, limit: checkLimit(options.limit) };
}

export function checkReadAllOptions(options: ReadAllOptions = {}): {
  after: bigint;
  limit: number;
  streamPrefixes: readonly string[];
} {
  const after = options.after ?? 0n;
  if (typeof after !== 'bigint' || after < 0n) {
    throw new InvalidEventStoreInputError(`Invalid position ${String(options.after)}: a bigint from 0`);
  }
  const streamPrefixes = options.streamPrefixes ?? [];
  streamPrefixes.forEach(assertStreamPrefix);
  return { after, limit: checkLimit(options.limit), streamPrefixes };
}

/** Checks and serialises a batch; throws before anything is written. */
export function serializeEvents(streamName: string, events: readonly NewEvent[]): SerializedEvent[] {
  assertStreamName(streamName);
  if (!Array.isArray(events) || events.length === 0) {
    throw new InvalidEventStoreInputError(`Nothing to append to ${streamName}: events must be a non-empty array`);
  }
  if (events.length > MAX_EVENTS_PER_APPEND) {
    throw new InvalidEventStoreInputError(`At most ${MAX_EVENTS_PER_APPEND} events per append, got ${events.length}`);
  }
  const serialized = (events as readonly unknown[]).map((event, index) =>
    serializeEvent(event as NewEvent, `${streamName}[${index}]`),
  );
  const bytes = serialized.reduce(
    (sum, event) =>
      sum + Buffer.byteLength(event.data) + Buffer.byteLength(event.metadata) + 2 * Buffer.byteLength(event.type),
    0,
  );
  if (bytes > MAX_APPEND_BYTES) {
    throw new InvalidEventStoreInputError(
      `An append to ${streamName} holds ${bytes} bytes; at most ${MAX_APPEND_BYTES} (KurrentDB's MaxAppendSize)`,
    );
  }
  return serialized;
}

function serializeEvent(event: NewEvent, where: string): SerializedEvent {
  if (!isPlainObject(event)) throw new InvalidEventStoreInputError(`${where}: an event must be an object`);
  const { id = randomUUID(), type, data, metadata = {} } = event;
  if (typeof id !== 'string' || !UUID.test(id)) {
    throw new InvalidEventStoreInputError(`${where}: event id ${JSON.stringify(id)} is not a UUID`);
  }
  if (typeof type !== 'string' || !EVENT_TYPE.test(type)) {
    throw new InvalidEventStoreInputError(
      `${where}: event type ${JSON.stringify(type)} must be 1-100 characters of A-Z a-z 0-9 _ . -, starting with a letter`,
    );
  }
  if (!isPlainObject(data)) throw new InvalidEventStoreInputError(`${where} (${type}): data must be a JSON object`);
  assertJsonValue(data, `${where} (${type}).data`);
  if (!isPlainObject(metadata))
    throw new InvalidEventStoreInputError(`${where} (${type}): metadata must be a JSON object`);
  assertJsonValue(metadata, `${where} (${type}).metadata`);
  const serialized = { id: id.toLowerCase(), type, data: JSON.stringify(data), metadata: JSON.stringify(metadata) };
  if (serialized.data.length + serialized.metadata.length > MAX_EVENT_BYTES) {
    throw new InvalidEventStoreInputError(`${where} (${type}): larger than ${MAX_EVENT_BYTES} bytes`);
  }
  return serialized;
}

/**
 * JSON.stringify silently drops undefined and functions and turns NaN into null, which would store
 * something other than what the caller meant; so every value is checked to round-trip exactly. The path to a
 * value is made only for the message of one that does not: made for every field, it was most of the check.
 */
function assertJsonValue(value: unknown, where: string): void {
  const keys: (string | number)[] = [];
  const problem = jsonProblem(value, keys, new Set());
  if (problem === undefined) return;
  const path = keys.map((key) => (typeof key === 'number' ? `[${key}]` : `.${key}`)).join('');
  throw new InvalidEventStoreInputError(`${where}${path}: ${problem}`);
}

/** Why `value` is not JSON, with `keys` left as the path to the first value that is not; undefined when it is. */
function jsonProblem(value: unknown, keys: (string | number)[], seen: Set<object>): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${value} is not a JSON number`;
  if (typeof value !== 'object') return `a ${typeof value} is not JSON-serialisable`;
  if (seen.has(value)) return 'circular reference';
  const array = Array.isArray(value);
  if (!array && !isPlainObject(value))
    return `a ${(value as { constructor?: { name?: string } }).constructor?.name ?? 'non-plain'} object is not JSON`;
  seen.add(value);
  if (array) {
    for (let index = 0; index < value.length; index++) {
      keys.push(index);
      const problem = jsonProblem(value[index], keys, seen);
      if (problem !== undefined) return problem;
      keys.pop();
    }
  } else {
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      keys.push(key);
      const problem = jsonProblem(value[key], keys, seen);
      if (problem !== undefined) return problem;
      keys.pop();
    }
  }
  seen.delete(value);
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_READ_LIMIT;
  if (!isNonNegativeInteger(limit) || limit < 1 || limit > MAX_READ_LIMIT) {
    throw new InvalidEventStoreInputError(`Invalid limit ${JSON.stringify(limit)}: 1 to ${MAX_READ_LIMIT}`);
  }
  return limit;
}

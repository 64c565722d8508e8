import type { CurrentRevision, ExpectedRevision } from './event-store.port';

export type EventStoreErrorCode =
  | 'WRONG_EXPECTED_REVISION'
  | 'INVALID_EVENT_STORE_INPUT'
  | 'EVENT_STORE_ACCESS_DENIED'
  | 'STREAM_DELETED'
  | 'EVENT_STORE_UNAVAILABLE';

/** The one family of errors the port throws; callers switch on `code`. */
export abstract class EventStoreError extends Error {
  abstract readonly code: EventStoreErrorCode;
}

/** Optimistic concurrency conflict: someone else wrote to the stream first. Nothing was written. */
export class WrongExpectedRevisionError extends EventStoreError {
  readonly code = 'WRONG_EXPECTED_REVISION';

  constructor(
    readonly streamName: string,
    readonly expected: ExpectedRevision,
    readonly actual: CurrentRevision,
  ) {
    super(`Stream ${streamName}: expected revision ${String(expected)}, but it is ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

/** The caller passed something the log refuses to hold. Nothing was written. */
export class InvalidEventStoreInputError extends EventStoreError {
  readonly code = 'INVALID_EVENT_STORE_INPUT';

  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventStoreInputError';
  }
}

/**
 * The log refused the engine's credentials for this operation (KurrentDB's `AccessDenied`: a user without
 * the rights, or no credentials at all). A definite failure, and retrying will not change it: nothing was
 * written, and the deployment's credentials must be fixed.
 */
export class EventStoreAccessDeniedError extends EventStoreError {
  readonly code = 'EVENT_STORE_ACCESS_DENIED';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStoreAccessDeniedError';
  }
}

/**
 * The stream was deleted (or tombstoned) in the log, by an operator: KurrentDB refuses to write to it
 * again. A definite failure: nothing was written, and retrying will not change it.
 */
export class StreamDeletedError extends EventStoreError {
  readonly code = 'STREAM_DELETED';

  constructor(
    readonly streamName: string,
    options?: { cause?: unknown },
  ) {
    super(`Stream ${streamName} was deleted from the log`, options);
    this.name = 'StreamDeletedError';
  }
}

/**
 * The log could not be reached or could not commit. For an append, whether it was written is
 * unknown only with KurrentDB (a lost reply); with SQLite a failed commit wrote nothing.
 */
export class EventStoreUnavailableError extends EventStoreError {
  readonly code = 'EVENT_STORE_UNAVAILABLE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStoreUnavailableError';
  }
}

/**
 * The embedded log's commit found no place to go: a full disk, a read-only file, an I/O error (`storage` is SQLite's
 * word for it). Nothing was written; the same append succeeds once the disk takes writes again.
 */
export class EventStoreStorageError extends EventStoreUnavailableError {
  constructor(readonly storage: string) {
    super(`SQLite commit failed: ${storage}`);
    this.name = 'EventStoreStorageError';
  }
}

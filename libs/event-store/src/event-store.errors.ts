import type { CurrentRevision, ExpectedRevision } from './event-store.port';

export type EventStoreErrorCode = 'WRONG_EXPECTED_REVISION' | 'INVALID_EVENT_STORE_INPUT' | 'EVENT_STORE_UNAVAILABLE';

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

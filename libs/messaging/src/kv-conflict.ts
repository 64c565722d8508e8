import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';

/** JetStream's "wrong last sequence": a KV compare-and-set (create, update at a revision) lost to another writer. */
export function isRevisionConflict(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

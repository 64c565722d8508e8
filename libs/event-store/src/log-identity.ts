import { randomUUID } from 'node:crypto';
import { EventStoreUnavailableError, WrongExpectedRevisionError } from './event-store.errors';
import type { EventStore } from './event-store.port';

/** The stream that names the log: one `LogCreated` event, written by whoever first asks. */
export const LOG_IDENTITY_STREAM = 'log-identity';
const ATTEMPTS = 5;

/**
 * The log's identity: an id written into the log when it is first asked for, and the same for as long as
 * the log lives. A checkpoint kept outside the log (the read models', the reconciler's) carries it, so that
 * a log that was replaced (a new SQLite file, a new KurrentDB cluster) is told apart by its id, never by
 * comparing positions: a follower's lagging head, or a log that grew past the old checkpoint, would fool
 * that. Two callers racing on a new log both end with the one id that was written first.
 */
export async function logIdentity(store: EventStore): Promise<string> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const logId = await existingLogIdentity(store);
    if (logId !== undefined) return logId;
    try {
      await store.append(
        LOG_IDENTITY_STREAM,
        [{ type: 'LogCreated', data: { logId: randomUUID(), createdAt: new Date().toISOString() } }],
        { expectedRevision: 'no_stream' },
      );
    } catch (error) {
      // Someone else named the log first: read their id.
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
    }
  }
  throw new EventStoreUnavailableError(`the log's identity could not be read back from ${LOG_IDENTITY_STREAM}`);
}

/** The log's identity if it has one yet, without naming a log that has none (a log only looked at). */
export async function existingLogIdentity(store: EventStore): Promise<string | undefined> {
  const [created] = await store.readStream(LOG_IDENTITY_STREAM, { limit: 1 });
  const logId = (created?.data as { logId?: unknown } | undefined)?.logId;
  return typeof logId === 'string' ? logId : undefined;
}

import type { EventStore, RecordedEvent } from './event-store.port';

/**
 * Which event a checkpoint kept outside the log was made at: its stream, revision and id. A log restored from a
 * backup keeps its identity (`logIdentity`) but not the events after the backup, and writes new ones at the
 * positions they had: a checkpoint that names only a position would skip those new events. Its mark tells.
 */
export interface LogMark {
  readonly streamName: string;
  readonly revision: number;
  readonly eventId: string;
}

export const markOf = (event: RecordedEvent): LogMark => ({
  streamName: event.streamName,
  revision: event.revision,
  eventId: event.id,
});

/**
 * Whether the log still has the event a checkpoint was made at: `same` (the log the checkpoint was made on),
 * `other` (another event there: the log was restored and written again since), or `absent` (no event there: a
 * restored log, or, where reads may lag, a follower that has not caught up).
 */
export async function markStands(store: EventStore, mark: LogMark): Promise<'same' | 'other' | 'absent'> {
  const [event] = await store.readStream(mark.streamName, { fromRevision: mark.revision, limit: 1 });
  if (event?.revision !== mark.revision) return 'absent';
  return event.id === mark.eventId ? 'same' : 'other';
}

/**
 * How the log lost the event a checkpoint was made at (`other` or `absent`: it is not the log the checkpoint was
 * made on, e.g. restored from a backup), or undefined while it has it. Where reads may lag (KurrentDB), an event
 * not there yet is taken as a lagging read, not as a loss.
 */
export async function markGone(store: EventStore, mark: LogMark): Promise<'other' | 'absent' | undefined> {
  const stands = await markStands(store, mark);
  return stands === 'same' || (stands === 'absent' && store.readsMayLag) ? undefined : stands;
}

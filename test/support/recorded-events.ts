import type { RecordedEvent } from '@app/event-store';

/** Recorded events for pure tests of log consumers: each call is the next position in the log. */
export function logOfEvents() {
  let position = 0n;
  return (streamName: string, type: string, data: Record<string, unknown>): RecordedEvent => ({
    id: `e-${++position}`,
    type,
    data,
    metadata: {},
    streamName,
    revision: 0,
    position,
  });
}

import { randomUUID } from 'node:crypto';
import type { NewEvent, RecordedEvent } from '@app/event-store';

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

/** A store's registration as the command service records it, for tests that write the log themselves. */
export function storeRegistered(storeId: string, at = new Date().toISOString()): NewEvent {
  return {
    id: randomUUID(),
    type: 'StoreRegistered',
    data: { storeId, name: storeId, payoutDestinationId: 'p', timeZone: 'Europe/Oslo', currencies: ['NOK'], at },
  };
}

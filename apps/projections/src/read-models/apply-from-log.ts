import type { EventStore, RecordedEvent } from '@app/event-store';
import type { ReadModelProjector } from './read-model.projector';
import type { Change } from './read-model.types';

/**
 * Applies one event of the log, first reading back from the log the payment it needs when the projector
 * has forgotten it (or never saw it, having resumed past its start). The one way every fold of the log
 * (live projector, rebuild, the tests' fold from scratch) applies an event.
 */
export async function applyFromLog(
  store: EventStore,
  projector: ReadModelProjector,
  event: RecordedEvent,
): Promise<Change[]> {
  const missing = projector.missingPayment(event);
  if (missing !== undefined) projector.rememberPayment(await store.readStream(`payment-${missing}`), event.position);
  return projector.apply(event);
}

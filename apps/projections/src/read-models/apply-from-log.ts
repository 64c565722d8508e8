import type { EventStore, RecordedEvent } from '@app/event-store';
import type { ReadModelProjector } from './read-model.projector';
import type { Change } from './read-model.types';

/**
 * Applies events of the log in order, first reading back from the log the payment an event needs when the
 * projector has forgotten it (or never saw it, having resumed past its start). The one way every fold of the
 * log (live projector, rebuild, the tests' fold from scratch) applies events. Only such a read waits: the rest
 * of a page is applied in one synchronous run, which a catch-up or a rebuild of millions of events feels.
 */
export async function applyFromLog(
  store: EventStore,
  projector: ReadModelProjector,
  events: readonly RecordedEvent[],
  onChange: (change: Change) => void,
): Promise<void> {
  for (const event of events) {
    const missing = projector.missingPayment(event);
    if (missing !== undefined) projector.rememberPayment(await store.readStream(`payment-${missing}`), event.position);
    projector.applyEach(event, onChange);
  }
}

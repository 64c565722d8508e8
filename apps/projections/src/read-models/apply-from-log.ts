import type { EventStore, RecordedEvent } from '@app/event-store';
import { operationStream, storeStream } from '@app/payment-domain';
import type { ReadModelProjector } from './read-model.projector';
import type { Change, StoreDayDoc } from './read-model.types';

/** Reads a store day out of the projector's memory back (from KV, or from writes not yet made). */
export type StoreDayReader = (key: string) => Promise<StoreDayDoc | undefined>;

/**
 * Applies events of the log in order, first reading back what an event needs that the projector no longer
 * holds: the payment it has forgotten (or never saw, having resumed past its start), from the log, with its store's
 * time zones when its days need them (`zonesWanted`); an operation's request, for a completion that may be of a close
 * let go of (`missingOperation`); a store day out of its memory's window, through `readDay`.
 * The one way every fold of the log (live projector, rebuild, the tests' fold from scratch) applies events. Only
 * such a read waits: the rest of a page is applied in one synchronous run, which a catch-up or a rebuild of
 * millions of events feels.
 */
export async function applyFromLog(
  store: EventStore,
  projector: ReadModelProjector,
  events: readonly RecordedEvent[],
  onChange: (change: Change) => void,
  readDay: StoreDayReader = () => Promise.resolve(undefined),
): Promise<void> {
  for (const event of events) {
    const missing = projector.missingPayment(event);
    if (missing !== undefined) {
      const payment = await store.readStream(`payment-${missing}`);
      // Its refunds' days are in the store's time zone of then, which the store's stream has.
      const storeId = projector.zonesWanted(payment, event.position);
      if (storeId !== undefined) projector.learnZones(storeId, await store.readStream(storeStream(storeId)));
      projector.rememberPayment(payment, event.position);
    }
    // A completion that may be of a close let go of, its events naming no store day: its request tells.
    const operationId = projector.missingOperation(event);
    if (operationId !== undefined)
      projector.rememberOperation(operationId, await store.readStream(operationStream(operationId)));
    for (const key of projector.missingDays(event)) {
      const doc = await readDay(key);
      if (doc) projector.load({ model: 'store-day', key, doc });
    }
    projector.applyEach(event, onChange);
  }
}

import type { RecordedEvent } from '@app/event-store';
import { asDomainEvent } from '@app/payment-domain';

/** A store's time zone from the event at `position` on (its registration, or a change of its details). */
interface ZoneFrom {
  readonly position: bigint;
  readonly timeZone: string;
}

/**
 * Each store's time zones by the position they took effect at, for the store day of a fact read back from the log
 * (`ReadModelProjector.rememberPayment`): the day the fold gave it, in the zone in force at the fact's position, not
 * the zone of now. A store's zones are whole once its registration is among them (seen by the fold, or read from its
 * stream: `learn`); until then only positions at or after a change seen since the start are known.
 */
export class StoreZones {
  private readonly zones = new Map<string, { registered: boolean; readonly changes: ZoneFrom[] }>();

  /** A store event at `position`: its registration or a change of its details sets the store's zone from there. */
  note(storeId: string, position: bigint, timeZone: string, registration: boolean): void {
    let held = this.zones.get(storeId);
    if (!held) this.zones.set(storeId, (held = { registered: false, changes: [] }));
    if (registration) held.registered = true;
    if (held.changes.some((change) => change.position === position)) return;
    held.changes.push({ position, timeZone });
    held.changes.sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
  }

  /** Whether the store's zone at any position the fold has passed is known without reading its stream. */
  whole(storeId: string): boolean {
    return this.zones.get(storeId)?.registered === true;
  }

  /** The store's stream, read from the log: every zone it had, at their positions (later ones too, harmlessly). */
  learn(storeId: string, storeEvents: readonly RecordedEvent[]): void {
    for (const recorded of storeEvents) {
      const typed = asDomainEvent(recorded);
      if (typed?.stream !== 'store') continue;
      const { event } = typed;
      if (event.type === 'StoreRegistered' || event.type === 'StoreDetailsChanged')
        this.note(storeId, recorded.position, event.data.timeZone, event.type === 'StoreRegistered');
    }
  }

  /**
   * The store's zone at `position`: of the last change at or before it; `UTC` before its registration (as a store
   * document before it, `emptyStore`); undefined when not known (a change before the start, not read from the log).
   */
  at(storeId: string, position: bigint): string | undefined {
    const held = this.zones.get(storeId);
    const last = held?.changes.findLast((change) => change.position <= position);
    if (last) return last.timeZone;
    return held?.registered ? 'UTC' : undefined;
  }
}

import { addDays } from '@app/payment-domain';
import type { StoreDayDoc } from './read-model.types';

/**
 * How many of a store's days a projector keeps in memory: its latest day and the ones before it, enough for
 * the dashboard's week and for the late captures and closes of the last days. Older days live in KV only.
 */
export const DAYS_KEPT = 10;

/** The first of the days kept when a store's latest day is `latest`. */
function firstKept(latest: string): string {
  return addDays(latest, 1 - DAYS_KEPT);
}

/**
 * The store-day documents a projector holds, keyed `{storeId}.{yyyy-mm-dd}`: a store's last `DAYS_KEPT`
 * days, so that memory follows the fleet and not the history. A day that falls out of the window is
 * `retire`d once KV has it; an event for a day out of the window has the rim read that day back first
 * (`isPast`). The window moves by the days the events are about, not by a clock: every instance, and a
 * rebuild, keeps the same days at the same point of the log.
 */
export class StoreDays {
  private readonly docs = new Map<string, StoreDayDoc>();
  private readonly datesOf = new Map<string, Set<string>>();
  /** Each store's latest day, and the first day kept with it. */
  private readonly window = new Map<string, { readonly latest: string; readonly first: string }>();
  /** Stores that may have days to retire: their latest day moved, or a past day was read back. */
  private readonly moved = new Set<string>();

  /** Whether any store has a day yet: until then, no day is past. */
  get anyKept(): boolean {
    return this.window.size > 0;
  }

  get(key: string): StoreDayDoc | undefined {
    return this.docs.get(key);
  }

  has(key: string): boolean {
    return this.docs.has(key);
  }

  values(): IterableIterator<StoreDayDoc> {
    return this.docs.values();
  }

  entries(): IterableIterator<[string, StoreDayDoc]> {
    return this.docs.entries();
  }

  set(key: string, doc: StoreDayDoc): void {
    const { storeId, date } = doc;
    this.docs.set(key, doc);
    let dates = this.datesOf.get(storeId);
    if (!dates) this.datesOf.set(storeId, (dates = new Set()));
    dates.add(date);
    const window = this.window.get(storeId);
    if (window === undefined || date > window.latest) {
      this.window.set(storeId, { latest: date, first: firstKept(date) });
      if (window !== undefined) this.moved.add(storeId);
    } else if (date < window.first) this.moved.add(storeId);
  }

  /** Whether the store's day is out of the window: not kept in memory, but maybe in KV. */
  isPast(storeId: string, date: string): boolean {
    const window = this.window.get(storeId);
    return window !== undefined && date < window.first;
  }

  /**
   * Drops the days out of the window whose documents KV holds (their position at or before `durableUpTo`),
   * and returns them: a rebuild writes them then; a live projector had them written already.
   */
  retire(durableUpTo: bigint): StoreDayDoc[] {
    const retired: StoreDayDoc[] = [];
    for (const storeId of this.moved) {
      let waiting = false;
      const dates = this.datesOf.get(storeId)!;
      for (const date of dates) {
        if (!this.isPast(storeId, date)) continue;
        const key = `${storeId}.${date}`;
        const doc = this.docs.get(key)!;
        if (BigInt(doc.position) > durableUpTo) {
          waiting = true;
          continue;
        }
        this.docs.delete(key);
        dates.delete(date);
        retired.push(doc);
      }
      if (!waiting) this.moved.delete(storeId);
    }
    return retired;
  }
}

/** Of store-day keys (`{storeId}.{yyyy-mm-dd}`), those within their store's window, as `StoreDays` keeps it. */
export function daysInWindow(keys: readonly string[]): string[] {
  const latest = new Map<string, string>();
  const split = (key: string) => ({ storeId: key.slice(0, -11), date: key.slice(-10) });
  for (const key of keys) {
    const { storeId, date } = split(key);
    if (date > (latest.get(storeId) ?? '')) latest.set(storeId, date);
  }
  return keys.filter((key) => {
    const { storeId, date } = split(key);
    return date >= firstKept(latest.get(storeId)!);
  });
}

import type { TerminalDoc } from '../read-models/read-model.types';

/** A payment's or a refund's end, as the dashboard's activity list shows it. */
export interface ActivityItem {
  /** `p:{paymentId}` or `r:{refundId}`: the same end seen twice is one item. */
  readonly id: string;
  readonly kind: 'payment' | 'refund';
  readonly paymentId: string;
  readonly storeId: string;
  readonly terminalId: string;
  /** captured, declined, failed, cancelled, expired, rejected, voided; refunded or refund_failed. */
  readonly status: string;
  readonly amount: number;
  readonly currency: string;
  readonly at: string;
}

/** The ends a terminal document shows: its last payment's and its last refund's. */
export function activityOf(terminal: TerminalDoc): ActivityItem[] {
  const { storeId, terminalId, lastOutcome, lastRefund } = terminal;
  const items: ActivityItem[] = [];
  if (lastOutcome)
    items.push({ id: `p:${lastOutcome.paymentId}`, kind: 'payment', storeId, terminalId, ...lastOutcome });
  if (lastRefund) {
    const { refundId, ...refund } = lastRefund;
    items.push({ id: `r:${refundId}`, kind: 'refund', storeId, terminalId, ...refund });
  }
  return items;
}

/** Newest first, at most `limit`, each item once. */
export function newestActivity(items: Iterable<ActivityItem>, limit: number): ActivityItem[] {
  const byId = new Map<string, ActivityItem>();
  for (const item of items) byId.set(item.id, item);
  return [...byId.values()].sort((a, b) => b.at.localeCompare(a.at) || b.id.localeCompare(a.id)).slice(0, limit);
}

/**
 * The latest ends per store, as they went by on the change subjects: what a dashboard that opens or
 * reconnects shows before anything new happens. Bounded: `perStore` items a store.
 */
export class RecentActivity {
  private readonly stores = new Map<string, ActivityItem[]>();

  constructor(private readonly perStore = 50) {}

  note(terminal: TerminalDoc): void {
    const items = activityOf(terminal);
    if (items.length === 0) return;
    const held = this.stores.get(terminal.storeId) ?? [];
    if (items.every((item) => held.some((other) => other.id === item.id))) return;
    // Kept sorted newest first; a store's list is short, so a sort per new end costs nothing worth a heap.
    this.stores.set(terminal.storeId, newestActivity([...held, ...items], this.perStore));
  }

  /** The store's latest ends, with those its terminals' documents show (after a restart, all there is). */
  of(storeId: string, terminals: readonly TerminalDoc[]): ActivityItem[] {
    return newestActivity([...terminals.flatMap(activityOf), ...(this.stores.get(storeId) ?? [])], this.perStore);
  }
}

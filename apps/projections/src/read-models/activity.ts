import type { TerminalDoc } from './read-model.types';

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
  /**
   * The log position of the terminal document it was read from: of two versions of one end, the one later in the log
   * stands (not the later `at`: a refund failed for Dintero's silence may be shown made at an earlier time of Dintero's).
   */
  readonly position: string;
}

const paymentItem = (paymentId: string) => `p:${paymentId}`;
const refundItem = (refundId: string) => `r:${refundId}`;

/** The ends a terminal document shows: its last payment's and its last refund's. */
export function activityOf(terminal: TerminalDoc): ActivityItem[] {
  const { storeId, terminalId, lastOutcome, lastRefund, position } = terminal;
  const items: ActivityItem[] = [];
  if (lastOutcome)
    items.push({
      id: paymentItem(lastOutcome.paymentId),
      kind: 'payment',
      storeId,
      terminalId,
      ...lastOutcome,
      position,
    });
  if (lastRefund) {
    const { refundId, ...refund } = lastRefund;
    items.push({ id: refundItem(refundId), kind: 'refund', storeId, terminalId, ...refund, position });
  }
  return items;
}

/**
 * The ends a terminal's new document shows that its document before did not, or showed otherwise (a refund failed,
 * then made): one per payment or refund that ended or changed, so that two ends of one terminal between two writes of
 * its document are both told (`ReadModelProjector.onEnds`).
 */
export function endsBetween(before: TerminalDoc | undefined, after: TerminalDoc): ActivityItem[] {
  const held = new Map((before ? activityOf(before) : []).map((item) => [item.id, item]));
  return activityOf(after).filter((item) => !sameEnd(item, held.get(item.id)));
}

/** Whether two items show one end as it stood: the same status, amount and time (their positions aside). */
export const sameEnd = (item: ActivityItem, other: ActivityItem | undefined): boolean =>
  other !== undefined && item.status === other.status && item.at === other.at && item.amount === other.amount;

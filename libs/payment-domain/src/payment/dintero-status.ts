/**
 * Every Dintero transaction status (docs/dintero.md §6) and what it means for a terminal payment.
 * Pure data, so that the reaction to each status is written down in one place and tested one by one.
 */
export const DINTERO_TRANSACTION_STATUSES = [
  'INITIATED',
  'AUTHORIZED',
  'AUTHORIZATION_VOIDED',
  'CAPTURED',
  'PARTIALLY_CAPTURED',
  'PARTIALLY_CAPTURED_REFUNDED',
  'REFUNDED',
  'PARTIALLY_REFUNDED',
  'DECLINED',
  'FAILED',
  'UNKNOWN',
  'ON_HOLD',
] as const;

export type DinteroTransactionStatus = (typeof DINTERO_TRANSACTION_STATUSES)[number];

export type TransactionReaction =
  'started' | 'authorized' | 'voided' | 'captured' | 'declined' | 'failed' | 'unknown' | 'on_hold';

export const REACTION_TO_STATUS: Readonly<Record<DinteroTransactionStatus, TransactionReaction>> = {
  // The terminal has the payment in hand; nothing has happened to money yet.
  INITIATED: 'started',
  AUTHORIZED: 'authorized',
  AUTHORIZATION_VOIDED: 'voided',
  CAPTURED: 'captured',
  // Every status after a capture proves the capture happened, whatever came next (refunds are recorded
  // by their own facts, matched to our refund requests).
  PARTIALLY_CAPTURED: 'captured',
  PARTIALLY_CAPTURED_REFUNDED: 'captured',
  REFUNDED: 'captured',
  PARTIALLY_REFUNDED: 'captured',
  DECLINED: 'declined',
  FAILED: 'failed',
  // Dintero could not tell: recorded once, the payment stays open for the reconciler to ask again.
  UNKNOWN: 'unknown',
  // Pending review: becomes AUTHORIZED or FAILED later; the payment stays open meanwhile.
  ON_HOLD: 'on_hold',
};

/**
 * What a transaction means for the payment: its status's reaction, except that a partly captured transaction whose
 * rest Dintero voided (`AUTHORIZATION_VOIDED` with money captured) is the capture of its part, which stays taken.
 * Only that status: under any other that is not final (UNKNOWN, ON_HOLD…) a capture event is not taken as money.
 */
export function transactionReaction(status: DinteroTransactionStatus, capturedAmount = 0): TransactionReaction {
  return status === 'AUTHORIZATION_VOIDED' && capturedAmount > 0 ? 'captured' : REACTION_TO_STATUS[status];
}

export function isDinteroTransactionStatus(value: unknown): value is DinteroTransactionStatus {
  return typeof value === 'string' && (DINTERO_TRANSACTION_STATUSES as readonly string[]).includes(value);
}

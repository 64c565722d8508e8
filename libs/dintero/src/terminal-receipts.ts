import type { TerminalReceipt } from '@app/payment-domain';
import type { DinteroTransaction } from './dintero.types';
import type { TransactionEvent } from './transaction-events';

/**
 * The `seitatech:*` keys of a transaction event kept for the till, and the receipt's field each goes to. The
 * receipts' texts are kept part by part: Dintero does not say how a second part joins the first.
 */
const RECEIPT_KEYS: readonly (readonly [string, keyof TerminalReceipt])[] = [
  ['seitatech:uniqueId', 'terminalTransactionId'],
  ['seitatech:receiptNumber', 'receiptNumber'],
  ['seitatech:customerReceipt', 'customerReceipt'],
  ['seitatech:customerReceiptPart2', 'customerReceiptPart2'],
  ['seitatech:merchantReceipt', 'merchantReceipt'],
  ['seitatech:merchantReceiptPart2', 'merchantReceiptPart2'],
];

/**
 * The terminal's references and receipts for the payment (not a refund's): from the last `AUTHORIZE` or `CAPTURE`
 * event whose Seitatech metadata carries any of them, all from that one event (the terminal's one answer). EMV
 * data and outcome codes are not kept.
 */
export function terminalReceipt(tx: DinteroTransaction): TerminalReceipt | undefined {
  const event = [...(tx.events ?? [])]
    .reverse()
    .find((e) => (e.event === 'AUTHORIZE' || e.event === 'CAPTURE') && RECEIPT_KEYS.some(([key]) => e.metadata?.[key]));
  return event && receiptOf(event);
}

/** The terminal's references and receipts one transaction event carries, or nothing when it carries none. */
export function receiptOf(event: TransactionEvent): TerminalReceipt | undefined {
  const metadata = event.metadata ?? {};
  const fields = RECEIPT_KEYS.flatMap(([key, field]) => (metadata[key] ? [[field, metadata[key]] as const] : []));
  return fields.length > 0 ? Object.fromEntries(fields) : undefined;
}

import { randomUUID } from 'node:crypto';
import type { SimTerminal, SimTransaction } from '../state/simulator-state';

export type TerminalAnswer =
  { readonly approved: true } | { readonly approved: false; readonly reason: string; readonly responseCode: string };

/**
 * The `seitatech:*` keys Dintero puts in an in-person transaction event's `metadata` (its specification's
 * `TransactionSeitatech`): the terminal's transaction id, its receipt number (counted per terminal), the
 * receipts' text, the ECR outcome codes and the terminal's identities. All values are strings.
 */
export function seitatechMetadata(
  terminal: SimTerminal,
  tx: Pick<SimTransaction, 'amount' | 'payout_destination_id'>,
  transactionType: 'PURCHASE' | 'REFUND',
  answer: TerminalAnswer,
  amount = tx.amount,
): Record<string, string> {
  terminal.receipts = (terminal.receipts ?? 0) + 1;
  const receiptNumber = String(terminal.receipts).padStart(6, '0');
  const outcome = answer.approved ? 'APPROVED' : 'DECLINED';
  const receipt = (copy: string) =>
    [
      copy,
      `${transactionType} ${(amount / 100).toFixed(2)}`,
      `TERMINAL ${terminal.terminal_id}  RECEIPT ${receiptNumber}`,
      outcome,
    ].join('\n');
  return {
    'seitatech:uniqueId': randomUUID(),
    'seitatech:receiptNumber': receiptNumber,
    'seitatech:outcome': outcome,
    'seitatech:responseCode': answer.approved ? '00' : answer.responseCode,
    ...(answer.approved ? {} : { 'seitatech:outcomeReason': answer.reason, 'seitatech:reasonCode': answer.reason }),
    'seitatech:transactionType': transactionType,
    'seitatech:saleAmount': String(amount),
    'seitatech:field41': terminal.terminal_id
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(-8)
      .padStart(8, '0'),
    'seitatech:field42': tx.payout_destination_id.slice(0, 15),
    'seitatech:terminalSerialNumber': `SIMULATED-${terminal.terminal_id}`,
    'seitatech:customerReceipt': receipt('CUSTOMER COPY'),
    'seitatech:merchantReceipt': receipt('MERCHANT COPY'),
  };
}

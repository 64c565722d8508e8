import type { RefundMode } from '../state/simulator-state';

/**
 * Like Dintero's simulated terminals (docs/dintero.md §9), the session's amount picks what the
 * virtual terminal does: the last two digits of `order.amount` in minor units. Dintero's own example,
 * 399.00 NOK (39900), is approved with a Visa card. The README lists this table first.
 */
export type TerminalOutcome =
  | {
      readonly kind: 'approved';
      /**
       * As Dintero spells it on `card.brand`: "Visa, MasterCard, etc." (the specification's `Card`, example `Visa`).
       * Its spelling of American Express is not published: `Amex` is ours.
       */
      readonly brand: string;
      readonly entryMethod: 'contactless' | 'chip' | 'magstripe';
      readonly cardType: string;
    }
  | { readonly kind: 'declined'; readonly errorType: string; readonly message: string }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'no_answer' }
  | { readonly kind: 'on_hold_then_approved' }
  | { readonly kind: 'on_hold_then_failed' }
  | { readonly kind: 'authorized_then_captured' }
  | { readonly kind: 'unknown' };

export const AMOUNT_TABLE: Readonly<Record<string, TerminalOutcome>> = {
  '00': { kind: 'approved', brand: 'Visa', entryMethod: 'contactless', cardType: 'Debit' },
  '01': { kind: 'approved', brand: 'MasterCard', entryMethod: 'chip', cardType: 'Credit' },
  '02': { kind: 'approved', brand: 'Visa', entryMethod: 'magstripe', cardType: 'Credit' },
  '03': { kind: 'approved', brand: 'Amex', entryMethod: 'contactless', cardType: 'Credit Card' },
  '51': { kind: 'declined', errorType: 'INSUFFICIENT_FUNDS', message: 'Insufficient funds' },
  '54': { kind: 'declined', errorType: 'EXPIRED_CARD', message: 'Expired card' },
  '55': { kind: 'declined', errorType: 'PIN_REQUIRED', message: 'Wrong PIN' },
  '05': { kind: 'declined', errorType: 'DECLINED', message: 'Do not honour' },
  '10': { kind: 'cancelled' },
  '20': { kind: 'failed', message: 'Terminal processing error' },
  '30': { kind: 'no_answer' },
  '40': { kind: 'on_hold_then_approved' },
  '41': { kind: 'on_hold_then_failed' },
  '45': { kind: 'authorized_then_captured' },
  '50': { kind: 'unknown' },
};

/** Amounts whose last two digits are not in the table are approved with Visa, contactless. */
export function outcomeForAmount(amount: number): TerminalOutcome {
  const digits = String(Math.abs(amount) % 100).padStart(2, '0');
  return AMOUNT_TABLE[digits] ?? AMOUNT_TABLE['00']!;
}

export function parseOutcome(value: unknown): TerminalOutcome | undefined {
  if (typeof value !== 'string') return undefined;
  return Object.values(AMOUNT_TABLE).find((outcome) => outcomeName(outcome) === value);
}

export function outcomeName(outcome: TerminalOutcome): string {
  switch (outcome.kind) {
    case 'approved':
      return `approved:${outcome.brand.toLowerCase()}:${outcome.entryMethod}`;
    case 'declined':
      return `declined:${outcome.errorType.toLowerCase()}`;
    default:
      return outcome.kind;
  }
}

/**
 * How a refund is answered, by the last two digits of the refund's amount (unless the terminal's own
 * refund mode says otherwise): Dintero may answer 202 and complete it later (the cardholder confirms at
 * the terminal), approved or declined. Every other amount is refunded at once with 200.
 */
export const REFUND_AMOUNT_TABLE: Readonly<Record<string, RefundMode>> = {
  '72': 'async_approve',
  '73': 'async_decline',
};

export function refundModeFor(amount: number, terminalMode: RefundMode | undefined): RefundMode {
  return terminalMode ?? REFUND_AMOUNT_TABLE[String(Math.abs(amount) % 100).padStart(2, '0')] ?? 'sync';
}

/**
 * Money is integers (docs/design.md invariant 8): an amount in the currency's minor units and an ISO 4217
 * code. Pure: no I/O; the currency list is the runtime's ICU table, the same on every call.
 */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

export type MoneyProblem = 'AMOUNT_NOT_AN_INTEGER' | 'AMOUNT_NEGATIVE' | 'AMOUNT_TOO_LARGE' | 'UNKNOWN_CURRENCY';

/**
 * Largest amount the log takes as money, in minor units: well inside JavaScript's exact integers. Dintero takes less
 * (`DINTERO_MAX_AMOUNT` of `@app/dintero`, int32), which the POS's start is held to at the edge; this bound is also
 * what a report from Dintero is read against, whose transaction amounts the specification gives no format.
 */
export const MAX_AMOUNT = 1_000_000_000_00;

const ISO_4217 = new Set(Intl.supportedValuesOf('currency'));

export function isCurrencyCode(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Z]{3}$/.test(value) && ISO_4217.has(value);
}

/** Why `amount` and `currency` are not money, or undefined when they are. Zero is allowed (a refund of nothing is refused elsewhere). */
export function moneyProblem(amount: unknown, currency: unknown): MoneyProblem | undefined {
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) return 'AMOUNT_NOT_AN_INTEGER';
  if (amount < 0) return 'AMOUNT_NEGATIVE';
  if (amount > MAX_AMOUNT) return 'AMOUNT_TOO_LARGE';
  if (!isCurrencyCode(currency)) return 'UNKNOWN_CURRENCY';
  return undefined;
}

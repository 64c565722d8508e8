import type { CurrencyTotals } from '../read-model.types';

const NO_TOTALS: CurrencyTotals = { capturedCount: 0, capturedAmount: 0, refundedCount: 0, refundedAmount: 0, net: 0 };

/** Totals per currency with `delta` added to one currency's; `net` is captured minus refunded. */
export function addTotals(
  totals: Readonly<Record<string, CurrencyTotals>>,
  currency: string,
  delta: Partial<CurrencyTotals>,
): Record<string, CurrencyTotals> {
  const current = totals[currency] ?? NO_TOTALS;
  const capturedAmount = current.capturedAmount + (delta.capturedAmount ?? 0);
  const refundedAmount = current.refundedAmount + (delta.refundedAmount ?? 0);
  // One object, `net` computed before it is made rather than by a copy of it.
  const next: CurrencyTotals = {
    capturedCount: current.capturedCount + (delta.capturedCount ?? 0),
    capturedAmount,
    refundedCount: current.refundedCount + (delta.refundedCount ?? 0),
    refundedAmount,
    net: capturedAmount - refundedAmount,
  };
  return { ...totals, [currency]: next };
}

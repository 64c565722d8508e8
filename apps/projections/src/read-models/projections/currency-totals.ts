import type { CurrencyTotals } from '../read-model.types';

const NO_TOTALS: CurrencyTotals = { capturedCount: 0, capturedAmount: 0, refundedCount: 0, refundedAmount: 0, net: 0 };

/** Totals per currency with `delta` added to one currency's; `net` is captured minus refunded. */
export function addTotals(
  totals: Readonly<Record<string, CurrencyTotals>>,
  currency: string,
  delta: Partial<CurrencyTotals>,
): Record<string, CurrencyTotals> {
  const current = totals[currency] ?? NO_TOTALS;
  const next = {
    capturedCount: current.capturedCount + (delta.capturedCount ?? 0),
    capturedAmount: current.capturedAmount + (delta.capturedAmount ?? 0),
    refundedCount: current.refundedCount + (delta.refundedCount ?? 0),
    refundedAmount: current.refundedAmount + (delta.refundedAmount ?? 0),
    net: 0,
  };
  return { ...totals, [currency]: { ...next, net: next.capturedAmount - next.refundedAmount } };
}

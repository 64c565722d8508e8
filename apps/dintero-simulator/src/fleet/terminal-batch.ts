import type { SimTerminal } from '../state/simulator-state';

/**
 * Counts what the terminal approved into its open batch, as a real terminal does: a purchase when the money
 * is captured, a reversal when a refund at this terminal is approved. Its end-of-day close reports the
 * batch and opens a new one.
 */
export function addToBatch(
  terminal: SimTerminal,
  kind: 'purchase' | 'reversal',
  amount: number,
  at: string,
  /** 0 for a further capture of a transaction: more money, no more purchases. */
  count: 0 | 1 = 1,
): void {
  terminal.batch ??= {
    openedAt: terminal.lastEndOfDayAt ?? terminal.created_at ?? at,
    purchasesCount: 0,
    purchasesAmount: 0,
    reversalsCount: 0,
    reversalsAmount: 0,
  };
  if (kind === 'purchase') {
    terminal.batch.purchasesCount += count;
    terminal.batch.purchasesAmount += amount;
  } else {
    terminal.batch.reversalsCount += count;
    terminal.batch.reversalsAmount += amount;
  }
}

/** The close's `result`, Dintero's `end_of_day` shape, and the terminal's next batch opened. */
export function closeBatch(terminal: SimTerminal, at: string): Record<string, unknown> {
  const batch = terminal.batch;
  const skew = terminal.batchSkew ?? {};
  const purchasesCount = (batch?.purchasesCount ?? 0) + (skew.purchasesCount ?? 0);
  const purchasesAmount = (batch?.purchasesAmount ?? 0) + (skew.purchasesAmount ?? 0);
  const reversalsCount = (batch?.reversalsCount ?? 0) + (skew.reversalsCount ?? 0);
  const reversalsAmount = (batch?.reversalsAmount ?? 0) + (skew.reversalsAmount ?? 0);
  terminal.closes = (terminal.closes ?? 0) + 1;
  const result = {
    outcome: 'accepted',
    batch_id: String(terminal.closes).padStart(6, '0'),
    start_of_day_at: batch?.openedAt ?? terminal.lastEndOfDayAt ?? terminal.created_at ?? at,
    ...(terminal.lastEndOfDayAt ? { last_end_of_day_at: terminal.lastEndOfDayAt } : {}),
    purchases_count: purchasesCount,
    purchases_amount: purchasesAmount,
    reversals_count: reversalsCount,
    reversals_amount: reversalsAmount,
    sale_amount: purchasesAmount - reversalsAmount,
    tip_amount: 0,
  };
  terminal.batch = undefined;
  terminal.lastEndOfDayAt = at;
  return result;
}

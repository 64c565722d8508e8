import type { BatchDifferences, BatchFigures, OpenBatch, TerminalClose, TimedCount } from '../../read-model.types';

/** A batch that counted nothing. */
export const NONE: BatchFigures = { purchasesCount: 0, purchasesAmount: 0, reversalsCount: 0, reversalsAmount: 0 };
export const FIELDS = ['purchasesCount', 'purchasesAmount', 'reversalsCount', 'reversalsAmount'] as const;

/**
 * A capture (`purchase`) or a refund at the terminal (`reversal`) as a batch counts it: its amount in its currency,
 * and whether it is one more purchase or refund (a further capture of a transaction adds money, not a purchase).
 */
export interface Counted {
  readonly kind: 'purchase' | 'reversal';
  readonly amount: number;
  readonly currency: string;
  readonly count: 0 | 1;
  /** The device it was sent to (`dinteroTerminalId`); undefined when it names none. */
  readonly device?: string;
}

/**
 * The batch with one more fact counted (or, its amount and count negated, one fewer), in its currency too where it
 * splits them (`splitOf`).
 */
export function counting(batch: OpenBatch, change: Change): OpenBatch {
  const currencies = splitOf(batch);
  const { purchasesCount, purchasesAmount, reversalsCount, reversalsAmount } = add(batch, change);
  // The figures named, not spread from `add`'s object, and the split set on the copy made here (nothing else holds it):
  // a copy of every capture's batch fewer.
  const next: { -readonly [Key in keyof OpenBatch]: OpenBatch[Key] } = {
    ...batch,
    purchasesCount,
    purchasesAmount,
    reversalsCount,
    reversalsAmount,
  };
  if (currencies) next.currencies = addIn(currencies, change);
  return next;
}

/**
 * A fact as a pending close's batch keeps it: what it counted and when, nothing else the caller's object carries; and
 * its device, which tells it the old device's or the new one's where its time may not, should a swap come while the
 * close pends. Kept from the first: a sale of the old device heard of before the swap that Dintero dates after the
 * swap's instant (its clock ahead of the engine's) was told by that time, the new device's.
 */
export const timed = ({ kind, amount, currency, count, device }: Counted, at: string): TimedCount =>
  device !== undefined ? { at, kind, amount, currency, count, device } : { at, kind, amount, currency, count };

/**
 * The facts `kept` other than those of `taken` (the same objects), in their order: by a set, where a search of `taken`
 * for each fact kept was up to a million comparisons at the bound of 1,000 kept.
 */
export function factsOtherThan<Fact>(kept: readonly Fact[], taken: readonly Fact[]): Fact[] {
  if (taken.length === 0) return [...kept];
  const out = new Set(taken);
  return kept.filter((fact) => !out.has(fact));
}

/**
 * A batch's figures per currency: those it has, or none yet when it has counted nothing. Undefined for a batch a
 * version before this one counted facts into without them: a split of what was counted since would not add up.
 */
export function splitOf(figures: BatchFigures & { readonly currencies?: Readonly<Record<string, BatchFigures>> }) {
  if (figures.currencies !== undefined) return figures.currencies;
  return FIELDS.every((field) => figures[field] === 0) ? {} : undefined;
}

/** The close with a fact of its batch counted in what the log recorded, and compared again. */
export function countInClose(close: TerminalClose, counted: Counted): TerminalClose {
  return compared({
    ...close,
    recorded: add(close.recorded, counted),
    ...(close.currencies ? { currencies: addIn(close.currencies, counted) } : {}),
  });
}

/**
 * The batch without one fact it counted; a currency left with nothing is left out, as if never counted, so that a
 * close's split is the same whichever close took the fact first.
 */
export function without(batch: OpenBatch, fact: TimedCount): OpenBatch {
  const less = counting(batch, { ...fact, amount: -fact.amount, count: -fact.count });
  const left = less.currencies?.[fact.currency];
  if (left === undefined || FIELDS.some((field) => left[field] !== 0)) return less;
  const { [fact.currency]: _none, ...currencies } = less.currencies ?? {};
  return { ...less, currencies };
}

/** The log's figures per currency with one more fact counted in its currency. */
function addIn(
  currencies: Readonly<Record<string, BatchFigures>>,
  counted: Change,
): Readonly<Record<string, BatchFigures>> {
  return { ...currencies, [counted.currency]: add(currencies[counted.currency] ?? NONE, counted) };
}

/** A fact counted in (or, with its amount and count negated, out of) a batch's figures. */
type Change = Omit<Counted, 'count'> & { readonly count: number };

function add(figures: BatchFigures, { kind, amount, count }: Change): BatchFigures {
  const purchase = kind === 'purchase';
  // In `pick`'s order, made at once rather than picked and then copied.
  return {
    purchasesCount: figures.purchasesCount + (purchase ? count : 0),
    purchasesAmount: figures.purchasesAmount + (purchase ? amount : 0),
    reversalsCount: figures.reversalsCount + (purchase ? 0 : count),
    reversalsAmount: figures.reversalsAmount + (purchase ? 0 : amount),
  };
}

export function pick(figures: BatchFigures): BatchFigures {
  const { purchasesCount, purchasesAmount, reversalsCount, reversalsAmount } = figures;
  return { purchasesCount, purchasesAmount, reversalsCount, reversalsAmount };
}

/** A close whose log side is not known (`recordedUnknown`), compared again: a mismatch with no made-up difference. */
export function saidUnknown(close: TerminalClose): TerminalClose {
  return compared({ ...close, recordedUnknown: true });
}

/**
 * The close with the terminal's figures compared with the log's: a mismatch where they differ, or where a figure of
 * the terminal's is unknown (given unreadable), or the log's are (`recordedUnknown`), which has no difference to show.
 */
export function compared(close: TerminalClose): TerminalClose {
  // The log's figures unknown (past the bounds of what a pending close keeps): a difference would be made up.
  if (close.recordedUnknown === true) {
    const { differences: _none, ...rest } = close;
    return { ...rest, mismatch: true };
  }
  // No totals from the terminal: nothing to tell apart, and a batch the log has anything in cannot be reconciled.
  if (close.withoutTotals === true) {
    const { differences: _none, ...rest } = close;
    return { ...rest, mismatch: FIELDS.some((field) => close.recorded[field] !== 0) };
  }
  const differences: { -readonly [Field in keyof BatchDifferences]: number } = {};
  for (const field of FIELDS) {
    const theirs = close.terminal[field];
    if (theirs === undefined) continue;
    const difference = theirs - close.recorded[field];
    if (difference !== 0) differences[field] = difference;
  }
  const { differences: _before, ...rest } = close;
  const differ = Object.keys(differences).length > 0;
  const mismatch = differ || (close.unknown?.length ?? 0) > 0;
  return { ...rest, mismatch, ...(differ ? { differences } : {}) };
}

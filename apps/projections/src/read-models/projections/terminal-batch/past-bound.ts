import type { OpenBatch, PastBound, TimedCount } from '../../read-model.types';
import { counting, FIELDS, NONE, pick } from './batch-figures';

/**
 * The facts past the bound with more whose times are let go of: summed, every currency and per currency, and the span
 * of their times widened to theirs. A sum and two times however many facts: the document stays within a NATS message.
 */
export function pastBoundWith(past: PastBound | undefined, facts: readonly TimedCount[]): PastBound | undefined {
  if (facts.length === 0) return past;
  const start: OpenBatch = past ?? { ...NONE, currencies: {} };
  const { currencies = {}, ...figures } = facts.reduce(counting, start);
  const times = facts.map((fact) => Date.parse(fact.at));
  const from = Math.min(...times, past ? Date.parse(past.from) : Infinity);
  const to = Math.max(...times, past ? Date.parse(past.to) : -Infinity);
  return { ...pick(figures), currencies, from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

/**
 * Where a close the terminal made at `cut` stands to the facts past the bound: they all came after it (the next
 * batch's), all before it or at it (its own), or it closed among them, and which are its own is not known.
 */
export function cutThrough(past: PastBound, cut: number): 'after' | 'before' | 'among' {
  if (cut < Date.parse(past.from)) return 'after';
  return cut >= Date.parse(past.to) ? 'before' : 'among';
}

/** The batch with the facts past the bound counted in (`1`) or out (`-1`), a currency left with nothing left out. */
export function countingPastBound(batch: OpenBatch, past: PastBound, sign: 1 | -1): OpenBatch {
  let counted = batch;
  for (const [currency, figures] of Object.entries(past.currencies)) {
    const { purchasesCount, purchasesAmount, reversalsCount, reversalsAmount } = figures;
    counted = counting(counted, {
      kind: 'purchase',
      currency,
      amount: sign * purchasesAmount,
      count: sign * purchasesCount,
    });
    counted = counting(counted, {
      kind: 'reversal',
      currency,
      amount: sign * reversalsAmount,
      count: sign * reversalsCount,
    });
    const left = counted.currencies?.[currency];
    if (left !== undefined && FIELDS.every((field) => left[field] === 0)) {
      const { [currency]: _none, ...others } = counted.currencies ?? {};
      counted = { ...counted, currencies: others };
    }
  }
  return counted;
}

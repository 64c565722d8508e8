import type { PaymentFacts } from './projections/fact';

/**
 * Payments the projector forgot lately, at most `limit` of them, the oldest dropped first: `take` finds one
 * (and removes it) for a refund or a late fact, which would otherwise read the payment's stream back from the log.
 *
 * Two generations of a Map rather than an LRU cache (lru-cache): an entry leaves on its first look-up, so only
 * the bound matters, not recency. Nor one Map whose first key is deleted at each insert: V8 leaves a hole for
 * every deleted entry until it rehashes, and finding the first key walks them all (3.4 s over two folds of a
 * 1M-event log).
 */
export class LatelyEnded<Facts extends PaymentFacts = PaymentFacts> {
  private young = new Map<string, Facts>();
  private old = new Map<string, Facts>();

  constructor(private readonly limit: number) {}

  add(paymentId: string, facts: Facts): void {
    if (this.young.size >= this.limit / 2) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(paymentId, facts);
  }

  take(paymentId: string): Facts | undefined {
    const facts = this.young.get(paymentId) ?? this.old.get(paymentId);
    if (facts) {
      this.young.delete(paymentId);
      this.old.delete(paymentId);
    }
    return facts;
  }
}

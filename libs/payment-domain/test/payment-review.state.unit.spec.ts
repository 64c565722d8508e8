import type { PaymentEvent } from '@app/payment-domain';
import { flagged, resolved, reviewSettledAfter, unflagged, waitsForPerson } from '../src/payment/payment-review.state';
import { at, captured } from './payment-fixtures';

// The review's own fields, apart from which payments and refunds may carry them (the deciders' tests cover that).
const word = { by: 'back-office', note: 'Voided at Dintero', at: at(40) };
const flaggedAgain: PaymentEvent = {
  type: 'PaymentFlaggedForReview',
  data: { reason: 'outcome_unknown', since: at(20), at: at(50) },
};

describe('what a payment keeps of its review', () => {
  it('hands over anew without the word on the earlier flag, and keeps only the word of a resolution', () => {
    const handed = flagged({ flaggedForReviewAt: at(30), reviewResolved: word }, at(50));
    expect(handed).toEqual({ flaggedForReviewAt: at(50) });
    expect(waitsForPerson(handed)).toBe(true);
    // Its event names the flag it resolves too: the payment keeps the word alone.
    const resolution = { flaggedAt: at(50), ...word };
    const said = resolved(handed, resolution);
    expect(said).toEqual({ flaggedForReviewAt: at(50), reviewResolved: word });
    expect(waitsForPerson(said)).toBe(false);
    expect(unflagged({ ...said, refundId: 'r-1' })).toEqual({ refundId: 'r-1' });
  });

  it('keeps a flag Dintero cleared as settled, with the word on it and when', () => {
    const stood = { flaggedForReviewAt: at(30), reviewResolved: word };
    expect(reviewSettledAfter(undefined, stood, {}, captured)).toEqual({
      flaggedAt: at(30),
      resolved: word,
      at: at(20),
    });
    expect(reviewSettledAfter(undefined, { flaggedForReviewAt: at(30) }, {}, captured)).toEqual({
      flaggedAt: at(30),
      at: at(20),
    });
  });

  it('forgets the settled flag when one is recorded anew, and keeps it otherwise', () => {
    const kept = { flaggedAt: at(30), at: at(35) };
    expect(reviewSettledAfter(kept, {}, { flaggedForReviewAt: at(50) }, flaggedAgain)).toBeUndefined();
    // A resolution keeps the flag it resolves: nothing is settled by it.
    const stands = { flaggedForReviewAt: at(50) };
    expect(reviewSettledAfter(kept, stands, { ...stands, reviewResolved: word }, captured)).toBe(kept);
    expect(reviewSettledAfter(kept, {}, {}, captured)).toBe(kept);
  });
});

import {
  PAYMENT_AFTER_END_EVENTS,
  PAYMENT_ENDING_EVENTS,
  PAYMENT_REVIEW_EVENTS,
  isReviewEvent,
  reviewSaysEnded,
} from '@app/payment-domain';

describe('what an event tells a reader of the payment’s end', () => {
  it('says a refund’s review comes of a payment that ended, to any reader', () => {
    for (const type of ['RefundFlaggedForReview', 'RefundReviewResolved'] as const)
      for (const forgotten of [false, true]) expect([type, reviewSaysEnded(type, { forgotten })]).toEqual([type, true]);
  });

  it('says the payment’s own review comes of a payment that ended only to a reader that had forgotten it', () => {
    // An open payment is handed over too (its outcome in doubt): a reader that holds it knows better.
    for (const type of ['PaymentFlaggedForReview', 'PaymentReviewResolved'] as const) {
      expect([type, reviewSaysEnded(type, { forgotten: false })]).toEqual([type, false]);
      expect([type, reviewSaysEnded(type, { forgotten: true })]).toEqual([type, true]);
    }
  });

  it('tells the review events from money after the end and from an end', () => {
    expect(PAYMENT_REVIEW_EVENTS.filter(isReviewEvent)).toEqual(PAYMENT_REVIEW_EVENTS);
    // Each reader handles an event by one of the three lists: none is in two.
    const others: readonly string[] = [...PAYMENT_AFTER_END_EVENTS, ...PAYMENT_ENDING_EVENTS];
    expect(others.filter(isReviewEvent)).toEqual([]);
    expect(isReviewEvent('RefundRequested')).toBe(false);
  });
});

import type { PaymentEvent } from './payment.events';

/**
 * What the payment's state keeps about reviews, and how events fold into it: a payment or a refund handed to a person
 * (flagged), that person's word on it (resolved), and the payment's own review that Dintero's word ended (settled).
 * Which payments and refunds may be under review at all is for `payment.queries.ts` to say, from their statuses
 * (`mayBeReviewed`, `paymentUnderReview`, `refundUnderReview`): this file knows only the review's own fields, so that
 * the state's files (its types, its queries, its fold) import it and not the other way round.
 */

/**
 * A person's word that a review was dealt with (`PaymentReviewResolved`, `RefundReviewResolved`): kept while the flag
 * it resolved stands, so that the same cause is not handed over again and the same word twice records it once.
 */
export interface ReviewResolution {
  readonly by: string;
  readonly note: string;
  readonly at: string;
}

/**
 * A word a person gave on a review, with the flag it resolved (`flaggedAt`): unlike `reviewResolved`, kept when that
 * flag goes (handed over anew, Dintero's word, a capture), so that the same word sent again without naming a flag, a
 * retry whose first answer was lost, is refused on a flag recorded since rather than resolving it unseen.
 */
export interface GivenWord extends ReviewResolution {
  readonly flaggedAt: string;
}

/**
 * What a payment or a refund keeps of the words given on its reviews: the latest of each person and note, earliest
 * first. Not the last word alone: with flag 1 resolved by word A, flag 2 by word B, a late retry of A then found only
 * B kept and resolved flag 3 unseen. One a person and note (a retry is told by them), so bounded by the words given.
 */
export interface ReviewWords {
  readonly words?: readonly GivenWord[];
}

/**
 * The payment's own review that Dintero's word ended (a capture, its outcome told again, the payment ended, a further
 * capture booked): the flag it cleared, with a person's word on it, if any. Why the payment is no longer under review,
 * once the flag and the word are gone from it.
 */
export interface ReviewSettled {
  /** The `at` of the `PaymentFlaggedForReview` that stood. */
  readonly flaggedAt: string;
  readonly resolved?: ReviewResolution;
  /** When the event that ended it was recorded (absent for one without a time). */
  readonly at?: string;
}

/**
 * What a payment (open or captured) or a refund keeps about its own review; `{}` for one that cannot be under review.
 * Each keeps these fields under its own doc, which says what its flag is for.
 */
export interface ReviewFlag {
  /** When it was handed to a person. */
  readonly flaggedForReviewAt?: string;
  /** That person's word on it. */
  readonly reviewResolved?: ReviewResolution;
}

/** Handed over and not resolved since: a person is waited for, unless what it was handed over for is settled. */
export const waitsForPerson = (review: ReviewFlag): boolean =>
  review.flaggedForReviewAt !== undefined && review.reviewResolved === undefined;

/** Handed to a person (anew) at `at`: a resolution of an earlier flag is no longer the word on it. */
export function flagged<Of extends ReviewFlag>(
  of: Of,
  at: string,
): Omit<Of, 'reviewResolved'> & { readonly flaggedForReviewAt: string } {
  const { reviewResolved: _resolved, ...rest } = of;
  return { ...rest, flaggedForReviewAt: at };
}

/** A person's word on the review, taken from its event (which names more than the word). */
export const resolved = <Of extends ReviewFlag>(of: Of, { by, note, at }: ReviewResolution): Of => ({
  ...of,
  reviewResolved: { by, note, at },
});

/**
 * A word given on its reviews, taken from its resolution's event, whatever else it keeps: the latest of its person and
 * note, which replaces an earlier one of theirs.
 */
export const saidWord = <Of extends ReviewWords>(of: Of, { flaggedAt, by, note, at }: GivenWord): Of => ({
  ...of,
  words: [...(of.words ?? []).filter((word) => word.by !== by || word.note !== note), { flaggedAt, by, note, at }],
});

/** The latest word `by` gave with `note` on any of its reviews, if they gave it. */
export const wordGiven = ({ words }: ReviewWords, by: string, note: string): GivenWord | undefined =>
  words?.find((word) => word.by === by && word.note === note);

/** No longer handed over, and no word on it: what it was handed over for is settled, or is to be followed anew. */
export function unflagged<Of extends ReviewFlag>(of: Of): Omit<Of, keyof ReviewFlag> {
  const { flaggedForReviewAt: _flagged, reviewResolved: _resolved, ...rest } = of;
  return rest;
}

/**
 * What the payment keeps of its own review that Dintero's word ended (`reviewSettled`), once `event` turned that review
 * from `before` to `after`. A flag that stood and is gone was cleared by Dintero's word (only that clears one: a
 * resolution keeps the flag), and is kept with the person's word on it and when the event was recorded, so that a
 * person's word sent again is told why nothing waits for them. A flag recorded anew forgets the one kept. Anything
 * else keeps `kept`.
 */
export function reviewSettledAfter(
  kept: ReviewSettled | undefined,
  before: ReviewFlag,
  after: ReviewFlag,
  event: PaymentEvent,
): ReviewSettled | undefined {
  const stood = before.flaggedForReviewAt;
  const stands = after.flaggedForReviewAt;
  if (stands !== undefined) return stands === stood ? kept : undefined;
  if (stood === undefined) return kept;
  const resolution = before.reviewResolved === undefined ? {} : { resolved: before.reviewResolved };
  const at = 'at' in event.data ? { at: event.data.at } : {};
  return { flaggedAt: stood, ...resolution, ...at };
}

import { DomainError } from '../shared/domain-error';
import { instantOf, requireInstant, requireText } from '../shared/validation';
import { MAX_NOTE_LENGTH, type PaymentCommand } from './payment.commands';
import type { PaymentEvent } from './payment.events';
import {
  existingPayment,
  mayBeReviewed,
  paymentUnderReview,
  refundFollowed,
  refundOf,
  refundUnderReview,
} from './payment.queries';
import type { PaymentState, Refund } from './payment.state';
import { wordGiven, type ReviewFlag, type ReviewResolution, type ReviewWords } from './payment-review.state';

type ResolveReview = Extract<PaymentCommand, { type: 'ResolveReview' }>['data'];

/** The same word again (a retry): recorded once. */
const sameWord = (resolved: ReviewResolution | undefined, { by, note }: ResolveReview): boolean =>
  resolved !== undefined && resolved.by === by && resolved.note === note;

/**
 * A person says they dealt with the payment's review, or its refund's: recorded once, while it is under review (handed
 * over, not resolved, not settled by Dintero); the same word again changes nothing. Anything else is refused
 * (`NOT_UNDER_REVIEW`): nothing waits for a person there. The same word again once it was handed over anew, naming no
 * flag, is refused too (`REVIEW_CHANGED`): it was about the flag before.
 */
export function resolveReview(data: ResolveReview, state: PaymentState): PaymentEvent[] {
  const payment = existingPayment(state);
  const { refundId, flaggedAt, by, note, at } = data;
  if (refundId !== undefined) requireText(refundId, 'refundId', 100);
  if (flaggedAt !== undefined) requireInstant(flaggedAt, 'flaggedAt');
  requireText(by, 'by', 100);
  requireText(note, 'note', MAX_NOTE_LENGTH);
  requireInstant(at, 'at');
  const { paymentId } = payment;
  if (refundId !== undefined) {
    const refund = refundOf(payment, refundId);
    if (!refund)
      throw new DomainError('UNKNOWN_REFUND', `Payment ${paymentId} has no refund ${refundId}`, { refundId });
    assertTheFlagNamed(refund.flaggedForReviewAt, flaggedAt, { paymentId, refundId });
    assertNoEarlierWord(refund, data, { paymentId, refundId });
    if (sameWord(refund.reviewResolved, data)) return [];
    if (!refundUnderReview(refund) || refund.flaggedForReviewAt === undefined)
      throw refundNotUnderReview(paymentId, refund, note);
    const flagged = refund.flaggedForReviewAt;
    return [{ type: 'RefundReviewResolved', data: { refundId, flaggedAt: flagged, by, note, at } }];
  }
  const flagged = mayBeReviewed(payment) ? payment : undefined;
  assertTheFlagNamed(flagged?.flaggedForReviewAt, flaggedAt, { paymentId });
  if (flagged) assertNoEarlierWord(flagged, data, { paymentId });
  if (sameWord(flagged?.reviewResolved, data)) return [];
  if (!paymentUnderReview(payment) || flagged?.flaggedForReviewAt === undefined)
    throw paymentNotUnderReview(payment, note);
  return [{ type: 'PaymentReviewResolved', data: { flaggedAt: flagged.flaggedForReviewAt, by, note, at } }];
}

/**
 * The flag a person names (`flaggedAt`) is the one standing: another, recorded since they looked (a new cause, which
 * cleared their earlier word), is refused (`REVIEW_CHANGED`), so that a retry whose first answer was lost never
 * resolves a flag nobody has seen. Naming none resolves whichever stands, unless the word is the last one given, on an
 * earlier flag (`assertNoEarlierWord`); with none standing, `NOT_UNDER_REVIEW`.
 */
function assertTheFlagNamed(
  standing: string | undefined,
  named: string | undefined,
  details: Record<string, string>,
): void {
  // As instants: `…:00Z` names the flag recorded `…:00.000Z`.
  if (named === undefined || standing === undefined || instantOf(standing) === instantOf(named)) return;
  throw new DomainError(
    'REVIEW_CHANGED',
    `The review flagged at ${named} is no longer the one standing: it was handed over again at ${standing}, look at ` +
      'it first',
    { ...details, flaggedAt: named, standing },
  );
}

/**
 * A word naming no flag that was given before (same `by`, same `note`; the latest time they gave it), recorded on an earlier flag than the one
 * standing: a retry whose first answer was lost, after the payment or refund was handed over again (a new cause, or a
 * flag again after Dintero's word settled the one resolved). Refused (`REVIEW_CHANGED`) as if it had named the flag its
 * word was on: nobody has looked at the one standing. Named (`flaggedAt`), the same word resolves it.
 */
function assertNoEarlierWord(
  review: ReviewFlag & ReviewWords,
  { flaggedAt, by, note }: ResolveReview,
  details: Record<string, string>,
): void {
  const standing = review.flaggedForReviewAt;
  if (flaggedAt !== undefined || standing === undefined) return;
  const given = wordGiven(review, by, note);
  if (given === undefined || instantOf(given.flaggedAt) === instantOf(standing)) return;
  throw new DomainError(
    'REVIEW_CHANGED',
    `The same word by ${by} was recorded at ${given.at} on the review flagged at ${given.flaggedAt}; it was ` +
      `handed over again at ${standing}: look at it, and name flaggedAt to resolve it`,
    { ...details, flaggedAt: given.flaggedAt, standing },
  );
}

/**
 * Why nothing of the payment itself waits for a person, in words true of it (`NOT_UNDER_REVIEW`): resolved already with
 * another word; handed over, then Dintero's word (a capture, its outcome told again, the payment ended, a further
 * capture booked) cleared the flag and any word on it, so that a retry whose first answer was lost is told its word
 * stays on the log; or never handed over.
 */
function paymentNotUnderReview(payment: Exclude<PaymentState, { status: 'none' }>, note: string): DomainError {
  const { paymentId, status, reviewSettled } = payment;
  const flagged = mayBeReviewed(payment) ? payment : undefined;
  const resolved = flagged?.reviewResolved;
  if (flagged?.flaggedForReviewAt !== undefined && resolved !== undefined)
    return notUnderReview(
      `Payment ${paymentId} is not under review: resolved already, by ${resolved.by} at ${resolved.at}, ${withNote(resolved, note)}`,
      { paymentId, flaggedAt: flagged.flaggedForReviewAt },
    );
  if (reviewSettled !== undefined) {
    const { flaggedAt, at, resolved: word } = reviewSettled;
    return notUnderReview(
      // `at` is when Dintero's word ended the review: the payment may have moved on since (authorised, then captured).
      `Payment ${paymentId} is no longer under review: Dintero told how it stands${at === undefined ? '' : ` at ${at}`}, ` +
        `since it was handed over at ${flaggedAt}; it is ${status} now` +
        (word === undefined ? '' : `; the resolution by ${word.by} at ${word.at} stays on the log`),
      { paymentId, flaggedAt, paymentStatus: status },
    );
  }
  return notUnderReview(`Payment ${paymentId} is not under review: it was never handed to a person`, { paymentId });
}

/** Why a refund's review waits for no one, as `paymentNotUnderReview` says it of the payment's. */
function refundNotUnderReview(paymentId: string, refund: Refund, note: string): DomainError {
  const { refundId, flaggedForReviewAt, reviewResolved, acceptedLateAt, status } = refund;
  const of = `Refund ${refundId} of payment ${paymentId}`;
  const details = { paymentId, refundId };
  if (flaggedForReviewAt !== undefined && reviewResolved !== undefined)
    return notUnderReview(
      `${of} is not under review: resolved already, by ${reviewResolved.by} at ${reviewResolved.at}, ${withNote(reviewResolved, note)}`,
      { ...details, flaggedAt: flaggedForReviewAt },
    );
  if (flaggedForReviewAt !== undefined)
    return notUnderReview(`${of} is no longer under review: Dintero told its outcome (${status}) since`, {
      ...details,
      flaggedAt: flaggedForReviewAt,
    });
  // Taken late (the flag and any word went with it), then perhaps finished: followed anew only while Dintero has not.
  if (acceptedLateAt !== undefined && refundFollowed(refund))
    return notUnderReview(
      `${of} is not under review: Dintero took it late (recorded at ${acceptedLateAt}); it is followed anew, and ` +
        'handed to a person should Dintero never finish it',
      details,
    );
  if (acceptedLateAt !== undefined)
    return notUnderReview(
      `${of} is not under review: Dintero took it late (recorded at ${acceptedLateAt}) and told its outcome ` +
        `(${status}) since`,
      details,
    );
  return notUnderReview(`${of} is not under review: it was never handed to a person`, details);
}

/** The note of a resolution against the one sent: another person's same words are refused too, but are not another note. */
const withNote = (resolved: ReviewResolution, note: string): string =>
  resolved.note === note ? 'with the same note' : 'with another note';

const notUnderReview = (message: string, details: Record<string, string>) =>
  new DomainError('NOT_UNDER_REVIEW', message, details);

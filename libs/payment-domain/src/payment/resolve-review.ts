import { DomainError } from '../shared/domain-error';
import { requireInstant, requireText } from '../shared/validation';
import { MAX_NOTE_LENGTH, type PaymentCommand } from './payment.commands';
import type { PaymentEvent } from './payment.events';
import {
  existingPayment,
  isOpen,
  paymentUnderReview,
  refundOf,
  refundUnderReview,
  type PaymentState,
  type ReviewResolution,
} from './payment.state';

type ResolveReview = Extract<PaymentCommand, { type: 'ResolveReview' }>['data'];

/** The same word again (a retry): recorded once. */
const sameWord = (resolved: ReviewResolution | undefined, { by, note }: ResolveReview): boolean =>
  resolved !== undefined && resolved.by === by && resolved.note === note;

/**
 * A person says they dealt with the payment's review, or its refund's: recorded once, while it is under review (handed
 * over, not resolved, not settled by Dintero); the same word again changes nothing. Anything else is refused
 * (`NOT_UNDER_REVIEW`): nothing waits for a person there.
 */
export function resolveReview(data: ResolveReview, state: PaymentState): PaymentEvent[] {
  const payment = existingPayment(state);
  const { refundId, by, note, at } = data;
  if (refundId !== undefined) requireText(refundId, 'refundId', 100);
  requireText(by, 'by', 100);
  requireText(note, 'note', MAX_NOTE_LENGTH);
  requireInstant(at, 'at');
  const { paymentId } = payment;
  if (refundId !== undefined) {
    const refund = refundOf(payment, refundId);
    if (!refund)
      throw new DomainError('UNKNOWN_REFUND', `Payment ${paymentId} has no refund ${refundId}`, { refundId });
    if (sameWord(refund.reviewResolved, data)) return [];
    if (!refundUnderReview(refund) || refund.flaggedForReviewAt === undefined)
      throw notUnderReview(`Refund ${refundId} of payment ${paymentId} is not under review`, { paymentId, refundId });
    const flaggedAt = refund.flaggedForReviewAt;
    return [{ type: 'RefundReviewResolved', data: { refundId, flaggedAt, by, note, at } }];
  }
  const flagged = isOpen(payment) || payment.status === 'captured' ? payment : undefined;
  if (sameWord(flagged?.reviewResolved, data)) return [];
  if (!paymentUnderReview(payment) || flagged?.flaggedForReviewAt === undefined)
    throw notUnderReview(`Payment ${paymentId} is not under review`, { paymentId });
  return [{ type: 'PaymentReviewResolved', data: { flaggedAt: flagged.flaggedForReviewAt, by, note, at } }];
}

const notUnderReview = (message: string, details: Record<string, string>) =>
  new DomainError('NOT_UNDER_REVIEW', `${message}: nothing waits for a person there`, details);

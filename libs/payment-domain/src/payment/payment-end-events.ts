import type { EndedStatus } from './payment.state';
import type { PaymentEvent } from './payment.events';

/**
 * The events that end a payment (whatever it ended as): its terminal claim may then be released, and the
 * reconciler and the read models stop following it. One list, so that a new ending cannot be missed.
 */
export const PAYMENT_ENDING_EVENTS = [
  'PaymentCaptured',
  'PaymentDeclined',
  'PaymentFailed',
  'PaymentCancelled',
  'PaymentExpired',
  'PaymentVoided',
  'SessionCreationRejected',
] as const satisfies readonly PaymentEvent['type'][];

export type PaymentEndingEvent = (typeof PAYMENT_ENDING_EVENTS)[number];

export const endsPayment = (type: string): type is PaymentEndingEvent =>
  (PAYMENT_ENDING_EVENTS as readonly string[]).includes(type);

/**
 * The events a payment has only once it has ended (captured): money that moved after it was booked, and refunds.
 * One that meets a payment a reader has forgotten says it had ended. (`RefundAccepted` may come after its refund
 * failed for Dintero's silence, when readers have let the payment go.)
 */
export const PAYMENT_AFTER_END_EVENTS = [
  'FurtherCaptureRecorded',
  'LateCaptureRecorded',
  'LateRefundRecorded',
  'ExternalRefundRecorded',
  'RefundRequested',
  'RefundAccepted',
] as const satisfies readonly PaymentEvent['type'][];

export const followsPaymentEnd = (type: string): type is (typeof PAYMENT_AFTER_END_EVENTS)[number] =>
  (PAYMENT_AFTER_END_EVENTS as readonly string[]).includes(type);

/**
 * The review events: a doubt about the payment or one of its refunds handed to a person, or a person's word that it
 * was dealt with. No money, and not only after the end, but they may come after it, to a payment a reader has let go
 * as ended, and bring it back: read, it may be let go again, as after `followsPaymentEnd`'s. What one says of the end
 * (`reviewSaysEnded`) depends on whose review it is:
 * - a refund's (`RefundFlaggedForReview`, `RefundReviewResolved`): the payment has ended, to any reader, since only a
 *   payment that has ended has refunds;
 * - the payment's own (`PaymentFlaggedForReview`, `PaymentReviewResolved`): nothing by itself, as an open payment
 *   (its outcome in doubt) is handed over too, and a captured one (a further capture it cannot book). Only to a
 *   reader that had forgotten the payment does it say it had ended: readers forget only payments that ended.
 */
export const PAYMENT_REVIEW_EVENTS = [
  'PaymentFlaggedForReview',
  'PaymentReviewResolved',
  'RefundFlaggedForReview',
  'RefundReviewResolved',
] as const satisfies readonly PaymentEvent['type'][];

export type PaymentReviewEvent = (typeof PAYMENT_REVIEW_EVENTS)[number];

export const isReviewEvent = (type: string): type is PaymentReviewEvent =>
  (PAYMENT_REVIEW_EVENTS as readonly string[]).includes(type);

/** Whether a review event says the payment has ended, to a reader that had `forgotten` it or not. */
export const reviewSaysEnded = (type: PaymentReviewEvent, { forgotten }: { forgotten: boolean }): boolean =>
  forgotten || type === 'RefundFlaggedForReview' || type === 'RefundReviewResolved';

/** What each ending event ends the payment as: the status the state, the read models and the feed agree on. */
export const PAYMENT_ENDED_AS: Readonly<Record<PaymentEndingEvent, 'captured' | EndedStatus>> = {
  PaymentCaptured: 'captured',
  PaymentDeclined: 'declined',
  PaymentFailed: 'failed',
  PaymentCancelled: 'cancelled',
  PaymentExpired: 'expired',
  PaymentVoided: 'voided',
  SessionCreationRejected: 'rejected',
};

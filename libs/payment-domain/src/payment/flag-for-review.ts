import { isBefore, requireText } from '../shared/validation';
import { MAX_PROBLEM_LENGTH, type PaymentCommand } from './payment.commands';
import type { PaymentEvent } from './payment.events';
import { existingPayment, isOpen, refundCurrencyOf, refundSettled, refundUnfinishedAtDintero } from './payment.queries';
import type { PaymentState } from './payment.state';
import { existingRefund } from './payment-refunds';

/*
 * The reconciler hands a payment, or one of its refunds, to a person, once: when Dintero's word did not settle it in
 * time, or cannot.
 */

type Of<Type extends PaymentCommand['type']> = Extract<PaymentCommand, { type: Type }>['data'];

/**
 * Hands an open payment to a person, once: one whose transaction Dintero calls UNKNOWN, or one whose session is
 * over while its transaction is still on its way (initiated, on hold, authorised). Any other payment is left as it
 * is: the deadline is the reconciler's to keep, the decision the domain's.
 */
export function flagForReview({ at, problem }: Of<'FlagForReview'>, state: PaymentState): PaymentEvent[] {
  const payment = existingPayment(state);
  if (!isOpen(payment) || payment.flaggedForReviewAt !== undefined) return [];
  const transaction = payment.transactionId ? { transactionId: payment.transactionId } : {};
  if (problem !== undefined) {
    requireText(problem, 'problem', MAX_PROBLEM_LENGTH);
    // Before its session is over, a payment may yet be settled by Dintero's own report.
    if (isBefore(at, payment.expiresAt)) return [];
    return [
      {
        type: 'PaymentFlaggedForReview',
        data: { reason: 'not_settleable', ...transaction, since: payment.expiresAt, problem, at },
      },
    ];
  }
  if (payment.status === 'outcome_unknown') {
    if (payment.unknownSince === undefined) return [];
    return [
      {
        type: 'PaymentFlaggedForReview',
        data: { reason: 'outcome_unknown', ...transaction, since: payment.unknownSince, at },
      },
    ];
  }
  if (payment.transactionId === undefined || isBefore(at, payment.expiresAt)) return [];
  return [
    {
      type: 'PaymentFlaggedForReview',
      data: { reason: 'not_final', ...transaction, since: payment.expiresAt, at },
    },
  ];
}

/**
 * Hands a refund without an outcome to a person, once: one Dintero accepted and has not finished, or, with
 * `problem`, one the reconciler cannot settle. A refund with an outcome, or pending or unknown without a problem
 * (the reconciler settles those itself once its wait is over), is left as it is; when is the reconciler's to say.
 */
export function flagRefundForReview(
  { refundId, at, problem }: Of<'FlagRefundForReview'>,
  state: PaymentState,
): PaymentEvent[] {
  const refund = existingRefund(state, refundId);
  // One Dintero may yet make, after it was failed for its silence, is handed over as one Dintero has not finished.
  const unfinished = refundUnfinishedAtDintero(refund);
  if ((refundSettled(refund) && !unfinished) || refund.flaggedForReviewAt !== undefined) return [];
  if (problem === undefined && !unfinished) return [];
  if (problem !== undefined) requireText(problem, 'problem', MAX_PROBLEM_LENGTH);
  return [
    {
      type: 'RefundFlaggedForReview',
      data: {
        refundId,
        amount: refund.amount,
        currency: refundCurrencyOf(existingPayment(state), refund),
        terminalId: refund.terminalId,
        reason: problem === undefined ? 'not_final' : 'not_settleable',
        since: refund.requestedAt,
        ...(problem === undefined ? {} : { problem }),
        at,
      },
    },
  ];
}

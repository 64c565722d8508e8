import { DomainError } from '../shared/domain-error';
import { ownEntry } from '../shared/own-entry';
import { waitsForPerson } from './payment-review.state';
import type { CapturedPayment, EndedOrCapturedPayment, OpenPayment, PaymentState, Refund } from './payment.state';

/*
 * What the payment's state tells: whether it is open, what it captured late, its refunds and what is left to refund
 * of it, the claims it ends and the reviews that wait for a person.
 */

/** The payment, or PAYMENT_NOT_FOUND (naming it when its id is given). */
export function existingPayment(state: PaymentState, paymentId?: string): Exclude<PaymentState, { status: 'none' }> {
  if (state.status !== 'none') return state;
  if (paymentId === undefined) throw new DomainError('PAYMENT_NOT_FOUND', 'No such payment');
  throw new DomainError('PAYMENT_NOT_FOUND', `Payment ${paymentId} not found`, { paymentId });
}

export const isOpen = (state: PaymentState): state is OpenPayment =>
  state.status === 'requested' ||
  state.status === 'awaiting_card' ||
  state.status === 'outcome_unknown' ||
  state.status === 'on_hold' ||
  state.status === 'authorized';

/**
 * Whether the payment can be under review itself: an open one (its outcome in doubt) or a captured one (a further
 * capture it cannot book). Ended payments are not handed over.
 */
export const mayBeReviewed = (state: PaymentState): state is OpenPayment | CapturedPayment =>
  isOpen(state) || state.status === 'captured';

/** What the payment has recorded as captured late on this transaction: 0 when nothing. */
export const lateCapturedOf = (state: Exclude<PaymentState, { status: 'none' }>, transactionId: string): number =>
  ownEntry(state.lateCaptured, transactionId) ?? 0;

/**
 * The currency of what this transaction captured late: its own, recorded with it, which need not be the payment's
 * (Dintero captured what the terminal took). The payment's for a transaction of the same currency, or none.
 */
export const lateCurrencyOf = (state: Exclude<PaymentState, { status: 'none' }>, transactionId: string): string =>
  ownEntry(state.lateCapturedCurrencies ?? {}, transactionId) ?? state.currency;

/** The currency a refund gives money back in: that of the late capture it gives back from, or the payment's. */
export const refundCurrencyOf = (state: Exclude<PaymentState, { status: 'none' }>, refund: Refund): string =>
  refund.transactionId === undefined ? state.currency : lateCurrencyOf(state, refund.transactionId);

/**
 * What a refund naming `named` (or no transaction) would give money back from: the sale (`{}`), a transaction captured
 * late (`{ transactionId }`: the one named, or a payment's only one when it ended without a sale), or nothing the
 * payment has (`undefined`; `late` lists its late captures).
 */
export function refundedSourceOf(
  payment: Exclude<PaymentState, { status: 'none' }>,
  named: string | undefined,
): { transactionId?: string } | undefined {
  if (payment.status === 'captured' && (named === undefined || named === payment.transactionId)) return {};
  const late = Object.keys(payment.lateCaptured);
  const transactionId = named ?? (late.length === 1 ? late[0] : undefined);
  return transactionId !== undefined && lateCapturedOf(payment, transactionId) > 0 ? { transactionId } : undefined;
}

/** What Dintero shows refunded of this late-captured transaction by no refund of ours: 0 when nothing. */
export const lateRefundedElsewhereOf = (
  state: Exclude<PaymentState, { status: 'none' }>,
  transactionId: string,
): number => ownEntry(state.lateRefundedElsewhere ?? {}, transactionId) ?? 0;

/** The payment's refunds, of its sale and of its late captures: none while it is open. */
export const refundsOf = (state: PaymentState): Readonly<Record<string, Refund>> =>
  state.status === 'none' || isOpen(state) ? {} : state.refunds;

/** The payment's refund of this id, if it has one. */
export const refundOf = (state: PaymentState, refundId: string): Refund | undefined =>
  ownEntry(refundsOf(state), refundId);

/** The terminal as Dintero names it, for a payment or a refund: its mapped id, or its own. */
export const dinteroTerminalOf = (of: { readonly terminalId: string; readonly dinteroTerminalId?: string }): string =>
  of.dinteroTerminalId ?? of.terminalId;

/**
 * Whether the payment's own review waits for a person: handed over, not resolved since, and not settled by Dintero
 * (what settles it clears the flag). A refund's review is `refundUnderReview`.
 */
export const paymentUnderReview = (state: PaymentState): boolean => mayBeReviewed(state) && waitsForPerson(state);

/** Whether a refund's review waits for a person: handed over, not resolved since, and still without an outcome. */
export const refundUnderReview = (refund: Refund): boolean => waitsForPerson(refund) && refundFollowed(refund);

/** A refund whose outcome is known; pending, accepted and unknown ones are still open. */
export const refundSettled = (refund: Refund): boolean => refund.status === 'succeeded' || refund.status === 'failed';

/**
 * A refund failed for Dintero's silence that Dintero then took (202): its outcome stays failed, but Dintero may yet
 * make it, and that is still to be found (`LateRefundRecorded`).
 */
export const refundMayYetBeMade = (refund: Refund): boolean =>
  refund.status === 'failed' && refund.noTrace === true && refund.dinteroRequestId !== undefined;

/**
 * A refund Dintero took (202) and has not finished: accepted, or taken after it was failed for Dintero's silence.
 * Dintero is asked about it until it says, it is never failed for silence again, and a person is handed it if it
 * stays so.
 */
export const refundUnfinishedAtDintero = (refund: Refund): boolean =>
  refund.status === 'accepted' || refundMayYetBeMade(refund);

/** Whether Dintero is still to be asked about a refund: without an outcome, or one it may yet make. */
export const refundFollowed = (refund: Refund): boolean => !refundSettled(refund) || refundMayYetBeMade(refund);

/**
 * The terminal claims this payment no longer needs: its own once it has ended, and each refund's once the
 * refund's outcome is known. (A refund whose outcome is unknown keeps its terminal: the cardholder may
 * still be at it.) One answer for every path that releases.
 */
export function endedClaims(state: PaymentState): { terminalId: string; claimId: string }[] {
  if (state.status === 'none') return [];
  const claims = isOpen(state) ? [] : [{ terminalId: state.terminalId, claimId: state.claimId }];
  for (const refund of Object.values(refundsOf(state)))
    if (refundSettled(refund)) claims.push({ terminalId: refund.terminalId, claimId: refund.claimId });
  return claims;
}

/** Every claim the payment knows of (its own and its refunds'), ended or not. */
export function knownClaims(state: PaymentState): Set<string> {
  if (state.status === 'none') return new Set();
  const claims = new Set([state.claimId]);
  for (const refund of Object.values(refundsOf(state))) claims.add(refund.claimId);
  return claims;
}

/** Whether a refund may still take or has taken money: not failed, or failed for a silence Dintero may overturn. */
const refundCommitted = (refund: Refund): boolean => refund.status !== 'failed' || refundMayYetBeMade(refund);

/**
 * Amount of the sale refunded or possibly being refunded: unknown outcomes count, so that we never refund twice, and
 * so does a refund failed for Dintero's silence that Dintero then took (202): it may yet be made at the terminal.
 * Refunds of late captures are not the sale's.
 */
export function committedRefunds(payment: CapturedPayment): number {
  return Object.values(payment.refunds)
    .filter((refund) => refund.transactionId === undefined && refundCommitted(refund))
    .reduce((sum, refund) => sum + refund.amount, payment.refundedElsewhere ?? 0);
}

/**
 * What is left to give back of a transaction captured late: what it captured late, less our refunds of it that took
 * or may take money (counted as the sale's are, so that it is never refunded twice) and what Dintero shows refunded
 * of it by none of ours (its Backoffice). 0 when it captured nothing late, and never below.
 */
export function lateRefundableAmount(payment: EndedOrCapturedPayment, transactionId: string): number {
  const committed = Object.values(payment.refunds)
    .filter((refund) => refund.transactionId === transactionId && refundCommitted(refund))
    .reduce((sum, refund) => sum + refund.amount, lateRefundedElsewhereOf(payment, transactionId));
  return Math.max(0, lateCapturedOf(payment, transactionId) - committed);
}

/** The transaction a refund is sent to Dintero against: its late-captured one, or the payment's own. */
export const refundTransactionOf = (payment: { readonly transactionId?: string }, refund: Refund): string | undefined =>
  refund.transactionId ?? payment.transactionId;

/**
 * What is left to refund: never below 0, even when a refund failed for Dintero's silence was made after all
 * (`LateRefundRecorded`) after the POS had refunded the sale again, and more went back than was captured.
 */
export const refundableAmount = (payment: CapturedPayment): number =>
  Math.max(0, payment.capturedAmount - committedRefunds(payment));

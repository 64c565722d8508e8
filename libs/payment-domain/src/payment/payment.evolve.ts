import type { CardSummary, PaymentEvent, TerminalReceipt } from './payment.events';
import { flagged, resolved, reviewSettledAfter, saidWord, unflagged, type ReviewFlag } from './payment-review.state';
import { isOpen, lateCapturedOf, mayBeReviewed, refundOf } from './payment.queries';
import type { EndedStatus, OpenPayment, PaymentCore, PaymentState, Refund } from './payment.state';

/* How each event folds into the payment's state (`evolvePayment`). */

function end(
  state: PaymentState,
  status: EndedStatus,
  at: string,
  fields: {
    transactionId?: string;
    reason?: string;
    card?: CardSummary;
    receipt?: TerminalReceipt;
    dinteroStatus?: number;
  },
): PaymentState {
  if (!isOpen(state)) return state;
  return { ...withoutOpenFields(state), ...fields, status, endedAt: at, refunds: {} };
}

/** An open payment whose outcome Dintero can tell again: no longer unknown, no longer waiting for a person. */
function knownAgain(state: OpenPayment): OpenPayment {
  const { unknownSince: _s, ...rest } = unflagged(state);
  return rest;
}

/** What an open payment keeps once it has ended, captured or not: everything but its open-only fields. */
function withoutOpenFields(state: OpenPayment): PaymentCore {
  const {
    cancellationRequested: _c,
    voidRequested: _v,
    unknownTransactions: _u,
    unknownSince: _s,
    flaggedForReviewAt: _f,
    reviewResolved: _r,
    status: _status,
    ...core
  } = state;
  return core;
}

/** The payment with this refund put in (new or changed): an open payment has no refunds, and is left as it is. */
function withRefund(state: PaymentState, refund: Refund): PaymentState {
  if (state.status === 'none' || isOpen(state)) return state;
  return { ...state, refunds: { ...state.refunds, [refund.refundId]: refund } };
}

function updateRefund(
  state: PaymentState,
  refundId: string,
  change: Pick<Refund, 'status'> & Partial<Refund>,
): PaymentState {
  const refund = refundOf(state, refundId);
  return refund ? withRefund(state, { ...refund, ...change }) : state;
}

/** A refund's receipt from its outcome's event; an event without one leaves the one recorded before. */
const receiptOf = (data: { receipt?: TerminalReceipt }) => (data.receipt ? { receipt: data.receipt } : {});

const finished = (data: { at: string; dinteroAt?: string }) => ({
  finishedAt: data.at,
  ...(data.dinteroAt ? { dinteroAt: data.dinteroAt } : {}),
});

export function evolvePayment(state: PaymentState, event: PaymentEvent): PaymentState {
  return withReviewSettled(state, evolveFacts(state, event), event);
}

/**
 * The payment after `event`, with what it keeps of its own review that Dintero's word ended (`reviewSettledAfter`
 * says what that is).
 */
function withReviewSettled(before: PaymentState, after: PaymentState, event: PaymentEvent): PaymentState {
  if (after.status === 'none') return after;
  const kept = after.reviewSettled;
  const settled = reviewSettledAfter(kept, ownReview(before), ownReview(after), event);
  if (settled === kept) return after;
  if (settled !== undefined) return { ...after, reviewSettled: settled };
  const { reviewSettled: _forgotten, ...forgot } = after;
  return forgot;
}

/** The payment's own review: none for one that cannot be under review (`mayBeReviewed`). */
const ownReview = (state: PaymentState): ReviewFlag => (mayBeReviewed(state) ? state : {});

function evolveFacts(state: PaymentState, event: PaymentEvent): PaymentState {
  switch (event.type) {
    case 'PaymentRequested': {
      const { items: _items, ...core } = event.data;
      return {
        ...core,
        status: 'requested',
        cancellationRequested: false,
        voidRequested: false,
        unknownTransactions: [],
        lateCaptured: {},
      };
    }
    case 'SessionCreated': {
      if (!isOpen(state)) return state;
      // A transaction Dintero reported first (on hold, authorised, its outcome unknown) is what the payment is now;
      // an unknown session creation is not, the session being known now.
      const told =
        state.status === 'on_hold' ||
        state.status === 'authorized' ||
        (state.status === 'outcome_unknown' && state.unknownSince !== undefined);
      return {
        ...state,
        status: told ? state.status : 'awaiting_card',
        sessionId: event.data.sessionId,
        expiresAt: event.data.expiresAt,
      };
    }
    case 'SessionCreationStarted':
      return isOpen(state) ? { ...state, sessionCreationStartedAt: event.data.at } : state;
    case 'SessionCreationOutcomeUnknown':
      return isOpen(state) ? { ...state, status: 'outcome_unknown' } : state;
    case 'SessionCreationRejected':
      return end(state, 'rejected', event.data.at, { reason: event.data.code, dinteroStatus: event.data.httpStatus });
    case 'CancellationRequested':
      return isOpen(state) ? { ...state, cancellationRequested: true } : state;
    case 'VoidRequested':
      return isOpen(state) ? { ...state, voidRequested: true } : state;
    case 'TransactionStarted':
      // A new transaction on the terminal: whatever was unknown about an earlier one, the card is in again.
      return isOpen(state)
        ? {
            ...knownAgain(state),
            ...(state.status === 'outcome_unknown' ? { status: 'awaiting_card' as const } : {}),
            transactionId: event.data.transactionId,
          }
        : state;
    case 'PaymentOnHold':
      return isOpen(state)
        ? { ...knownAgain(state), status: 'on_hold', transactionId: event.data.transactionId }
        : state;
    case 'TransactionOutcomeUnknown': {
      // Dintero cannot tell what happened to the card: a status the POS can act on, with the transaction.
      if (!isOpen(state)) return state;
      // Another transaction than the one a person resolved the review of (its start never told): a new doubt, handed
      // over anew once it lasts.
      const newDoubt = state.reviewResolved !== undefined && state.transactionId !== event.data.transactionId;
      const held = newDoubt ? knownAgain(state) : state;
      return {
        ...held,
        status: 'outcome_unknown',
        transactionId: event.data.transactionId,
        unknownTransactions: [...state.unknownTransactions, event.data.transactionId],
        unknownSince: held.unknownSince ?? event.data.at,
      };
    }
    case 'PaymentFlaggedForReview': {
      // Handed over anew: a resolution of an earlier flag is no longer the word on it.
      if (isOpen(state)) return flagged(state, event.data.at);
      if (state.status !== 'captured') return state;
      const { flaggedCapture: _c, ...captured } = flagged(state, event.data.at);
      const { capturedAmount } = event.data;
      return { ...captured, ...(capturedAmount === undefined ? {} : { flaggedCapture: capturedAmount }) };
    }
    case 'PaymentReviewResolved':
      return mayBeReviewed(state) ? saidWord(resolved(state, event.data), event.data) : state;
    case 'PaymentAuthorized':
      return isOpen(state)
        ? { ...knownAgain(state), status: 'authorized', transactionId: event.data.transactionId }
        : state;
    case 'PaymentCaptured': {
      if (!isOpen(state)) return state;
      return {
        ...withoutOpenFields(state),
        status: 'captured',
        transactionId: event.data.transactionId,
        capturedAmount: event.data.amount,
        capturedAt: event.data.at,
        refunds: {},
        ...(event.data.card ? { card: event.data.card } : {}),
        ...(event.data.receipt ? { receipt: event.data.receipt } : {}),
      };
    }
    case 'FurtherCaptureRecorded': {
      if (state.status !== 'captured' || state.transactionId !== event.data.transactionId) return state;
      // Booked: a further capture in another currency handed to a person before is settled, and one after it is
      // handed over again (`FlagUnbookableCapture`).
      const { flaggedCapture: _c, ...captured } = unflagged(state);
      return { ...captured, capturedAmount: event.data.capturedAmount };
    }
    case 'PaymentDeclined':
    case 'PaymentFailed':
      return end(state, event.type === 'PaymentDeclined' ? 'declined' : 'failed', event.data.at, {
        reason: event.data.reason,
        ...tx(event.data.transactionId),
        ...(event.data.card ? { card: event.data.card } : {}),
        ...(event.data.receipt ? { receipt: event.data.receipt } : {}),
      });
    case 'PaymentCancelled':
      return end(state, 'cancelled', event.data.at, {
        reason: `cancelled by ${event.data.by}`,
        ...tx(event.data.transactionId),
      });
    case 'PaymentExpired':
      return end(state, 'expired', event.data.at, {});
    case 'PaymentVoided':
      return end(state, 'voided', event.data.at, { transactionId: event.data.transactionId });
    case 'LateCaptureRecorded': {
      if (state.status === 'none') return state;
      const { transactionId, amount, currency } = event.data;
      // Its own currency, kept beside the amount when it is not the payment's: never added into the payment's money.
      const currencies =
        currency === state.currency
          ? {}
          : { lateCapturedCurrencies: { ...state.lateCapturedCurrencies, [transactionId]: currency } };
      return {
        ...state,
        lateCaptured: { ...state.lateCaptured, [transactionId]: lateCapturedOf(state, transactionId) + amount },
        ...currencies,
      };
    }
    case 'RefundRequested': {
      const { refundId, amount, transactionId, terminalId, dinteroTerminalId, claimId, at: requestedAt } = event.data;
      // Only a captured payment refunds its sale; one that ended otherwise, only what was captured late.
      if (state.status !== 'captured' && transactionId === undefined) return state;
      const late = transactionId === undefined ? {} : { transactionId };
      const dintero = dinteroTerminalId === undefined ? {} : { dinteroTerminalId };
      return withRefund(state, {
        refundId,
        amount,
        ...late,
        terminalId,
        ...dintero,
        claimId,
        status: 'pending',
        requestedAt,
      });
    }
    case 'RefundSucceeded':
      return updateRefund(state, event.data.refundId, {
        status: 'succeeded',
        ...finished(event.data),
        ...receiptOf(event.data),
      });
    case 'RefundFailed': {
      const refund = refundOf(state, event.data.refundId);
      if (!refund) return state;
      // Failed again by Dintero's own word, after it was failed for its silence: the silence's mark goes.
      const { noTrace: _noTrace, ...rest } = refund;
      const failed: Refund = {
        ...rest,
        status: 'failed',
        reason: event.data.reason,
        ...finished(event.data),
        ...(event.data.noTrace ? { noTrace: event.data.noTrace } : {}),
        ...receiptOf(event.data),
      };
      return withRefund(state, failed);
    }
    case 'LateRefundRecorded': {
      const refund = refundOf(state, event.data.refundId);
      if (!refund) return state;
      // Its failure's reason and mark go: it succeeded.
      const { reason: _reason, noTrace: _noTrace, ...rest } = refund;
      const succeeded: Refund = { ...rest, status: 'succeeded', ...finished(event.data), ...receiptOf(event.data) };
      return withRefund(state, succeeded);
    }
    case 'ExternalRefundRecorded': {
      const { transactionId, refundedElsewhere, lateCapture } = event.data;
      if (state.status === 'none' || isOpen(state)) return state;
      // Versions before `lateCapture` recorded refunds made elsewhere of the sale only, and never marked them.
      if (lateCapture !== true)
        return state.status === 'captured' ? { ...state, refundedElsewhere: refundedElsewhere } : state;
      return {
        ...state,
        lateRefundedElsewhere: { ...state.lateRefundedElsewhere, [transactionId]: refundedElsewhere },
      };
    }
    case 'RefundOutcomeUnknown':
      return updateRefund(state, event.data.refundId, { status: 'unknown', reason: event.data.reason });
    case 'RefundSubmitted': {
      const refund = refundOf(state, event.data.refundId);
      return refund
        ? updateRefund(state, refund.refundId, { status: refund.status, submittedAt: event.data.at })
        : state;
    }
    case 'RefundFlaggedForReview': {
      const refund = refundOf(state, event.data.refundId);
      return refund ? withRefund(state, flagged(refund, event.data.at)) : state;
    }
    case 'RefundReviewResolved': {
      const refund = refundOf(state, event.data.refundId);
      return refund ? withRefund(state, saidWord(resolved(refund, event.data), event.data)) : state;
    }
    case 'RefundAccepted': {
      const refund = refundOf(state, event.data.refundId);
      // Taken by Dintero late: after it was failed for Dintero's silence (the outcome stays failed), or, still without
      // an outcome, after a person resolved its review (it could not be settled, say). Either is followed anew, waited
      // for from now, and handed to a person anew should Dintero never finish it.
      const failed = refund?.status === 'failed';
      if (refund && (failed || (refund.reviewResolved !== undefined && refund.status !== 'accepted'))) {
        const taken: Refund = {
          ...unflagged(refund),
          ...(failed ? {} : { status: 'accepted' as const }),
          ...(event.data.requestId ? { dinteroRequestId: event.data.requestId } : {}),
          acceptedLateAt: event.data.at,
        };
        return withRefund(state, taken);
      }
      return updateRefund(state, event.data.refundId, {
        status: 'accepted',
        ...(event.data.requestId ? { dinteroRequestId: event.data.requestId } : {}),
      });
    }
  }
}

const tx = (transactionId: string | undefined) => (transactionId ? { transactionId } : {});

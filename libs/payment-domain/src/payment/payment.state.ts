import { DomainError } from '../shared/domain-error';
import type { CardSummary, PaymentEvent, PaymentRequestedData, TerminalReceipt } from './payment.events';
import { ownEntry } from '../shared/own-entry';
import {
  flagged,
  resolved,
  reviewSettledAfter,
  unflagged,
  waitsForPerson,
  type ReviewFlag,
  type ReviewResolution,
  type ReviewSettled,
} from './payment-review.state';

/** Statuses in which the payment may still end any way. */
export const OPEN_STATUSES = ['requested', 'awaiting_card', 'outcome_unknown', 'on_hold', 'authorized'] as const;
export type OpenStatus = (typeof OPEN_STATUSES)[number];
/** Statuses a payment ends in without money taken. */
export const ENDED_STATUSES = ['declined', 'failed', 'cancelled', 'expired', 'rejected', 'voided'] as const;
export type EndedStatus = (typeof ENDED_STATUSES)[number];
/** Every status a payment a POS can see may have. */
export const PAYMENT_STATUSES = [...OPEN_STATUSES, 'captured', ...ENDED_STATUSES] as const;
/**
 * `pending`: asked of Dintero, no answer yet; `accepted`: Dintero is doing it at the terminal (202);
 * `unknown`: Dintero did not answer; `succeeded` never changes, and `failed` only to `succeeded`, once, when Dintero
 * shows it made after all (`LateRefundRecorded`): failed for Dintero's silence (`noTrace`), or a failed try at the
 * terminal that a later one made good.
 */
export type RefundStatus = 'pending' | 'accepted' | 'succeeded' | 'failed' | 'unknown';

export interface Refund {
  readonly refundId: string;
  readonly amount: number;
  /**
   * The transaction it gives money back from, when that is one captured after the payment had ended (a late
   * capture); absent for a refund of the sale, the payment's own transaction.
   */
  readonly transactionId?: string;
  readonly terminalId: string;
  /** Dintero's id of the terminal, when it is not `terminalId`. */
  readonly dinteroTerminalId?: string;
  readonly claimId: string;
  readonly status: RefundStatus;
  /** When the POS asked for it: the reconciler waits a while before it takes Dintero's silence as a no. */
  readonly requestedAt: string;
  /** When it was sent to Dintero (a recovery point: never sent twice). */
  readonly submittedAt?: string;
  /** Dintero's `event-request-id` of an accepted refund: its result event's `correlation_request_id`. */
  readonly dinteroRequestId?: string;
  /** When the outcome was recorded, and when Dintero says it happened. */
  readonly finishedAt?: string;
  readonly dinteroAt?: string;
  /** Why it failed, or why its outcome is not known. */
  readonly reason?: string;
  /** Failed from Dintero's silence after it was sent: Dintero may still show it made. */
  readonly noTrace?: true;
  /** The terminal's references and receipts of the refund, recorded with its outcome when Dintero gave them. */
  readonly receipt?: TerminalReceipt;
  /** When it was handed to a person without an outcome (`RefundFlaggedForReview`). */
  readonly flaggedForReviewAt?: string;
  /** A person dealt with that review: it is not handed over again for it. */
  readonly reviewResolved?: ReviewResolution;
  /**
   * Taken by Dintero (202) late: after it was failed for Dintero's silence, or after a person resolved its review. When
   * that was recorded (`RefundAccepted`): its wait, and a hand-over to a person, count from then.
   */
  readonly acceptedLateAt?: string;
}

/** The items are left on the event; the POS's metadata is kept, for the payment's view to show it back. */
interface PaymentCore extends Omit<PaymentRequestedData, 'items'> {
  readonly sessionId?: string;
  readonly transactionId?: string;
  /**
   * Transactions captured after the payment had ended, flagged for reversal: what each had captured when last
   * recorded (a transaction captured late in parts is recorded part by part).
   */
  readonly lateCaptured: Readonly<Record<string, number>>;
  /**
   * The currency of each transaction captured late in another currency than the payment's (`LateCaptureRecorded`'s
   * `currency`): its money, its refunds and what is left of it are in that currency. Absent while none was.
   */
  readonly lateCapturedCurrencies?: Readonly<Record<string, string>>;
  /**
   * Refunded at Dintero by no refund of this engine's on each transaction captured late (`ExternalRefundRecorded`
   * with `lateCapture`), in all: absent while none was.
   */
  readonly lateRefundedElsewhere?: Readonly<Record<string, number>>;
  /** The last review of its own that Dintero's word ended; gone when it is handed over anew. */
  readonly reviewSettled?: ReviewSettled;
}

export type PaymentState =
  | { readonly status: 'none' }
  | (PaymentCore & {
      readonly status: OpenStatus;
      readonly cancellationRequested: boolean;
      readonly voidRequested: boolean;
      readonly unknownTransactions: readonly string[];
      /** Since when Dintero has reported the transaction's outcome as UNKNOWN. */
      readonly unknownSince?: string;
      /** When the reconciler handed the payment to a person (its outcome stayed unknown too long). */
      readonly flaggedForReviewAt?: string;
      /**
       * A person dealt with that review: the flag stands (the reconciler hands the same cause over no more), until
       * Dintero tells the payment's outcome again (`knownAgain`) and a new cause may be handed over.
       */
      readonly reviewResolved?: ReviewResolution;
      /** When the Dintero session began to be created (a recovery point: never created twice). */
      readonly sessionCreationStartedAt?: string;
    })
  | (PaymentCore & {
      readonly status: 'captured';
      readonly transactionId: string;
      readonly capturedAmount: number;
      readonly capturedAt: string;
      readonly refunds: Readonly<Record<string, Refund>>;
      /** Refunded at Dintero by no refund of this engine's (`ExternalRefundRecorded`), in all. */
      readonly refundedElsewhere?: number;
      /**
       * When a further capture of its transaction in another currency than the payment's, which is not booked, was
       * handed to a person (`PaymentFlaggedForReview`, `FlagUnbookableCapture`); cleared when a further capture of it is
       * booked (`FurtherCaptureRecorded`: Dintero showed it in the payment's currency).
       */
      readonly flaggedForReviewAt?: string;
      /** What Dintero showed captured of the transaction in that currency when it was handed over (absent on old flags). */
      readonly flaggedCapture?: number;
      /** A person dealt with that review: only more captured than `flaggedCapture` is handed over again. */
      readonly reviewResolved?: ReviewResolution;
      /** The card the terminal read (absent on payments recorded before it was kept, and when Dintero sent none). */
      readonly card?: CardSummary;
      readonly receipt?: TerminalReceipt;
    })
  | (PaymentCore & {
      readonly status: EndedStatus;
      readonly endedAt: string;
      readonly reason?: string;
      /** The card the terminal read and refused (declined, failed), when Dintero sent it. */
      readonly card?: CardSummary;
      readonly receipt?: TerminalReceipt;
      /** The HTTP status Dintero refused the session with (a `rejected` payment). */
      readonly dinteroStatus?: number;
      /** Refunds of money captured late (`lateCaptured`): no sale stands behind it, so it is given back. */
      readonly refunds: Readonly<Record<string, Refund>>;
    });

export type OpenPayment = Extract<PaymentState, { status: OpenStatus }>;
export type CapturedPayment = Extract<PaymentState, { status: 'captured' }>;
export type EndedPayment = Extract<PaymentState, { status: EndedStatus }>;

export const initialPaymentState: PaymentState = { status: 'none' };

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

/** A payment that may have refunds: one that has ended, captured or not (an open one has none). */
export type EndedOrCapturedPayment = CapturedPayment | EndedPayment;

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
      return mayBeReviewed(state) ? resolved(state, event.data) : state;
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
      return refund ? withRefund(state, resolved(refund, event.data)) : state;
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

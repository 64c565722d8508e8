import { endsPayment, PAYMENT_ENDING_EVENTS } from '@app/payment-domain';
import type { CurrencyTotals, ReviewEntry, StoreDoc, TerminalDoc } from '../read-model.types';
import { addTotals } from './currency-totals';
import type { PaymentFact, Projection } from './fact';

/** A store's document before it is registered. */
export function emptyStore(storeId: string): StoreDoc {
  return { storeId, timeZone: 'UTC', terminals: { busy: 0, idle: 0, deactivated: 0 }, position: '0' };
}

/**
 * Key `{storeId}` in `payments_stores`: its name and time zone, its latest day's totals and the payments
 * waiting for a person. Its terminal counts are not a fold of events but a count of its terminals'
 * documents (`withTerminalCounts`), kept by the projector.
 */
export const storeProjection: Projection<StoreDoc> = {
  handles: new Set([
    'StoreRegistered',
    'StoreDetailsChanged',
    'PaymentFlaggedForReview',
    'RefundFlaggedForReview',
    'PaymentReviewResolved',
    'RefundReviewResolved',
    'RefundFailed',
    'TransactionStarted',
    'PaymentOnHold',
    'PaymentAuthorized',
    'FurtherCaptureRecorded',
    'RefundSucceeded',
    'LateRefundRecorded',
    'ExternalRefundRecorded',
    ...PAYMENT_ENDING_EVENTS,
  ]),
  evolve(doc, fact) {
    switch (fact.stream) {
      case 'store': {
        const { event } = fact;
        if (event.type !== 'StoreRegistered' && event.type !== 'StoreDetailsChanged') return doc;
        return { ...doc, name: event.data.name, timeZone: event.data.timeZone };
      }
      case 'terminal':
        return doc;
      case 'payment':
        return onPayment(doc, fact);
    }
  },
};

function onPayment(doc: StoreDoc, fact: PaymentFact): StoreDoc {
  const { event, paymentId } = fact;
  switch (event.type) {
    case 'PaymentFlaggedForReview': {
      const { reason, transactionId, since, problem, at } = event.data;
      const entry: ReviewEntry = {
        paymentId,
        terminalId: fact.payment.terminalId,
        reason,
        ...(transactionId === undefined ? {} : { transactionId }),
        since,
        ...(problem === undefined ? {} : { problem }),
        at,
        // Flagged after its end: a captured payment (the domain flags no other ended one), whose further capture in
        // another currency cannot be booked. Not an open payment whose outcome is in doubt.
        ...(fact.ended ? { captured: true } : {}),
      };
      const others = (doc.review ?? []).filter((held) => held.paymentId !== paymentId || held.refundId !== undefined);
      return withReview(doc, [...others, entry]);
    }
    case 'RefundFlaggedForReview': {
      const { refundId, amount, terminalId, reason, since, problem, at } = event.data;
      const entry: ReviewEntry = {
        paymentId,
        refundId,
        terminalId,
        amount,
        currency: fact.moneyCurrency,
        reason,
        since,
        ...(problem === undefined ? {} : { problem }),
        at,
      };
      return withReview(doc, [...(doc.review ?? []).filter((held) => held.refundId !== refundId), entry]);
    }
    // A person dealt with it and said so (the payment or refund may still be open: Dintero is still asked).
    case 'PaymentReviewResolved':
      return leavesReview(doc, paymentId);
    case 'RefundReviewResolved':
    case 'RefundFailed':
      return refundLeavesReview(doc, event.data.refundId);
    // Dintero can tell again what happens to a payment flagged as unknown: it leaves the review list.
    case 'TransactionStarted':
    case 'PaymentOnHold':
    case 'PaymentAuthorized':
      return leavesReview(doc, paymentId);
    // Booked: a captured payment's entry (its further capture in another currency, `FlagUnbookableCapture`) is settled.
    case 'FurtherCaptureRecorded':
      return today(leavesReview(doc, paymentId), fact, { capturedAmount: event.data.amount });
    case 'RefundSucceeded':
    case 'LateRefundRecorded':
      return today(refundLeavesReview(doc, event.data.refundId), fact, {
        refundedCount: 1,
        refundedAmount: fact.refundAmount,
      });
    case 'ExternalRefundRecorded':
      return today(doc, fact, { refundedCount: event.data.continued ? 0 : 1, refundedAmount: event.data.amount });
    default: {
      if (!endsPayment(event.type)) return doc;
      const ended = leavesReview(doc, paymentId);
      return event.type === 'PaymentCaptured'
        ? today(ended, fact, { capturedCount: 1, capturedAmount: event.data.amount })
        : ended;
    }
  }
}

/** A payment's own entry leaves the review list (its refunds' entries are theirs to end). */
function leavesReview(doc: StoreDoc, paymentId: string): StoreDoc {
  const own = (entry: ReviewEntry) => entry.paymentId === paymentId && entry.refundId === undefined;
  if (!doc.review?.some(own)) return doc;
  return withReview(
    doc,
    doc.review.filter((entry) => !own(entry)),
  );
}

/** A refund with an outcome leaves the review list. */
function refundLeavesReview(doc: StoreDoc, refundId: string): StoreDoc {
  if (!doc.review?.some((entry) => entry.refundId === refundId)) return doc;
  return withReview(
    doc,
    doc.review.filter((entry) => entry.refundId !== refundId),
  );
}

/** The review list, left out of the document when empty. */
function withReview(doc: StoreDoc, review: readonly ReviewEntry[]): StoreDoc {
  const { review: _old, ...rest } = doc;
  return review.length > 0 ? { ...rest, review } : rest;
}

/** "Today" is the day of the latest fact: an older day's fact arriving late changes only its store-day. */
function today(doc: StoreDoc, fact: PaymentFact, delta: Partial<CurrencyTotals>): StoreDoc {
  if (doc.today && doc.today.date > fact.date) return doc;
  const totals = doc.today?.date === fact.date ? doc.today.totals : {};
  return { ...doc, today: { date: fact.date, totals: addTotals(totals, fact.moneyCurrency, delta) } };
}

export type TerminalCounts = StoreDoc['terminals'];

/** How a store counts a terminal: busy (a payment or refund under way), idle or deactivated. */
export function countedAs(status: TerminalDoc['status']): keyof TerminalCounts {
  return status === 'deactivated' || status === 'idle' ? status : 'busy';
}

/**
 * The store with its terminals counted so (the projector keeps each store's counts as its terminals' documents
 * change); the document as it was when the counts are the same.
 */
export function withTerminalCounts(doc: StoreDoc, counts: TerminalCounts): StoreDoc {
  const held = doc.terminals;
  return held.busy === counts.busy && held.idle === counts.idle && held.deactivated === counts.deactivated
    ? doc
    : { ...doc, terminals: { busy: counts.busy, idle: counts.idle, deactivated: counts.deactivated } };
}

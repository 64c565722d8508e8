import { DomainError } from '../shared/domain-error';
import { requireInstant } from '../shared/validation';
import { isDinteroTransactionStatus, transactionReaction } from './dintero-status';
import { MAX_PROBLEM_LENGTH, type DinteroTransactionFact, type PaymentCommand } from './payment.commands';
import type { FactSource, PaymentEvent } from './payment.events';
import { existingPayment, isOpen, lateCapturedOf, paymentUnderReview } from './payment.queries';
import type { CapturedPayment, OpenPayment, PaymentState } from './payment.state';

/*
 * What Dintero's transaction says of the payment: how far it went, what it captured (the sale, further captures of
 * it, captures after the payment had ended), and the captures that cannot be booked, refused and handed to a person.
 */

type Of<Type extends PaymentCommand['type']> = Extract<PaymentCommand, { type: Type }>['data'];

export function recordDinteroTransaction(
  { transaction, source, at }: Of<'RecordDinteroTransaction'>,
  state: PaymentState,
): PaymentEvent[] {
  const payment = existingPayment(state);
  if (!isDinteroTransactionStatus(transaction.status)) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `Unknown Dintero transaction status ${JSON.stringify(transaction.status)}`,
    );
  }
  const { transactionId } = transaction;
  const when = { source, at, ...(transaction.dinteroAt ? { dinteroAt: transaction.dinteroAt } : {}) };
  const reaction = transactionReaction(transaction.status, transaction.capturedAmount);
  if (reaction === 'captured') {
    // What was captured, not what was authorised: a partial capture books only the part taken.
    const amount = transaction.capturedAmount ?? transaction.amount;
    if (isOpen(payment)) {
      // Captured more than once already: the first capture books the payment, each later one what it added.
      const first = transaction.captures?.[0]?.amount ?? amount;
      return bookableAsSale(payment, transaction, [
        {
          type: 'PaymentCaptured',
          data: {
            transactionId,
            amount: first,
            currency: transaction.currency,
            ...cardOf(transaction),
            ...receiptOf(transaction),
            ...when,
          },
        },
        ...furtherCaptures(transaction, first, when),
      ]);
    }
    // No silent money (invariant 4): a capture on a payment that had ended, or of another transaction
    // than the one recorded, is kept and flagged for reversal, once for each part of it captured.
    if (payment.status === 'captured' && payment.transactionId === transactionId) {
      // The rest of a partly captured transaction, captured later: booked as the further capture it is.
      return bookableAsSale(payment, transaction, furtherCaptures(transaction, payment.capturedAmount, when));
    }
    // Recorded part by part: what this transaction shows captured beyond what was recorded of it, one event a
    // capture, each dated by its own capture (so booked on its own business day). A later part is known only from
    // the amounts of its CAPTURE events, never from the authorised amount.
    const recorded = lateCapturedOf(payment, transactionId);
    if (amount <= recorded || (recorded > 0 && transaction.capturedAmount === undefined)) return [];
    const { dinteroAt: _first, ...received } = when;
    return capturesBeyond(transaction, amount, recorded, when.dinteroAt).map((part) => ({
      type: 'LateCaptureRecorded',
      data: {
        transactionId,
        amount: part.amount,
        ...(part.first ? {} : { capturedAmount: part.upTo }),
        currency: transaction.currency,
        endedAs: payment.status,
        flaggedForReversal: true,
        ...received,
        ...(part.at ? { dinteroAt: part.at } : {}),
      },
    }));
  }
  // Every other status can only move an open payment forward; on an ended payment it is a late or
  // duplicate message and changes nothing (invariant 2).
  if (!isOpen(payment)) return [];
  // Nor back between open ones: ON_HOLD and UNKNOWN come before an authorisation, so of a transaction already
  // recorded authorised they are a read that was overtaken (two deliveries, or the reconciler, asked Dintero at
  // about the same time and the older answer came last).
  // So is UNKNOWN of a transaction held for review: ON_HOLD only ever ends AUTHORIZED or FAILED.
  if (
    payment.transactionId === transactionId &&
    (((reaction === 'on_hold' || reaction === 'unknown') && payment.status === 'authorized') ||
      (reaction === 'unknown' && payment.status === 'on_hold'))
  )
    return [];
  // Nor by another transaction than one approved or held for review: the terminal starts no transaction after those,
  // so the other is an earlier attempt's (a card declined before the one approved), delivered late, as webhooks keep
  // no order. Ended on its decline, the payment's own transaction captured later would be flagged as money taken
  // after the end, for a sale that went through. The payment ends as its own transaction does; a capture of the
  // other, above, is still booked or flagged.
  if ((payment.status === 'authorized' || payment.status === 'on_hold') && payment.transactionId !== transactionId)
    return [];
  // Nor ended by another transaction's refusal (or void) while Dintero cannot tell what became of the payment's own: that may
  // yet be captured, and the POS told "declined" for a sale that went through. The refusal, an earlier attempt's
  // delivered late, is passed over; the reconciler asks about the payment's own transaction (a new one started on
  // the terminal, `TransactionStarted`, makes that the payment's own).
  if (
    payment.status === 'outcome_unknown' &&
    payment.transactionId !== undefined &&
    payment.transactionId !== transactionId &&
    (reaction === 'declined' || reaction === 'failed' || reaction === 'voided')
  )
    return [];
  switch (reaction) {
    case 'started':
      return payment.transactionId === transactionId
        ? []
        : [{ type: 'TransactionStarted', data: { transactionId, ...when } }];
    case 'on_hold':
      return payment.status === 'on_hold' ? [] : [{ type: 'PaymentOnHold', data: { transactionId, ...when } }];
    case 'unknown':
      return payment.unknownTransactions.includes(transactionId)
        ? []
        : [{ type: 'TransactionOutcomeUnknown', data: { transactionId, ...when } }];
    case 'authorized':
      return payment.status === 'authorized'
        ? []
        : bookableAsSale(payment, transaction, [
            { type: 'PaymentAuthorized', data: { transactionId, amount: transaction.amount, ...when } },
          ]);
    case 'voided':
      return [{ type: 'PaymentVoided', data: { transactionId, ...when } }];
    case 'declined':
      return [
        {
          type: 'PaymentDeclined',
          data: {
            transactionId,
            reason: transaction.reason ?? 'declined',
            ...cardOf(transaction),
            ...receiptOf(transaction),
            ...when,
          },
        },
      ];
    case 'failed':
      return [
        {
          type: 'PaymentFailed',
          data: {
            transactionId,
            reason: transaction.reason ?? 'failed',
            ...cardOf(transaction),
            ...receiptOf(transaction),
            ...when,
          },
        },
      ];
  }
}

/**
 * What the transaction captured beyond `recorded`, one `FurtherCaptureRecorded` per capture that added to it,
 * each dated by its own capture (so booked on its own business day), with what was captured up to it.
 */
function furtherCaptures(
  transaction: DinteroTransactionFact,
  recorded: number,
  when: { source: FactSource; at: string; dinteroAt?: string },
): PaymentEvent[] {
  const { transactionId, capturedAmount } = transaction;
  if (capturedAmount === undefined || capturedAmount <= recorded) return [];
  return capturesBeyond(transaction, capturedAmount, recorded, when.dinteroAt).map((part) => ({
    type: 'FurtherCaptureRecorded',
    data: {
      transactionId,
      amount: part.amount,
      capturedAmount: part.upTo,
      source: when.source,
      at: when.at,
      ...(part.at ? { dinteroAt: part.at } : {}),
    },
  }));
}

/**
 * The transaction's captures beyond `recorded` of `amount`, in order: what each added, what was captured up to it
 * (`upTo`), whether it is the first money of the transaction booked, and when Dintero took it. One capture only (no
 * CAPTURE events' amounts): what it shows beyond what was recorded, dated by the transaction.
 */
function capturesBeyond(
  transaction: DinteroTransactionFact,
  amount: number,
  recorded: number,
  dinteroAt: string | undefined,
): { amount: number; upTo: number; first: boolean; at?: string }[] {
  const captures = transaction.captures ?? [{ amount, ...(dinteroAt ? { at: dinteroAt } : {}) }];
  const parts: { amount: number; upTo: number; first: boolean; at?: string }[] = [];
  let before = 0;
  for (const capture of captures) {
    const upTo = before + capture.amount;
    const from = Math.max(before, recorded);
    if (upTo > recorded)
      parts.push({ amount: upTo - from, upTo, first: from === 0, ...(capture.at ? { at: capture.at } : {}) });
    before = upTo;
  }
  return parts;
}

/**
 * `events`, the sale's money (its capture, a further capture of it, its authorisation), which the read models count
 * in the payment's currency: refused when the transaction is in another. Dintero keeps a session's transaction in the
 * session's currency, so such a report is not one to book: booked, money in one currency was added to another's
 * totals. Nothing is recorded; ingest answers Dintero 5xx so that it reports again, and the reconciler hands the
 * payment to a person if it never becomes bookable. (A capture of another transaction on an ended payment is kept
 * apart in its own currency, `LateCaptureRecorded`, and never reaches here.)
 */
function bookableAsSale(
  payment: Pick<OpenPayment | CapturedPayment, 'paymentId' | 'currency'>,
  transaction: DinteroTransactionFact,
  events: PaymentEvent[],
): PaymentEvent[] {
  if (events.length === 0 || transaction.currency === payment.currency) return events;
  const { transactionId, currency } = transaction;
  throw new DomainError('TRANSACTION_IN_OTHER_CURRENCY', inOtherCurrency(payment, transaction), {
    paymentId: payment.paymentId,
    transactionId,
    transactionCurrency: currency,
    paymentCurrency: payment.currency,
  });
}

const inOtherCurrency = (
  payment: Pick<OpenPayment | CapturedPayment, 'paymentId' | 'currency'>,
  { transactionId, status, currency }: DinteroTransactionFact,
) =>
  `Dintero transaction ${transactionId} is ${status} in ${currency}, but payment ${payment.paymentId} is in ${payment.currency}: nothing was booked`;

/**
 * Hands to a person, once, a further capture of a captured payment's own transaction that Dintero shows in another
 * currency than the payment's: `bookableAsSale` refuses to book it, and ingest answers Dintero 503 at each report, but
 * the reconciler, which hands an open payment that never becomes bookable to a person, looks at no captured payment.
 * Once a person resolved it, only more captured than was handed over is handed over again (Dintero reports the same
 * capture again and again, each report refused). Anything else changes nothing: an open payment's is the reconciler's
 * to flag once its session is over.
 */
export function flagUnbookableCapture(
  { transaction, at }: Of<'FlagUnbookableCapture'>,
  state: PaymentState,
): PaymentEvent[] {
  const payment = existingPayment(state);
  if (payment.status !== 'captured' || paymentUnderReview(payment)) return [];
  const { transactionId, currency } = transaction;
  if (transactionId !== payment.transactionId || currency === payment.currency) return [];
  // What `furtherCaptures` would book: a captured sum beyond the payment's (the amounts are in another currency, but
  // Dintero shows more captured than the sale booked).
  const { capturedAmount } = transaction;
  if (capturedAmount === undefined || capturedAmount <= payment.capturedAmount) return [];
  // Resolved: the same capture is what the person dealt with. A flag recorded before the amount was kept on it is
  // taken to cover the transaction's captures then and since (nothing tells them apart).
  if (payment.flaggedForReviewAt !== undefined && capturedAmount <= (payment.flaggedCapture ?? Infinity)) return [];
  requireInstant(at, 'at');
  const problem = inOtherCurrency(payment, transaction).slice(0, MAX_PROBLEM_LENGTH);
  // Since it was found: Dintero's report of it was refused from then on.
  return [
    {
      type: 'PaymentFlaggedForReview',
      data: { reason: 'not_settleable', transactionId, since: at, problem, capturedAmount, at },
    },
  ];
}

const receiptOf = (transaction: DinteroTransactionFact) =>
  transaction.receipt ? { receipt: transaction.receipt } : {};
const cardOf = (transaction: DinteroTransactionFact) => (transaction.card ? { card: transaction.card } : {});

import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import {
  isBefore,
  requireCurrency,
  requireInstant,
  requireMoney,
  requireText,
  requireToken,
} from '../shared/validation';
import { isDinteroTransactionStatus, transactionReaction } from './dintero-status';
import { MAX_PROBLEM_LENGTH, type DinteroTransactionFact, type PaymentCommand } from './payment.commands';
import type { FactSource, PaymentEvent } from './payment.events';
import {
  evolvePayment,
  existingPayment,
  initialPaymentState,
  isOpen,
  lateCapturedOf,
  lateCurrencyOf,
  lateRefundableAmount,
  lateRefundedElsewhereOf,
  paymentUnderReview,
  refundableAmount,
  refundCurrencyOf,
  refundedSourceOf,
  refundOf,
  refundSettled,
  refundUnfinishedAtDintero,
  type CapturedPayment,
  type EndedOrCapturedPayment,
  type OpenPayment,
  type PaymentState,
  type Refund,
} from './payment.state';
import { ownEntry } from '../shared/own-entry';
import { resolveReview } from './resolve-review';

type Of<Type extends PaymentCommand['type']> = Extract<PaymentCommand, { type: Type }>['data'];

function requestPayment(data: Of<'RequestPayment'>, state: PaymentState): PaymentEvent[] {
  // The same request again (two runs of one idempotent request, the second resuming the first): recorded once.
  if (
    state.status !== 'none' &&
    state.paymentId === data.paymentId &&
    state.claimId === data.claimId &&
    state.posClientId === data.posClientId &&
    state.storeId === data.storeId &&
    state.terminalId === data.terminalId &&
    state.amount === data.amount &&
    state.currency === data.currency &&
    state.merchantReference === data.merchantReference
  )
    return [];
  if (state.status !== 'none')
    throw new DomainError('PAYMENT_EXISTS', `Payment ${data.paymentId} exists`, { paymentId: data.paymentId });
  requireText(data.paymentId, 'paymentId', 100);
  requireToken(data.storeId, 'storeId');
  requireToken(data.terminalId, 'terminalId');
  if (data.dinteroTerminalId !== undefined) requireText(data.dinteroTerminalId, 'dinteroTerminalId', 255);
  requireText(data.payoutDestinationId, 'payoutDestinationId', 100);
  requireText(data.merchantReference, 'merchantReference', 100);
  requireText(data.posClientId, 'posClientId', 100);
  requireText(data.claimId, 'claimId', 100);
  requireMoney(data.amount, data.currency, { positive: true });
  if (!isBefore(requireInstant(data.requestedAt, 'requestedAt'), requireInstant(data.expiresAt, 'expiresAt'))) {
    throw new DomainError('VALIDATION_FAILED', 'expiresAt must be after requestedAt', { field: 'expiresAt' });
  }
  if (data.items) {
    data.items.forEach((item) => requireMoney(item.amount, data.currency, { positive: false }));
    const total = data.items.reduce((sum, item) => sum + item.amount, 0);
    if (total !== data.amount) {
      throw new DomainError('VALIDATION_FAILED', `Items add up to ${total}, not the amount ${data.amount}`, {
        field: 'items',
      });
    }
  }
  return [{ type: 'PaymentRequested', data }];
}

/**
 * Only before a session is known, of a payment still open: requested, its session's creation unknown, or with a
 * transaction Dintero reported before the command service recorded the session (the callback beat the answer to
 * the session's creation), which keeps its status (`SessionCreated` in `evolvePayment`).
 */
const awaitsSession = (payment: PaymentState): boolean => isOpen(payment) && payment.sessionId === undefined;

function recordSessionCreated(data: Of<'RecordSessionCreated'>, state: PaymentState): PaymentEvent[] {
  const payment = existingPayment(state);
  if (!awaitsSession(payment)) return [];
  return [{ type: 'SessionCreated', data }];
}

function recordSessionRejected(data: Of<'RecordSessionRejected'>, state: PaymentState): PaymentEvent[] {
  const payment = existingPayment(state);
  // A payment with a transaction has a session, whatever the answer to its creation said.
  if (!awaitsSession(payment) || payment.transactionId !== undefined) return [];
  return [{ type: 'SessionCreationRejected', data }];
}

/**
 * The session is created once: the first to record this step makes the Dintero call, nobody else. A payment
 * the POS asked to cancel before any session exists is cancelled here instead: no terminal prompts for it.
 */
function beginSessionCreation(data: Of<'BeginSessionCreation'>, state: PaymentState): PaymentEvent[] {
  const payment = existingPayment(state);
  if (payment.status !== 'requested' || payment.sessionCreationStartedAt !== undefined) return [];
  if (payment.cancellationRequested)
    return [{ type: 'PaymentCancelled', data: { by: 'pos', source: 'command-service', at: data.at } }];
  return [{ type: 'SessionCreationStarted', data }];
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

/** The payment's refund `refundId`: refused as `UNKNOWN_REFUND` when the payment has none of that id. */
function existingRefund(state: PaymentState, refundId: string): Refund {
  const payment = existingPayment(state);
  const refund = refundOf(payment, refundId);
  if (!refund)
    throw new DomainError('UNKNOWN_REFUND', `Payment ${payment.paymentId} has no refund ${refundId}`, { refundId });
  return refund;
}

/** A refund is sent to Dintero once: the first to record this step makes the call, nobody else. */
function submitRefund(data: Of<'SubmitRefund'>, state: PaymentState): PaymentEvent[] {
  const refund = existingRefund(state, data.refundId);
  if (refund.status !== 'pending' || refund.submittedAt !== undefined) return [];
  return [{ type: 'RefundSubmitted', data }];
}

function recordSessionOutcomeUnknown(data: Of<'RecordSessionOutcomeUnknown'>, state: PaymentState): PaymentEvent[] {
  return existingPayment(state).status === 'requested' ? [{ type: 'SessionCreationOutcomeUnknown', data }] : [];
}

/** A payment's `reason` when its session was never sent: Dintero could not be reached. */
export const SESSION_NOT_SENT = 'DINTERO_UNAVAILABLE';

/**
 * The call creating the session never reached Dintero: no session, no terminal prompting, nothing to settle. The
 * payment ends here: cancelled when the POS asked for that meanwhile, otherwise failed, `DINTERO_UNAVAILABLE`.
 */
function recordSessionNotSent({ at }: Of<'RecordSessionNotSent'>, state: PaymentState): PaymentEvent[] {
  const payment = existingPayment(state);
  if (payment.status !== 'requested' || !awaitsSession(payment) || payment.transactionId !== undefined) return [];
  const source = 'command-service';
  return payment.cancellationRequested
    ? [{ type: 'PaymentCancelled', data: { by: 'pos', source, at } }]
    : [{ type: 'PaymentFailed', data: { reason: SESSION_NOT_SENT, source, at } }];
}

/** PAYMENT_FINISHED's words for a cancel that came after the capture, and what the POS does instead. */
export const capturedBeforeCancel = (paymentId: string): string =>
  `Payment ${paymentId} was captured before it could be cancelled: refund it to give the money back`;

function requestCancellation(data: Of<'RequestCancellation'>, state: PaymentState): PaymentEvent[] {
  const payment = existingPayment(state);
  if (payment.status === 'captured') {
    throw new DomainError('PAYMENT_FINISHED', capturedBeforeCancel(payment.paymentId), {
      paymentId: payment.paymentId,
      paymentStatus: payment.status,
    });
  }
  // Cancelling a payment that already ended otherwise changes nothing: the answer is its final state.
  if (!isOpen(payment) || payment.cancellationRequested) return [];
  return [{ type: 'CancellationRequested', data }];
}

function recordDinteroTransaction(
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
function flagUnbookableCapture({ transaction, at }: Of<'FlagUnbookableCapture'>, state: PaymentState): PaymentEvent[] {
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

function recordDinteroError(
  { error, source, at, dinteroAt }: Of<'RecordDinteroError'>,
  state: PaymentState,
): PaymentEvent[] {
  const payment = existingPayment(state);
  // An error without a transaction does not end a payment Dintero has a transaction for: the payment ends as that
  // transaction does (ingest and the cancel record the session's transaction where it has one). Such an error is
  // an earlier attempt's, delivered after the transaction's; ended on it, an authorised transaction captured later
  // would be money taken for a sale the POS was told failed.
  if (!isOpen(payment) || payment.transactionId !== undefined) return [];
  if (dinteroAt !== undefined) requireInstant(dinteroAt, 'dinteroAt');
  // Dated by Dintero's session where it was asked: a cancel at 23:59:58 heard of after midnight is the day before's.
  const when = { source, at, ...(dinteroAt === undefined ? {} : { dinteroAt }) };
  switch (error) {
    case 'cancelled':
      // The customer cancelled on the terminal, or Dintero cancelled the session we asked it to cancel.
      return [{ type: 'PaymentCancelled', data: { by: payment.cancellationRequested ? 'pos' : 'customer', ...when } }];
    case 'authorization':
      return [{ type: 'PaymentDeclined', data: { reason: 'authorization', ...when } }];
    case 'failed':
      return [{ type: 'PaymentFailed', data: { reason: 'failed', ...when } }];
  }
}

function expireSession({ source, at }: Of<'ExpireSession'>, state: PaymentState): PaymentEvent[] {
  const payment = existingPayment(state);
  // A payment with a transaction at Dintero ends as that transaction does, whatever the session's time: expired
  // now, a capture coming later would be money taken for a sale the books do not have.
  if (!isOpen(payment) || payment.transactionId !== undefined || isBefore(at, payment.expiresAt)) return [];
  // Dated by the session's end, not by when the reconciler got to it (after its grace, a backlog, a night down):
  // a payment that timed out at 23:59 is one of that day's.
  return [{ type: 'PaymentExpired', data: { source, at, dinteroAt: payment.expiresAt } }];
}

function requestVoid(data: Of<'RequestVoid'>, state: PaymentState): PaymentEvent[] {
  const payment = existingPayment(state);
  if (payment.status !== 'authorized') {
    throw new DomainError(
      'NOT_VOIDABLE',
      `Only an authorised, uncaptured payment can be voided; ${payment.paymentId} is ${payment.status}`,
      {
        paymentStatus: payment.status,
      },
    );
  }
  return payment.voidRequested ? [] : [{ type: 'VoidRequested', data }];
}

/**
 * A refund of the sale (the payment's own transaction, captured), or of money captured after the payment had ended
 * (a late capture): no sale stands behind that, so it is given back the same way, on a terminal. Never more than is
 * left of either; a retry with the same id and details changes nothing.
 */
function requestRefund(data: Of<'RequestRefund'>, state: PaymentState): PaymentEvent[] {
  const payment = existingPayment(state);
  if (isOpen(payment)) {
    throw new DomainError(
      'NOT_REFUNDABLE',
      `Payment ${payment.paymentId} is ${payment.status}; only a captured payment can be refunded`,
      { paymentStatus: payment.status },
    );
  }
  requireText(data.refundId, 'refundId', 100);
  requireToken(data.terminalId, 'terminalId');
  if (data.dinteroTerminalId !== undefined) requireText(data.dinteroTerminalId, 'dinteroTerminalId', 255);
  if (data.transactionId !== undefined) requireText(data.transactionId, 'transactionId', 255);
  requireMoney(data.amount, payment.currency, { positive: true });
  if (data.currency !== undefined) requireCurrency(data.currency);
  const { currency: _currency, transactionId: _named, ...request } = data;
  const { transactionId, refundable, captured } = refundSource(payment, data.transactionId);
  const late = transactionId === undefined ? {} : { transactionId };
  requireRefundCurrency(payment, transactionId, data.currency);
  const existing = ownEntry(payment.refunds, data.refundId);
  if (existing) {
    if (
      existing.amount === data.amount &&
      existing.terminalId === data.terminalId &&
      existing.transactionId === transactionId
    )
      return [];
    throw new DomainError('VALIDATION_FAILED', `Refund ${data.refundId} exists with other details`, {
      refundId: data.refundId,
    });
  }
  if (data.amount > refundable) {
    throw new DomainError(
      'REFUND_EXCEEDS_CAPTURED',
      `Refund of ${data.amount} exceeds the ${refundable} left to refund` +
        (transactionId === undefined ? '' : ` of what transaction ${transactionId} captured late`),
      { requested: data.amount, refundable, captured, ...late },
    );
  }
  const currency = transactionId === undefined ? payment.currency : lateCurrencyOf(payment, transactionId);
  return [{ type: 'RefundRequested', data: { ...request, ...late, currency } }];
}

/**
 * A refund is in the currency of the money it gives back: the sale's, the payment's; a late capture's, its own, which
 * may be another (Dintero captured what the terminal took). The POS may name it, and must when it is not the
 * payment's: a refund of a late capture in SEK on a payment in NOK is never taken as NOK, nor the other way.
 */
function requireRefundCurrency(
  payment: EndedOrCapturedPayment,
  transactionId: string | undefined,
  named: string | undefined,
): void {
  const currency = transactionId === undefined ? payment.currency : lateCurrencyOf(payment, transactionId);
  if (named === undefined ? currency === payment.currency : named === currency) return;
  const of =
    transactionId === undefined
      ? `a payment in ${currency}`
      : `transaction ${transactionId}, captured late in ${currency}`;
  throw new DomainError(
    'VALIDATION_FAILED',
    named === undefined
      ? `Transaction ${transactionId} was captured late in ${currency}, not in the payment's ${payment.currency}: name currency ${currency} to refund it`
      : `Refund in ${named} of ${of}`,
    { field: 'currency', currency, ...(transactionId === undefined ? {} : { transactionId }) },
  );
}

/**
 * What a refund gives money back from, with what is left of it and what it took: the sale (no `transactionId`), or a
 * transaction captured late. A payment that ended without a sale refunds only money captured late: its one such
 * transaction when none is named.
 */
function refundSource(
  payment: EndedOrCapturedPayment,
  named: string | undefined,
): { transactionId?: string; refundable: number; captured: number } {
  const source = refundedSourceOf(payment, named);
  if (source?.transactionId !== undefined) {
    const { transactionId } = source;
    const captured = lateCapturedOf(payment, transactionId);
    return { transactionId, refundable: lateRefundableAmount(payment, transactionId), captured };
  }
  if (source && payment.status === 'captured')
    return { refundable: refundableAmount(payment), captured: payment.capturedAmount };
  const late = Object.keys(payment.lateCaptured);
  const { paymentId, status } = payment;
  const message =
    named !== undefined
      ? `Payment ${paymentId} has no money captured late on transaction ${named}`
      : late.length > 1
        ? `Payment ${paymentId} is ${status} with money captured late on ${late.length} transactions: name the one to refund`
        : `Payment ${paymentId} is ${status}; only a captured payment, or money captured after it ended, can be refunded`;
  throw new DomainError('NOT_REFUNDABLE', message, {
    paymentStatus: status,
    ...(named === undefined ? {} : { transactionId: named }),
    lateCapturedTransactions: late,
  });
}

function recordRefundOutcome(
  { refundId, outcome, reason, requestId, noTrace, receipt, source, at, dinteroAt }: Of<'RecordRefundOutcome'>,
  state: PaymentState,
): PaymentEvent[] {
  const refund = existingRefund(state, refundId);
  const currency = refundCurrencyOf(existingPayment(state), refund);
  const when = { source, at, ...(dinteroAt ? { dinteroAt } : {}) };
  // The terminal's receipt of the refund, recorded with its outcome (a guess from silence has none).
  const printed = receipt ? { receipt } : {};
  // No silent money (invariant 4): a refund booked as failed that Dintero shows made is recorded, once. Failed for
  // Dintero's silence, or by Dintero itself: a first try at the terminal that failed and a second that went
  // through leave both on the transaction, and the last one tells (`refundOutcomes`).
  if (refund.status === 'failed' && outcome === 'succeeded') {
    const { amount, terminalId, transactionId } = refund;
    const late = transactionId === undefined ? {} : { transactionId };
    return [
      { type: 'LateRefundRecorded', data: { refundId, amount, currency, terminalId, ...late, ...printed, ...when } },
    ];
  }
  // Dintero's 202 for a refund failed for its silence is no outcome, but it names the request its result will carry,
  // which may carry nothing else of ours: recorded once, so that the result is found (the refund stays failed).
  if (refund.status === 'failed' && refund.noTrace && outcome === 'accepted')
    return requestId !== undefined && refund.dinteroRequestId === undefined
      ? [{ type: 'RefundAccepted', data: { refundId, requestId, ...when } }]
      : [];
  // Dintero's own no to a refund it took after it was failed for its silence: its word in place of the guess, once
  // (the outcome stays failed; nothing is left to find out). Whether or not its 202 was recorded first: Dintero's
  // events of one delivery may show the refund's start and its refusal together, and only the refusal is told.
  if (refund.status === 'failed' && refund.noTrace === true && outcome === 'failed' && noTrace !== true) {
    const { amount, terminalId } = refund;
    return [
      {
        type: 'RefundFailed',
        data: { refundId, reason: reason ?? 'failed', amount, currency, terminalId, ...printed, ...when },
      },
    ];
  }
  // A refund's outcome, once known, never changes (invariant 2); "unknown" is recorded once and
  // settled later by the reconciler.
  if (refund.status === 'succeeded' || refund.status === 'failed') return [];
  switch (outcome) {
    case 'succeeded':
      return [{ type: 'RefundSucceeded', data: { refundId, ...printed, ...when } }];
    case 'failed': {
      // Silence says no only of a refund never sent; of one sent, it is a guess that Dintero may yet overturn.
      const guessed = noTrace && refund.submittedAt !== undefined ? { noTrace } : {};
      return [
        { type: 'RefundFailed', data: { refundId, reason: reason ?? 'failed', ...guessed, ...printed, ...when } },
      ];
    }
    case 'unknown':
      // Dintero having accepted it says more than a later call going unanswered.
      return refund.status === 'unknown' || refund.status === 'accepted'
        ? []
        : [{ type: 'RefundOutcomeUnknown', data: { refundId, reason: reason ?? 'no answer', at } }];
    case 'accepted':
      // Once, or again only to add the request id an earlier acceptance did not know.
      return refund.status === 'accepted' && (refund.dinteroRequestId !== undefined || requestId === undefined)
        ? []
        : [{ type: 'RefundAccepted', data: { refundId, ...(requestId ? { requestId } : {}), ...when } }];
  }
}

/**
 * Money refunded at Dintero by no refund of ours (No silent money, invariant 4), on the payment's own transaction or
 * on one captured late: what is more than recorded before of that transaction, once. What is left to refund of either
 * never goes below 0 for it (`refundableAmount`, `lateRefundableAmount`).
 */
function recordExternalRefunds(
  { transactionId, refunds, source, at }: Of<'RecordExternalRefunds'>,
  state: PaymentState,
): PaymentEvent[] {
  const payment = existingPayment(state);
  if (isOpen(payment)) return [];
  const sale = payment.status === 'captured' && payment.transactionId === transactionId;
  // A transaction of an ended payment that captured nothing late has nothing of ours to give back.
  if (!sale && lateCapturedOf(payment, transactionId) === 0) return [];
  const late = sale ? {} : { lateCapture: true as const };
  const currency = sale ? payment.currency : lateCurrencyOf(payment, transactionId);
  const events: PaymentEvent[] = [];
  let recorded =
    payment.status === 'captured' && sale
      ? (payment.refundedElsewhere ?? 0)
      : lateRefundedElsewhereOf(payment, transactionId);
  let previous = 0;
  for (const { before, refundedElsewhere, dinteroAt } of refunds) {
    requireMoney(refundedElsewhere, currency, { positive: true });
    if (!Number.isSafeInteger(before) || before < previous || before >= refundedElsewhere)
      throw new DomainError('VALIDATION_FAILED', 'External refunds must follow one another, each adding money');
    if (dinteroAt !== undefined) requireInstant(dinteroAt, 'dinteroAt');
    previous = refundedElsewhere;
    if (refundedElsewhere <= recorded) continue;
    const when = { source, at, ...(dinteroAt === undefined ? {} : { dinteroAt }) };
    // The rest of a refund recorded in part before (what was held back for a refund of ours): no refund more.
    const continued = recorded > before ? { continued: true as const } : {};
    const amount = refundedElsewhere - recorded;
    events.push({
      type: 'ExternalRefundRecorded',
      data: { transactionId, amount, currency, refundedElsewhere, ...late, ...continued, ...when },
    });
    recorded = refundedElsewhere;
  }
  return events;
}

/**
 * Hands an open payment to a person, once: one whose transaction Dintero calls UNKNOWN, or one whose session is
 * over while its transaction is still on its way (initiated, on hold, authorised). Any other payment is left as it
 * is: the deadline is the reconciler's to keep, the decision the domain's.
 */
function flagForReview({ at, problem }: Of<'FlagForReview'>, state: PaymentState): PaymentEvent[] {
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
function flagRefundForReview(
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

function decide(command: PaymentCommand, state: PaymentState): PaymentEvent[] {
  switch (command.type) {
    case 'RequestPayment':
      return requestPayment(command.data, state);
    case 'RecordSessionCreated':
      return recordSessionCreated(command.data, state);
    case 'RecordSessionRejected':
      return recordSessionRejected(command.data, state);
    case 'BeginSessionCreation':
      return beginSessionCreation(command.data, state);
    case 'RecordSessionOutcomeUnknown':
      return recordSessionOutcomeUnknown(command.data, state);
    case 'RecordSessionNotSent':
      return recordSessionNotSent(command.data, state);
    case 'RequestCancellation':
      return requestCancellation(command.data, state);
    case 'RecordDinteroTransaction':
      return recordDinteroTransaction(command.data, state);
    case 'RecordDinteroError':
      return recordDinteroError(command.data, state);
    case 'ExpireSession':
      return expireSession(command.data, state);
    case 'RequestVoid':
      return requestVoid(command.data, state);
    case 'RequestRefund':
      return requestRefund(command.data, state);
    case 'SubmitRefund':
      return submitRefund(command.data, state);
    case 'RecordRefundOutcome':
      return recordRefundOutcome(command.data, state);
    case 'RecordExternalRefunds':
      return recordExternalRefunds(command.data, state);
    case 'FlagForReview':
      return flagForReview(command.data, state);
    case 'FlagUnbookableCapture':
      return flagUnbookableCapture(command.data, state);
    case 'FlagRefundForReview':
      return flagRefundForReview(command.data, state);
    case 'ResolveReview':
      return resolveReview(command.data, state);
    default: {
      const unknown: never = command;
      throw new DomainError('VALIDATION_FAILED', `Unknown payment command ${JSON.stringify(unknown)}`);
    }
  }
}

export const paymentDecider: Decider<PaymentCommand, PaymentEvent, PaymentState> = {
  initialState: initialPaymentState,
  decide,
  evolve: evolvePayment,
};

import { DomainError } from '../shared/domain-error';
import { ownEntry } from '../shared/own-entry';
import { requireCurrency, requireInstant, requireMoney, requireText, requireToken } from '../shared/validation';
import type { PaymentCommand } from './payment.commands';
import type { PaymentEvent } from './payment.events';
import {
  existingPayment,
  isOpen,
  lateCapturedOf,
  lateCurrencyOf,
  lateRefundableAmount,
  lateRefundedElsewhereOf,
  refundableAmount,
  refundCurrencyOf,
  refundedSourceOf,
  refundOf,
} from './payment.queries';
import type { EndedOrCapturedPayment, PaymentState, Refund } from './payment.state';

/*
 * Refunds: the POS's request and what it gives money back from, its sending to Dintero, its outcome, and money
 * Dintero shows refunded by no refund of ours.
 */

type Of<Type extends PaymentCommand['type']> = Extract<PaymentCommand, { type: Type }>['data'];

/** The payment's refund `refundId`: refused as `UNKNOWN_REFUND` when the payment has none of that id. */
export function existingRefund(state: PaymentState, refundId: string): Refund {
  const payment = existingPayment(state);
  const refund = refundOf(payment, refundId);
  if (!refund)
    throw new DomainError('UNKNOWN_REFUND', `Payment ${payment.paymentId} has no refund ${refundId}`, { refundId });
  return refund;
}

/**
 * A refund of the sale (the payment's own transaction, captured), or of money captured after the payment had ended
 * (a late capture): no sale stands behind that, so it is given back the same way, on a terminal. Never more than is
 * left of either; a retry with the same id and details changes nothing.
 */
export function requestRefund(data: Of<'RequestRefund'>, state: PaymentState): PaymentEvent[] {
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

/** A refund is sent to Dintero once: the first to record this step makes the call, nobody else. */
export function submitRefund(data: Of<'SubmitRefund'>, state: PaymentState): PaymentEvent[] {
  const refund = existingRefund(state, data.refundId);
  if (refund.status !== 'pending' || refund.submittedAt !== undefined) return [];
  return [{ type: 'RefundSubmitted', data }];
}

export function recordRefundOutcome(
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
export function recordExternalRefunds(
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

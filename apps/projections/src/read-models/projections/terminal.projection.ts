import { endsPayment, PAYMENT_ENDED_AS, PAYMENT_ENDING_EVENTS } from '@app/payment-domain';
import type { DayCounts, RefundOutcome, TerminalDoc } from '../read-model.types';
import type { Fact, PaymentFact, Projection } from './fact';
import { deviceSwapped } from './terminal-batch';
import { copied } from './terminal-copy';

/**
 * A terminal before its first fact. Every field is there from the start, the absent ones `undefined` (which
 * JSON leaves out): each copy of a terminal then has the same fields in the same order, so V8 gives every terminal
 * one hidden class and copies it fast. Added as they came, and `active` taken out on each release, the fields
 * gave terminals many shapes: the fold of 1M events took 5.8-5.9 µs an event then, 5.2-5.6 now.
 */
export function emptyTerminal(storeId: string, terminalId: string): TerminalDoc {
  return {
    storeId,
    terminalId,
    status: 'idle',
    statusSince: undefined,
    active: undefined,
    lastOutcome: undefined,
    lastRefund: undefined,
    lastHeardAt: undefined,
    today: undefined,
    openBatch: undefined,
    lastClose: undefined,
    device: undefined,
    swappedOut: undefined,
    position: '0',
  };
}

/** Key `{storeId}.{terminalId}` in `payments_terminals`: what each terminal is doing, and its last outcomes. */
export const terminalProjection: Projection<TerminalDoc> = {
  handles: new Set([
    'TerminalRegistered',
    'TerminalReactivated',
    'TerminalDeactivated',
    'TerminalEnrolled',
    'TerminalClaimed',
    'TerminalReleased',
    'PaymentRequested',
    'SessionCreated',
    'CancellationRequested',
    'RefundSucceeded',
    'LateRefundRecorded',
    'RefundFailed',
    ...PAYMENT_ENDING_EVENTS,
  ]),
  evolve(doc, fact) {
    const next = evolve(doc, fact);
    // "Since when" is the time the status changed (or the terminal was first heard of), whatever changed it. Set on
    // `next` itself: a changed terminal is a copy `evolve` made just now, which nothing else holds yet. A second copy
    // for this one field was a copy more on every claim, release and end.
    if (next !== doc && (next.status !== doc.status || doc.position === '0') && fact.recordedAt !== '')
      (next as { statusSince: string | undefined }).statusSince = fact.recordedAt;
    return next;
  },
};

/** What a terminal claimed for a payment, a refund or an operation is doing first. */
const CLAIMED_AS = { payment: 'starting', refund: 'refunding', operation: 'operating' } as const;

function evolve(doc: TerminalDoc, fact: Fact): TerminalDoc {
  switch (fact.stream) {
    case 'store': {
      const { event } = fact;
      switch (event.type) {
        case 'TerminalRegistered':
          return { ...doc, status: doc.active ? doc.status : 'idle' };
        // Reactivated while a claim still holds it (it was deactivated under a payment): busy with that claim, at the
        // stage its payment reached meanwhile (kept `deactivated`, no later event would have changed it).
        case 'TerminalReactivated':
          return { ...doc, status: doc.active ? claimedStatus(doc.active) : 'idle' };
        case 'TerminalDeactivated':
          return { ...doc, status: 'deactivated' };
        case 'TerminalEnrolled':
          return deviceSwapped(doc, event.data.dinteroTerminalId, fact.recordedAt);
        default:
          return doc;
      }
    }
    case 'terminal': {
      const { event } = fact;
      switch (event.type) {
        case 'TerminalClaimed': {
          const { kind, paymentId, claimedAt, expiresAt } = event.data;
          // The registry's hold for the moment it changes the device: nothing the terminal does (its release,
          // naming no payment the document holds, changes nothing either).
          if (kind === 'device-change') return doc;
          // A claim extended (the same payment's claim again, by a resumed request) keeps when it began, and the
          // stage its payment reached.
          const extended = doc.active?.paymentId === paymentId ? doc.active : undefined;
          const active = {
            kind,
            paymentId,
            since: extended ? extended.since : claimedAt,
            expiresAt,
            // Named when absent too (JSON leaves it out): every claim then has one shape.
            stage: extended?.stage,
          };
          const next = copied(doc);
          next.status = doc.status === 'deactivated' ? 'deactivated' : claimedStatus(active);
          next.active = active;
          next.lastHeardAt = later(doc.lastHeardAt, claimedAt);
          return next;
        }
        case 'TerminalReleased': {
          if (doc.active?.paymentId !== event.data.paymentId) return doc;
          const next = copied(doc);
          next.active = undefined;
          next.status = doc.status === 'deactivated' ? 'deactivated' : 'idle';
          next.lastHeardAt = later(doc.lastHeardAt, event.data.at);
          return next;
        }
        default:
          return doc;
      }
    }
    case 'payment':
      return onPayment(doc, fact);
  }
}

/** The later of two instants (ISO strings, which sort as the instants do): `lastHeardAt` never goes back. */
const later = (kept: string | undefined, heard: string): string => (kept !== undefined && kept > heard ? kept : heard);

/** A claim's status: the stage its payment reached, or the first of its kind. */
const claimedStatus = (active: NonNullable<TerminalDoc['active']>) => active.stage ?? CLAIMED_AS[active.kind];

/**
 * The terminal with the claiming payment at a new stage: kept on its claim (also while the terminal is deactivated, to
 * be its status again on reactivation), and the terminal's status when it `moves`. A later fact of another payment
 * changes neither. Every field is named, none spread from a partial: a spread of an object whose keys vary takes
 * V8's slow path.
 */
function staged(
  doc: TerminalDoc,
  paymentId: string,
  moves: boolean,
  stage: 'awaiting_card' | 'cancelling',
  heard: string,
): TerminalDoc {
  // Never back from a cancel: a session recorded after the POS asked to cancel (its creation's answer came late, or
  // ingest learned it from a transaction) is one being cancelled.
  const claim = doc.active?.paymentId === paymentId && doc.active.stage !== 'cancelling' ? doc.active : undefined;
  const next = copied(doc);
  next.lastHeardAt = heard;
  if (!claim) return next;
  next.status = moves ? stage : doc.status;
  next.active = { ...claim, stage };
  return next;
}

/**
 * The terminal after one of a payment's facts. Each branch copies the document once (`copied`): the copy of a
 * terminal is the fold's largest cost per event (the rebuild's profile).
 */
function onPayment(doc: TerminalDoc, fact: PaymentFact): TerminalDoc {
  const { event, paymentId, at, date } = fact;
  // When the engine heard it, not when Dintero says it happened (a capture dated before a claim heard of after it),
  // and never back.
  const heard = later(doc.lastHeardAt, fact.recordedAt);
  // Only the payment holding the terminal moves its status; a late fact of an older payment does not.
  const moves = doc.active?.paymentId === paymentId && doc.status !== 'deactivated';
  switch (event.type) {
    case 'PaymentRequested': {
      const next = copied(doc);
      next.lastHeardAt = heard;
      next.today = count(doc.today, date, 'payments');
      return next;
    }
    case 'SessionCreated':
      return staged(doc, paymentId, moves, 'awaiting_card', heard);
    case 'CancellationRequested':
      return staged(doc, paymentId, moves, 'cancelling', heard);
    case 'RefundFailed': {
      const next = copied(doc);
      next.lastHeardAt = heard;
      next.lastRefund = refund(fact, event.data.refundId, 'refund_failed');
      return next;
    }
    case 'RefundSucceeded':
    case 'LateRefundRecorded': {
      const next = copied(doc);
      next.lastHeardAt = heard;
      next.lastRefund = refund(fact, event.data.refundId, 'refunded');
      next.today = count(doc.today, date, 'refunds');
      return next;
    }
    default: {
      if (!endsPayment(event.type)) return doc;
      const status = PAYMENT_ENDED_AS[event.type];
      const amount = event.type === 'PaymentCaptured' ? event.data.amount : fact.payment.amount;
      const next = copied(doc);
      next.lastHeardAt = heard;
      next.status = moves && doc.status !== 'refunding' && doc.status !== 'operating' ? 'idle' : doc.status;
      next.lastOutcome = { paymentId, status, amount, currency: fact.payment.currency, at };
      next.today = count(doc.today, date, status);
      return next;
    }
  }
}

function refund(fact: PaymentFact, refundId: string, status: RefundOutcome['status']): RefundOutcome {
  return {
    paymentId: fact.paymentId,
    refundId,
    status,
    amount: fact.refundAmount,
    currency: fact.moneyCurrency,
    at: fact.at,
  };
}

/**
 * The terminal's counts for `date`. A fact of an older day (Dintero dates it before midnight, and it arrives
 * after facts of the new day) leaves today's counts as they are: its day is counted on the store-day document.
 */
function count(today: DayCounts | undefined, date: string, field: keyof Omit<DayCounts, 'date'>): DayCounts {
  if (today && today.date > date) return today;
  const base: DayCounts =
    today?.date === date
      ? today
      : {
          date,
          payments: 0,
          captured: 0,
          declined: 0,
          failed: 0,
          cancelled: 0,
          expired: 0,
          voided: 0,
          rejected: 0,
          refunds: 0,
        };
  return { ...base, [field]: base[field] + 1 };
}

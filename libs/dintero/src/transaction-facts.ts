import {
  isDinteroTransactionStatus,
  moneyProblem,
  transactionReaction,
  type DinteroTransactionFact,
  type DinteroTransactionStatus,
} from '@app/payment-domain';
import type { DinteroTransaction } from './dintero.types';
import { terminalReceipt } from './terminal-receipts';
import { instant, succeeded } from './transaction-events';

/**
 * The one translation from a Dintero transaction to the payment domain's facts, used by every path that
 * reads one: callbacks, webhooks, the reconciler and the command service's cancel and refund. A second
 * copy once dropped the card and Dintero's event time on one path. This file reads the payment's fact; a
 * refund's outcome is read in `refund-facts.ts`, refunds made elsewhere in `external-refunds.ts`, and a
 * session's error without a transaction in `session-errors.ts`.
 */

/** Dintero reported a status this engine does not know (or none): nothing can be recorded until it is taught it. */
export class UnrecognisedTransactionStatusError extends Error {
  constructor(
    readonly status: string | undefined,
    why = status === undefined
      ? 'Dintero transaction came without a status, on it or on its events'
      : `Dintero transaction status ${JSON.stringify(status)} is not one this engine knows`,
  ) {
    super(why);
  }
}

/**
 * The statuses of a transaction captured in part: what was taken is known only from its `CAPTURE` events' amounts
 * (its rest voided, `AUTHORIZATION_VOIDED`, or still to capture). One captured in full took its amount, whatever
 * its events say; under any other status a capture event is not taken as money.
 */
const CAPTURED_IN_FULL: ReadonlySet<string> = new Set(['CAPTURED', 'REFUNDED', 'PARTIALLY_REFUNDED']);
const CAPTURED_IN_PART: ReadonlySet<string> = new Set([
  'PARTIALLY_CAPTURED',
  'PARTIALLY_CAPTURED_REFUNDED',
  'AUTHORIZATION_VOIDED',
]);
/** The statuses that say a part was captured, whatever the events list. */
const PART_CAPTURED: ReadonlySet<string> = new Set(['PARTIALLY_CAPTURED', 'PARTIALLY_CAPTURED_REFUNDED']);

/**
 * The transaction's status. `status` is optional in Dintero's specification, and each of its events carries the
 * status it left the transaction in (`transaction_status`): a transaction without the first is in its last event's.
 */
export function transactionStatus(tx: DinteroTransaction): string | undefined {
  if (tx.status !== undefined) return tx.status;
  const events = tx.events ?? [];
  for (let i = events.length - 1; i >= 0; i--) if (events[i]!.transaction_status) return events[i]!.transaction_status;
  return undefined;
}

/**
 * What a Dintero transaction says about the payment, as the domain's fact. The card is kept as brand,
 * type, entry method and Dintero's masked number only; the reason of a refusal is the last failed event's;
 * `dinteroAt` is when Dintero says the transaction reached its status.
 */
export function transactionFact(tx: DinteroTransaction): DinteroTransactionFact {
  const status = transactionStatus(tx);
  if (!isDinteroTransactionStatus(status)) throw new UnrecognisedTransactionStatusError(status);
  const failed = [...(tx.events ?? [])].reverse().find((event) => !succeeded(event) && event.error);
  const card = tx.card && {
    ...(tx.card.brand ? { brand: tx.card.brand } : {}),
    ...(tx.card.masked_pan ? { maskedPan: tx.card.masked_pan } : {}),
    ...(tx.card.entry_method ? { entryMethod: tx.card.entry_method } : {}),
    ...(tx.card.type ? { type: tx.card.type } : {}),
  };
  const reason = failed?.error?.code ?? failed?.error?.message;
  const counted = captures(tx);
  const { each, unsized } = counted;
  // Captured in full, in several captures one of which states no size: the whole amount, so that what was taken
  // beyond a part recorded before is booked (its captures are not dated one by one then). One capture alone took it
  // all, which the transaction's amount says already.
  const capturedAmount = unsized === 'several' && CAPTURED_IN_FULL.has(status) ? tx.amount : counted.capturedAmount;
  // `amount` on an event is optional in the specification. Without it, a capture is of no known size. A transaction
  // captured in full took its amount; one captured in part, booked at its amount or at its sized captures alone (or,
  // its rest voided, as a void), would misstate the takings and what may be refunded. Nothing is recorded (a 503 to
  // the delivery), and the reconciler hands the payment to a person if Dintero never says more. So with no successful
  // CAPTURE event listed at all (`events` is optional too) under a status that says a part was captured (a void lists
  // none when nothing was).
  const partUnlisted = capturedAmount === undefined && unsized === undefined && PART_CAPTURED.has(status);
  if ((unsized !== undefined && CAPTURED_IN_PART.has(status)) || partUnlisted)
    throw new UnrecognisedTransactionStatusError(
      status,
      partUnlisted
        ? `Dintero transaction ${tx.id} is ${status} and lists no successful CAPTURE event: what was taken is unknown`
        : `Dintero transaction ${tx.id} is ${status} and a CAPTURE event of it does not say how much: what was taken is unknown`,
    );
  // What a capture or an authorisation books is money (invariant 8): whole minor units of an ISO 4217 currency. Any
  // other amount is as unknown as one a capture does not state (above); booked as given, a text was added to the
  // day's totals as text, and a payment without a currency counted in its own.
  const reaction = transactionReaction(status, capturedAmount);
  if (reaction === 'captured' || reaction === 'authorized') {
    const amounts = [tx.amount, capturedAmount ?? 0, ...(each ?? []).map((capture) => capture.amount)];
    const problem = amounts.map((amount) => moneyProblem(amount, tx.currency)).find((found) => found !== undefined);
    if (problem !== undefined)
      throw new UnrecognisedTransactionStatusError(
        status,
        `Dintero transaction ${tx.id} is ${status} and gives money the engine cannot book (${problem}): what was taken is unknown`,
      );
  }
  const dinteroAt = statusTime(tx, status, capturedAmount);
  const receipt = terminalReceipt(tx);
  return {
    transactionId: tx.id,
    status,
    amount: tx.amount,
    currency: tx.currency,
    ...(capturedAmount === undefined ? {} : { capturedAmount }),
    ...(each === undefined ? {} : { captures: each }),
    ...(card && Object.keys(card).length > 0 ? { card } : {}),
    ...(receipt ? { receipt } : {}),
    ...(reason ? { reason } : {}),
    ...(dinteroAt ? { dinteroAt } : {}),
  };
}

/**
 * The sum of the transaction's successful `CAPTURE` events, or nothing when none carries an amount. A transaction
 * captured in part (`PARTIALLY_CAPTURED`, and the refunded statuses after one) has captured less than its `amount`.
 * With more than one capture, each one's amount and time too: each dates what it added.
 */
function captures(tx: DinteroTransaction): Pick<DinteroTransactionFact, 'capturedAmount'> & {
  each?: DinteroTransactionFact['captures'];
  /**
   * A successful capture does not say its amount (`one` capture in all, or `several`): the captured sum is then
   * unknown, unless all was taken.
   */
  unsized?: 'one' | 'several';
} {
  const made = (tx.events ?? []).filter((e) => e.event === 'CAPTURE' && succeeded(e));
  if (made.some((e) => typeof e.amount !== 'number')) return { unsized: made.length > 1 ? 'several' : 'one' };
  const done = made.map((e) => ({ amount: e.amount!, at: e.created_at }));
  if (done.length === 0) return {};
  const capturedAmount = done.reduce((sum, capture) => sum + capture.amount, 0);
  if (done.length === 1) return { capturedAmount };
  const each = done.map(({ amount, at }) => {
    const time = instant(at);
    return time === undefined ? { amount } : { amount, at: time };
  });
  return { capturedAmount, each };
}

/**
 * When the transaction reached what the domain records of it: for a captured transaction (whatever
 * refunds came after, or the void of the rest of a partial capture) its first successful `CAPTURE` event;
 * otherwise the last event that left it in its current status; failing both, the transaction's own `updated_at`
 * (an `UNKNOWN` transaction may carry no event). Dintero's event times, not the time we heard of them, date the
 * store's business day.
 */
function statusTime(
  tx: DinteroTransaction,
  status: DinteroTransactionStatus,
  capturedAmount: number | undefined,
): string | undefined {
  const events = tx.events ?? [];
  const event =
    transactionReaction(status, capturedAmount) === 'captured'
      ? events.find((e) => e.event === 'CAPTURE' && succeeded(e))
      : [...events].reverse().find((e) => e.transaction_status === status);
  return instant(event?.created_at) ?? instant(tx.updated_at) ?? instant(tx.created_at);
}

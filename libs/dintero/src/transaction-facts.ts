import {
  instantOf,
  isDinteroTransactionStatus,
  isOpen,
  lateCapturedOf,
  lateRefundedElsewhereOf,
  moneyProblem,
  refundFollowed,
  refundTransactionOf,
  transactionReaction,
  type DinteroErrorKind,
  type DinteroTransactionFact,
  type DinteroTransactionStatus,
  type FactSource,
  type PaymentCommand,
  type PaymentState,
  type Refund,
  type TerminalReceipt,
} from '@app/payment-domain';
import type { DinteroSession, DinteroTransaction } from './dintero.types';

/**
 * The one translation from a Dintero transaction to the payment domain's facts, used by every path that
 * reads one: callbacks, webhooks, the reconciler and the command service's cancel and refund. A second
 * copy once dropped the card and Dintero's event time on one path.
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

type TransactionEvent = NonNullable<DinteroTransaction['events']>[number];

/**
 * Whether an event of the transaction went through. `success` is optional in Dintero's specification: an event
 * that does not say is taken as done unless it carries an error, rather than as refused (a refund made would
 * otherwise be booked as failed).
 */
const succeeded = (event: TransactionEvent): boolean =>
  event.success === true || (event.success === undefined && event.error === undefined);

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
 * The `seitatech:*` keys of a transaction event kept for the till, and the receipt's field each goes to. The
 * receipts' texts are kept part by part: Dintero does not say how a second part joins the first.
 */
const RECEIPT_KEYS: readonly (readonly [string, keyof TerminalReceipt])[] = [
  ['seitatech:uniqueId', 'terminalTransactionId'],
  ['seitatech:receiptNumber', 'receiptNumber'],
  ['seitatech:customerReceipt', 'customerReceipt'],
  ['seitatech:customerReceiptPart2', 'customerReceiptPart2'],
  ['seitatech:merchantReceipt', 'merchantReceipt'],
  ['seitatech:merchantReceiptPart2', 'merchantReceiptPart2'],
];

/**
 * The terminal's references and receipts for the payment (not a refund's): from the last `AUTHORIZE` or `CAPTURE`
 * event whose Seitatech metadata carries any of them, all from that one event (the terminal's one answer). EMV
 * data and outcome codes are not kept.
 */
function terminalReceipt(tx: DinteroTransaction): TerminalReceipt | undefined {
  const event = [...(tx.events ?? [])]
    .reverse()
    .find((e) => (e.event === 'AUTHORIZE' || e.event === 'CAPTURE') && RECEIPT_KEYS.some(([key]) => e.metadata?.[key]));
  return event && receiptOf(event);
}

/** The terminal's references and receipts one transaction event carries, or nothing when it carries none. */
function receiptOf(event: TransactionEvent): TerminalReceipt | undefined {
  const metadata = event.metadata ?? {};
  const fields = RECEIPT_KEYS.flatMap(([key, field]) => (metadata[key] ? [[field, metadata[key]] as const] : []));
  return fields.length > 0 ? Object.fromEntries(fields) : undefined;
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

/**
 * Dintero's timestamp as the domain's UTC instant, or nothing when it is missing or not a time with its offset that
 * exists (`instantOf`): then the fact is dated by the next time Dintero gives, or by when the engine heard of it.
 */
const instant = (value: string | undefined): string | undefined => instantOf(value);

/**
 * Our refund id on a refund's event. Dintero's specification returns the `refund_reference` we sent as
 * the event's `event_reference` ("for refunds, this is `refund_reference`"); older simulator builds put
 * it in `metadata.refund_reference`, which is read too, so that their logs still settle.
 */
export function refundReferenceOf(event: TransactionEvent): string | undefined {
  return event.event_reference ?? event.metadata?.refund_reference;
}

/** What identifies one refund of ours among a transaction's events. */
export type RefundKey = Pick<Refund, 'refundId' | 'dinteroRequestId'>;

/**
 * The transaction's `REFUND` event for our refund: the one carrying our reference, or, for a refund
 * Dintero accepted with 202, the one whose `correlation_request_id` is the accepted request's id. The last
 * one when Dintero tried more than once.
 */
export function refundEventOf(tx: DinteroTransaction, refund: RefundKey): TransactionEvent | undefined {
  return [...(tx.events ?? [])]
    .reverse()
    .find((e) => e.event === 'REFUND' && isOurs(e, refund, e.correlation_request_id));
}

/**
 * The `INITIATE_REFUND` event of a refund Dintero took to do later (it answered, or would have, 202). One that
 * did not succeed is no acceptance: the refund is then settled by its `REFUND` event or by silence.
 */
export function refundInitiationOf(tx: DinteroTransaction, refund: RefundKey): TransactionEvent | undefined {
  return (tx.events ?? []).find(
    (e) => e.event === 'INITIATE_REFUND' && e.success !== false && isOurs(e, refund, e.request_id),
  );
}

/** The event carries our refund id, or (`requestId`, the request it names) the accepted request's id. */
function isOurs(event: TransactionEvent, refund: RefundKey, requestId: string | undefined): boolean {
  return (
    refundReferenceOf(event) === refund.refundId ||
    (refund.dinteroRequestId !== undefined && requestId === refund.dinteroRequestId)
  );
}

type RecordRefundOutcome = Extract<PaymentCommand, { type: 'RecordRefundOutcome' }>;

/**
 * The outcome of one refund of ours, as the transaction's events say, with the time Dintero gives: its
 * `REFUND` event settles it; an `INITIATE_REFUND` event alone says Dintero accepted it and is doing it at
 * the terminal; nothing when the transaction has neither.
 */
export function refundOutcome(
  tx: DinteroTransaction,
  refund: RefundKey,
  source: FactSource,
  at: string,
): RecordRefundOutcome | undefined {
  const { refundId } = refund;
  const event = refundEventOf(tx, refund);
  if (!event) {
    const initiation = refundInitiationOf(tx, refund);
    if (!initiation) return undefined;
    const requestId = initiation.request_id ?? refund.dinteroRequestId;
    const dinteroAt = instant(initiation.created_at);
    return {
      type: 'RecordRefundOutcome',
      data: {
        refundId,
        outcome: 'accepted',
        ...(requestId ? { requestId } : {}),
        source,
        at,
        ...(dinteroAt ? { dinteroAt } : {}),
      },
    };
  }
  const dinteroAt = instant(event.created_at);
  const receipt = receiptOf(event);
  return {
    type: 'RecordRefundOutcome',
    data: {
      refundId,
      outcome: succeeded(event) ? 'succeeded' : 'failed',
      ...(succeeded(event) ? {} : { reason: event.error?.code ?? event.error?.message ?? 'refused by Dintero' }),
      ...(receipt ? { receipt } : {}),
      source,
      at,
      ...(dinteroAt ? { dinteroAt } : {}),
    },
  };
}

/**
 * The outcomes the transaction's events settle or advance, of this payment's refunds not known to have succeeded:
 * the open ones, and the failed ones, which Dintero may show made after all (failed for its silence, or a first
 * try at the terminal refused and a second made).
 */
export function refundOutcomes(
  tx: DinteroTransaction,
  state: PaymentState,
  source: FactSource,
  at: string,
): RecordRefundOutcome[] {
  if (state.status === 'none' || isOpen(state)) return [];
  // Each refund is settled by the transaction it gives back from: the sale's, or one captured late.
  return Object.values(state.refunds)
    .filter((refund) => refund.status !== 'succeeded' && refundTransactionOf(state, refund) === tx.id)
    .flatMap((refund) => {
      const outcome = refundOutcome(tx, refund, source, at);
      // An accepted refund is advanced by its result; its initiation read again adds only a request id it lacked.
      const again =
        outcome?.data.outcome === 'accepted' &&
        (refund.status === 'accepted' || refund.noTrace === true) &&
        (refund.dinteroRequestId !== undefined || outcome.data.requestId === undefined);
      return outcome && !again ? [outcome] : [];
    });
}

type RecordExternalRefunds = Extract<PaymentCommand, { type: 'RecordExternalRefunds' }>;
type ExternalRefund = RecordExternalRefunds['data']['refunds'][number];

/**
 * The refunds Dintero shows made on the payment's own transaction, or on one it captured late, by no refund of this
 * payment's, one by one in Dintero's order, when they come to more than the log has of that transaction
 * (`RecordExternalRefunds`): a refund made in Dintero's Backoffice, say. Each is recorded on its own, dated by its own event, so that two made on two days count on each. A successful `REFUND`
 * event is ours when it carries our reference, or the request id of one of ours Dintero accepted. Of the others,
 * what our refunds that no event names yet may still turn out to be is left to them (sent and not settled, taken by
 * Dintero after they were failed for its silence, or made without an event of ours), so that no money is counted
 * twice: a refund of ours Dintero shows without our reference is never taken for another's, at the cost of one made
 * elsewhere waiting until ours are settled. Nothing when an event of another refund gives no amount.
 */
export function externalRefunds(
  tx: DinteroTransaction,
  state: PaymentState,
  source: FactSource,
  at: string,
): RecordExternalRefunds | undefined {
  if (state.status === 'none' || isOpen(state)) return undefined;
  const sale = state.status === 'captured' && tx.id === state.transactionId;
  if (!sale && lateCapturedOf(state, tx.id) === 0) return undefined;
  // Ours of this transaction only: a refund of a late capture gives back another, and none of the sale's money.
  const refunds = Object.values(state.refunds).filter((refund) => refundTransactionOf(state, refund) === tx.id);
  const requestIds = new Set(
    refunds.flatMap((refund) => {
      const requestId = refund.dinteroRequestId ?? refundInitiationOf(tx, refund)?.request_id;
      return requestId === undefined ? [] : [requestId];
    }),
  );
  const ofOurs = (event: TransactionEvent) =>
    refunds.some((refund) => refundReferenceOf(event) === refund.refundId) ||
    (event.correlation_request_id !== undefined && requestIds.has(event.correlation_request_id));
  const made = (tx.events ?? []).filter((event) => event.event === 'REFUND' && succeeded(event));
  const others = made.filter((event) => !ofOurs(event));
  if (others.length === 0 || others.some((event) => !Number.isSafeInteger(event.amount))) return undefined;
  // Ours that may still be made (unsettled, or taken by Dintero after they were failed for its silence), or that were
  // made and no event names: a refund failed and never taken (Dintero's no, or its silence) is none of them.
  const unnamed = refunds.filter(
    (refund) =>
      (refundFollowed(refund) || refund.status === 'succeeded') &&
      !made.some((event) => isOurs(event, refund, event.correlation_request_id)),
  );
  const heldBack = unnamed.reduce((sum, refund) => sum + refund.amount, 0);
  const total = others.reduce((sum, event) => sum + (event.amount ?? 0), 0) - heldBack;
  const recorded =
    state.status === 'captured' && sale ? (state.refundedElsewhere ?? 0) : lateRefundedElsewhereOf(state, tx.id);
  if (total <= recorded) return undefined;
  // One by one in Dintero's order, each on its own day; what is held back is taken from the newest.
  const inOrder = others
    .map((event) => ({ amount: event.amount ?? 0, dinteroAt: instant(event.created_at) }))
    .filter(({ amount }) => amount > 0)
    .sort((a, b) => (a.dinteroAt ?? '\uffff').localeCompare(b.dinteroAt ?? '\uffff'));
  const parts: ExternalRefund[] = [];
  let before = 0;
  for (const { amount, dinteroAt } of inOrder) {
    const through = Math.min(before + amount, total);
    if (through > recorded)
      parts.push({ before, refundedElsewhere: through, ...(dinteroAt === undefined ? {} : { dinteroAt }) });
    if (through >= total) break;
    before = through;
  }
  return { type: 'RecordExternalRefunds', data: { transactionId: tx.id, refunds: parts, source, at } };
}

const SESSION_ERRORS: ReadonlyMap<string, DinteroErrorKind> = new Map([
  ['CANCELLED', 'cancelled'],
  ['DECLINED', 'authorization'],
  ['FAILED', 'failed'],
  ['PAY_FAILED', 'failed'],
]);

/**
 * Session events that overturn a refusal before them: another try (`INITIATED`), or an outcome Dintero cannot tell
 * (`UNKNOWN`). (`COMPLETED`, whose meaning Dintero does not document, and the notices are not.)
 */
const SESSION_OUTCOMES: ReadonlySet<string> = new Set(['INITIATED', 'UNKNOWN', ...SESSION_ERRORS.keys()]);

/**
 * The error Dintero's session shows without a transaction: cancelled (`cancelled_at`), or its last refusal, try or
 * unknown outcome when that is a `CANCELLED`, `DECLINED`, `FAILED` or `PAY_FAILED` (a refusal followed by
 * another try, or by an outcome Dintero cannot tell, is none). What a callback with `error` would have said, for a
 * reader whose callback never came; nothing when the session shows none.
 */
export function sessionError(session: DinteroSession): DinteroErrorKind | undefined {
  if (session.cancelled_at !== undefined) return 'cancelled';
  // An event without a name (the specification's are all optional) is none of these.
  const last = [...(session.events ?? [])].reverse().find((each) => SESSION_OUTCOMES.has(each.name ?? ''));
  return last && SESSION_ERRORS.get(last.name ?? '');
}

/**
 * When Dintero's session says an error without a transaction happened: its cancel (`cancelled_at`, or its last
 * `CANCELLED` event), or its last `DECLINED` or `FAILED` event for a refusal. Nothing when the session does not say.
 */
export function sessionErrorTime(session: DinteroSession, error: DinteroErrorKind): string | undefined {
  const names = [...SESSION_ERRORS].filter(([, kind]) => kind === error).map(([name]) => name);
  const event = [...(session.events ?? [])].reverse().find((each) => names.includes(each.name ?? ''));
  return instant((error === 'cancelled' ? session.cancelled_at : undefined) ?? event?.created_at);
}

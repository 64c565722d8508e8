import type { RecordedEvent } from '@app/event-store';
import { dayBefore, localParts } from './oracle-history';

/**
 * The money figures finance reads, computed from the log by the rules of docs/consuming.md alone (not by the
 * projector's code): a fact counts on the store's local day of Dintero's time (the engine's when Dintero gave none);
 * a late capture is listed, never captured; a refund counts for the payment's store and terminal on its own day, in the
 * currency its events name (a late capture's own for a refund of one); an external refund is a refund (one more unless
 * `continued`), at no terminal (`refundedElsewhere`); a refund of a late capture, ours or external, is listed under
 * `lateCaptureRefunds` on its day (the rest of an external one added to its entry of that day, else listed `continued`),
 * and each entry of that late capture, on any day, lists that day under `refundedOn`; a terminal's
 * batch holds its captures and the refunds done at it, by Dintero's time, from just after its last close. A terminal's
 * `today` counts its store's latest local day with a fact it counts: a payment started at it (on the day the POS asked),
 * a payment of its ended (on the day rule above: Dintero's time, the engine's for a refusal to create the session,
 * which Dintero does not date), a refund done at it (in its own store's time zone, whichever store's payment it was).
 */
export interface Totals {
  capturedCount: number;
  capturedAmount: number;
  refundedCount: number;
  refundedAmount: number;
  net: number;
}
export interface DayFigures {
  currencies: Record<string, Totals>;
  counts: { declined: number; failed: number; cancelled: number; expired: number; voided: number; rejected: number };
  cardBrands: Record<string, number>;
  terminals: Record<
    string,
    { currencies: Record<string, { capturedCount: number; capturedAmount: number; refundedAmount: number }> }
  >;
  /** Refunds made at Dintero by none of the engine's, per currency: at no terminal. Absent while none. */
  refundedElsewhere?: Record<string, { refundedCount: number; refundedAmount: number }>;
  lateCaptures: {
    paymentId: string;
    terminalId: string;
    transactionId: string;
    amount: number;
    currency: string;
    endedAs: string;
    at: string;
    refundedOn?: string[];
  }[];
  /** Late captures given back this day, by refunds of ours or made elsewhere. Absent while none. */
  lateCaptureRefunds?: {
    paymentId: string;
    transactionId: string;
    refundId?: string;
    terminalId?: string;
    elsewhere?: true;
    continued?: true;
    amount: number;
    currency: string;
    at: string;
  }[];
}
export interface Figures {
  purchasesCount: number;
  purchasesAmount: number;
  reversalsCount: number;
  reversalsAmount: number;
}
export interface CloseFigures {
  day: string;
  recorded: Figures;
  currencies: Record<string, Figures>;
  mismatch: boolean;
}
/** A terminal's counts of one local day (`today`). */
export interface TerminalDay {
  date: string;
  payments: number;
  captured: number;
  declined: number;
  failed: number;
  cancelled: number;
  expired: number;
  voided: number;
  rejected: number;
  refunds: number;
}
export interface Expected {
  days: Record<string, DayFigures>;
  /** Each terminal's `today`, by `{storeId}.{terminalId}`: undefined while it counted nothing. */
  terminalDays: Record<string, TerminalDay | undefined>;
  openBatches: Record<string, { figures: Figures; currencies: Record<string, Figures> }>;
  closes: Record<string, CloseFigures>;
  /** Batches of devices swapped out, by `{storeId}.{terminalId}@{swap instant}`. */
  swappedOut: Record<string, { figures: Figures; currencies: Record<string, Figures> }>;
  /** Each store's `today`: its latest local day with a capture or refund, and that day's totals. */
  stores: Record<string, { date: string; totals: Record<string, Totals> } | undefined>;
}

/** The fields of the events the oracle reads, each where its events have it. */
interface EventData {
  readonly storeId: string;
  readonly terminalId: string;
  readonly timeZone: string;
  readonly dinteroTerminalId: string;
  readonly operationId: string;
  readonly refundId: string;
  readonly transactionId: string;
  readonly currency: string;
  readonly endedAs: string;
  readonly amount: number;
  readonly requestedAt?: string;
  readonly at?: string;
  readonly dinteroAt?: string;
  readonly capturedAmount?: number;
  readonly continued?: true;
  readonly lateCapture?: true;
  readonly card?: { readonly brand?: string };
  readonly batch?: Partial<Figures>;
}

export const emptyDay = (): DayFigures => ({
  currencies: {},
  counts: { declined: 0, failed: 0, cancelled: 0, expired: 0, voided: 0, rejected: 0 },
  cardBrands: {},
  terminals: {},
  lateCaptures: [],
});
const NONE: Figures = { purchasesCount: 0, purchasesAmount: 0, reversalsCount: 0, reversalsAmount: 0 };
/** How many days after a fact's own its close may be and still be corrected by it (consuming: late closes). */
const LATE_CLOSE_DAYS = 7;

interface BatchFact {
  readonly t: number;
  readonly at?: string;
  readonly kind: 'purchase' | 'reversal';
  readonly amount: number;
  readonly currency: string;
  readonly count: 0 | 1;
  readonly position: bigint;
}

export function expected(log: readonly RecordedEvent[]): Expected {
  const zones = new Map<string, string>();
  const terminalStores = new Map<string, string>();
  const payments = new Map<string, { storeId: string; terminalId: string; currency: string }>();
  const refunds = new Map<
    string,
    { amount: number; terminalId: string; currency: string | undefined; transactionId: string | undefined }
  >();
  /** The store days each late capture's refunds are listed on, by `{paymentId} {transactionId}`. */
  const givenBackOn = new Map<string, Set<string>>();
  const givenBack = (paymentId: string, transactionId: string, storeId: string, at: string) => {
    const key = `${paymentId} ${transactionId}`;
    givenBackOn.set(key, (givenBackOn.get(key) ?? new Set()).add(localParts(Date.parse(at), zones.get(storeId)!).date));
  };
  const days: Record<string, DayFigures> = {};
  const facts = new Map<string, BatchFact[]>();
  const devices = new Map<string, string>();
  /** Each terminal's swaps: when another device took its name (the engine's time). */
  const swaps = new Map<string, number[]>();
  const closes = new Map<
    string,
    { operationId: string; storeId: string; closedAt: number; businessDay: string; position: bigint; batch: Figures }[]
  >();

  const latest = new Map<string, string>();
  const money = (storeId: string, at: string) => {
    const date = localParts(Date.parse(at), zones.get(storeId) ?? 'UTC').date;
    if (date > (latest.get(storeId) ?? '')) latest.set(storeId, date);
  };
  const dayOf = (storeId: string, at: string) => {
    const key = `${storeId}.${localParts(Date.parse(at), zones.get(storeId) ?? 'UTC').date}`;
    return (days[key] ??= emptyDay());
  };
  const totals = (day: DayFigures, currency: string) =>
    (day.currencies[currency] ??= { capturedCount: 0, capturedAmount: 0, refundedCount: 0, refundedAmount: 0, net: 0 });
  const terminalTotals = (day: DayFigures, terminalId: string, currency: string) =>
    ((day.terminals[terminalId] ??= { currencies: {} }).currencies[currency] ??= {
      capturedCount: 0,
      capturedAmount: 0,
      refundedAmount: 0,
    });
  const batchFact = (terminalId: string, fact: BatchFact) =>
    facts.set(terminalId, [...(facts.get(terminalId) ?? []), fact]);
  /** What each terminal counted, on which of its store's local days. */
  const counted = new Map<string, { date: string; field: Exclude<keyof TerminalDay, 'date'> }[]>();
  const countOn = (terminalId: string, instant: string, field: Exclude<keyof TerminalDay, 'date'>) => {
    const date = localParts(Date.parse(instant), zones.get(terminalStores.get(terminalId)!)!).date;
    counted.set(terminalId, [...(counted.get(terminalId) ?? []), { date, field }]);
  };
  const ENDED_AS = {
    PaymentCaptured: 'captured',
    PaymentDeclined: 'declined',
    PaymentFailed: 'failed',
    PaymentCancelled: 'cancelled',
    PaymentExpired: 'expired',
    PaymentVoided: 'voided',
    SessionCreationRejected: 'rejected',
  } as const;

  for (const event of log) {
    const data = event.data as EventData;
    // `at` is absent from a payment's request (its time is `requestedAt`), which counts on no day.
    const at = data.dinteroAt ?? data.at ?? event.metadata.occurredAt ?? '';
    const [stream, ...rest] = event.streamName.split('-');
    const id = rest.join('-');
    if (event.type === 'StoreRegistered') zones.set(data.storeId, data.timeZone);
    if (event.type === 'TerminalRegistered') terminalStores.set(data.terminalId, data.storeId);
    if (event.type === 'TerminalEnrolled') {
      const held = devices.get(data.terminalId);
      if (held !== undefined && held !== data.dinteroTerminalId)
        swaps.set(data.terminalId, [...(swaps.get(data.terminalId) ?? []), Date.parse(data.at!)]);
      devices.set(data.terminalId, data.dinteroTerminalId);
    }
    if (event.type === 'OperationCompleted' && data.batch) {
      const terminalId = event.metadata.terminalId as string;
      const list = closes.get(terminalId) ?? [];
      list.push({
        operationId: data.operationId,
        storeId: event.metadata.storeId as string,
        closedAt: Date.parse(data.dinteroAt ?? data.at!),
        businessDay: event.metadata.businessDay as string,
        position: event.position,
        batch: { ...NONE, ...data.batch },
      });
      closes.set(terminalId, list);
    }
    if (stream !== 'payment') continue;
    if (event.type === 'PaymentRequested')
      payments.set(id, { storeId: data.storeId, terminalId: data.terminalId, currency: data.currency });
    const payment = payments.get(id)!;
    if (event.type === 'PaymentRequested') countOn(payment.terminalId, data.requestedAt!, 'payments');
    if (event.type in ENDED_AS) countOn(payment.terminalId, at, ENDED_AS[event.type as keyof typeof ENDED_AS]);
    const fact = (kind: BatchFact['kind'], amount: number, count: 0 | 1, currency = payment.currency) =>
      ({ t: Date.parse(at), at, kind, amount, currency, count, position: event.position }) as const;
    if (
      [
        'PaymentCaptured',
        'FurtherCaptureRecorded',
        'RefundSucceeded',
        'LateRefundRecorded',
        'ExternalRefundRecorded',
      ].includes(event.type)
    )
      money(payment.storeId, at);
    switch (event.type) {
      case 'PaymentCaptured': {
        const day = dayOf(payment.storeId, at);
        const total = totals(day, payment.currency);
        total.capturedCount += 1;
        total.capturedAmount += data.amount;
        const terminal = terminalTotals(day, payment.terminalId, payment.currency);
        terminal.capturedCount += 1;
        terminal.capturedAmount += data.amount;
        if (data.card?.brand) day.cardBrands[data.card.brand] = (day.cardBrands[data.card.brand] ?? 0) + 1;
        batchFact(payment.terminalId, fact('purchase', data.amount, 1));
        break;
      }
      case 'FurtherCaptureRecorded': {
        const day = dayOf(payment.storeId, at);
        totals(day, payment.currency).capturedAmount += data.amount;
        terminalTotals(day, payment.terminalId, payment.currency).capturedAmount += data.amount;
        batchFact(payment.terminalId, fact('purchase', data.amount, 0));
        break;
      }
      case 'LateCaptureRecorded':
        dayOf(payment.storeId, at).lateCaptures.push({
          paymentId: id,
          terminalId: payment.terminalId,
          transactionId: data.transactionId,
          amount: data.amount,
          currency: data.currency,
          endedAs: data.endedAs,
          at,
        });
        // In its own currency, which need not be the payment's.
        batchFact(
          payment.terminalId,
          fact('purchase', data.amount, data.capturedAmount === undefined ? 1 : 0, data.currency),
        );
        break;
      case 'RefundRequested':
        refunds.set(data.refundId, {
          amount: data.amount,
          terminalId: data.terminalId,
          currency: data.currency,
          transactionId: data.transactionId,
        });
        break;
      case 'RefundSucceeded':
      case 'LateRefundRecorded': {
        const refund = refunds.get(data.refundId)!;
        countOn(refund.terminalId, at, 'refunds');
        // In the currency the refund names (the events of this version all do).
        const currency = refund.currency!;
        const day = dayOf(payment.storeId, at);
        const total = totals(day, currency);
        total.refundedCount += 1;
        total.refundedAmount += refund.amount;
        terminalTotals(day, payment.terminalId, currency).refundedAmount += refund.amount;
        batchFact(refund.terminalId, fact('reversal', refund.amount, 1, currency));
        if (refund.transactionId !== undefined) {
          (day.lateCaptureRefunds ??= []).push({
            paymentId: id,
            transactionId: refund.transactionId,
            refundId: data.refundId,
            terminalId: refund.terminalId,
            amount: refund.amount,
            currency,
            at,
          });
          givenBack(id, refund.transactionId, payment.storeId, at);
        }
        break;
      }
      case 'ExternalRefundRecorded': {
        const currency = data.currency;
        const day = dayOf(payment.storeId, at);
        const total = totals(day, currency);
        total.refundedCount += data.continued ? 0 : 1;
        total.refundedAmount += data.amount;
        // No terminal made it: beside the terminals, never in one's totals.
        const elsewhere = ((day.refundedElsewhere ??= {})[currency] ??= {
          refundedCount: 0,
          refundedAmount: 0,
        });
        elsewhere.refundedCount += data.continued ? 0 : 1;
        elsewhere.refundedAmount += data.amount;
        if (data.lateCapture) {
          const listed = (day.lateCaptureRefunds ??= []);
          const first = data.continued
            ? listed.findLast(
                (entry) => entry.elsewhere && entry.paymentId === id && entry.transactionId === data.transactionId,
              )
            : undefined;
          if (first) first.amount += data.amount;
          else
            listed.push({
              paymentId: id,
              transactionId: data.transactionId,
              elsewhere: true,
              ...(data.continued ? { continued: true as const } : {}),
              amount: data.amount,
              currency,
              at,
            });
          givenBack(id, data.transactionId, payment.storeId, at);
        }
        break;
      }
      case 'PaymentDeclined':
        dayOf(payment.storeId, at).counts.declined += 1;
        break;
      case 'PaymentFailed':
        dayOf(payment.storeId, at).counts.failed += 1;
        break;
      case 'PaymentCancelled':
        dayOf(payment.storeId, at).counts.cancelled += 1;
        break;
      case 'PaymentExpired':
        dayOf(payment.storeId, at).counts.expired += 1;
        break;
      case 'PaymentVoided':
        dayOf(payment.storeId, at).counts.voided += 1;
        break;
      case 'SessionCreationRejected':
        dayOf(payment.storeId, at).counts.rejected += 1;
        break;
    }
  }
  for (const day of Object.values(days)) {
    for (const total of Object.values(day.currencies)) total.net = total.capturedAmount - total.refundedAmount;
    for (const late of day.lateCaptures) {
      const on = givenBackOn.get(`${late.paymentId} ${late.transactionId}`);
      if (on) late.refundedOn = [...on].sort();
    }
  }

  const openBatches: Expected['openBatches'] = {};
  const swappedOut: Expected['swappedOut'] = {};
  const closeFigures: Expected['closes'] = {};
  for (const [terminalId, storeId] of terminalStores) {
    const zone = zones.get(storeId)!;
    const key = `${storeId}.${terminalId}`;
    const list = [...(closes.get(terminalId) ?? [])].sort((x, y) => x.closedAt - y.closedAt);
    const own = facts.get(terminalId) ?? [];
    // A batch ends at a close or at a swap (a fact at that very instant being the ending batch's).
    const ends = [
      ...list.map((close) => ({ at: close.closedAt, close })),
      ...(swaps.get(terminalId) ?? []).map((at) => ({ at, close: undefined })),
    ].sort((x, y) => x.at - y.at);
    const last = ends.at(-1);
    const open = own.filter((f) => last === undefined || f.t > last.at);
    openBatches[key] = { figures: sumOf(open), currencies: byCurrency(open) };
    ends.forEach((end, index) => {
      const previous = index > 0 ? ends[index - 1] : undefined;
      const inBatch = own.filter((f) => f.t <= end.at && (previous === undefined || f.t > previous.at));
      if (end.close === undefined) {
        swappedOut[`${key}@${new Date(end.at).toISOString()}`] = {
          figures: sumOf(inBatch),
          currencies: byCurrency(inBatch),
        };
        return;
      }
      const close = end.close;
      const held = inBatch.filter((f) => {
        // Reported once this close and a later one were in: corrected on this close's day, if that close is on one of
        // the days a close of the fact may be on. The terminal's first close too: naming no start of day (these
        // histories give none), it held every fact before it.
        const later =
          close.position < f.position &&
          list.some((other) => other.closedAt > close.closedAt && other.position < f.position);
        if (!later) return true;
        const date = localParts(f.t, zone).date;
        return close.businessDay >= dayBefore(date) && close.businessDay <= addDays(date, LATE_CLOSE_DAYS);
      });
      const recorded = sumOf(held);
      closeFigures[close.operationId] = {
        day: `${close.storeId}.${close.businessDay}`,
        recorded,
        currencies: byCurrency(held),
        mismatch: (Object.keys(NONE) as (keyof Figures)[]).some((field) => close.batch[field] !== recorded[field]),
      };
    });
  }
  const terminalDays: Expected['terminalDays'] = {};
  for (const [terminalId, storeId] of terminalStores) {
    const list = counted.get(terminalId) ?? [];
    const date = list
      .map((c) => c.date)
      .sort()
      .at(-1);
    if (date === undefined) {
      terminalDays[`${storeId}.${terminalId}`] = undefined;
      continue;
    }
    const today: TerminalDay = {
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
    for (const c of list) if (c.date === date) today[c.field] += 1;
    terminalDays[`${storeId}.${terminalId}`] = today;
  }
  const stores: Expected['stores'] = {};
  for (const storeId of zones.keys()) {
    const date = latest.get(storeId);
    stores[storeId] = date === undefined ? undefined : { date, totals: days[`${storeId}.${date}`]!.currencies };
  }
  return { days, terminalDays, openBatches, swappedOut, closes: closeFigures, stores };
}

function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

function sumOf(facts: readonly BatchFact[]): Figures {
  const figures = { ...NONE };
  for (const fact of facts)
    if (fact.kind === 'purchase') {
      figures.purchasesCount += fact.count;
      figures.purchasesAmount += fact.amount;
    } else {
      figures.reversalsCount += fact.count;
      figures.reversalsAmount += fact.amount;
    }
  return figures;
}

function byCurrency(facts: readonly BatchFact[]): Record<string, Figures> {
  const out: Record<string, Figures> = {};
  for (const currency of new Set(facts.map((f) => f.currency)))
    out[currency] = sumOf(facts.filter((f) => f.currency === currency));
  return nonZero(out);
}

/** Per-currency figures without the currencies at nothing (a projection may keep those, or not). */
export function nonZero(figures: Record<string, Figures> | undefined): Record<string, Figures> {
  return Object.fromEntries(
    Object.entries(figures ?? {}).filter(([, f]) => Object.values(f).some((value) => value !== 0)),
  );
}

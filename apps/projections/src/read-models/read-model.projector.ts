import type { RecordedEvent } from '@app/event-store';
import type { PaymentEndingEvent } from '@app/payment-domain';
import type {
  Change,
  CurrencyTotals,
  DayCounts,
  RefundOutcome,
  ReviewEntry,
  StoreDayDoc,
  StoreDoc,
  TerminalDoc,
  TerminalStatus,
} from './read-model.types';

interface PaymentContext {
  readonly storeId: string;
  readonly terminalId: string;
  readonly amount: number;
  readonly currency: string;
  readonly refunds: Map<string, number>;
  /** Ended and its terminal released: then it is forgotten (a late refund reads it back from the log). */
  ended: boolean;
  released: boolean;
}

type Data = Record<string, unknown>;

const NO_TOTALS: CurrencyTotals = { capturedCount: 0, capturedAmount: 0, refundedCount: 0, refundedAmount: 0, net: 0 };
const ENDED: Readonly<Record<PaymentEndingEvent, keyof StoreDayDoc['counts'] | 'captured' | 'rejected' | 'voided'>> = {
  PaymentCaptured: 'captured',
  PaymentDeclined: 'declined',
  PaymentFailed: 'failed',
  PaymentCancelled: 'cancelled',
  PaymentExpired: 'expired',
  SessionCreationRejected: 'rejected',
  PaymentVoided: 'voided',
};

/**
 * The three read models as a fold over the log: given the same events in the same order, the same
 * documents, whatever the start (docs/design.md invariant 5). No I/O and no clock: time comes from the events,
 * days from the store's time zone. `apply` returns the documents an event changed, for the rim to write
 * to KV and publish.
 */
export class ReadModelProjector {
  private readonly terminals = new Map<string, TerminalDoc>();
  private readonly stores = new Map<string, StoreDoc>();
  private readonly days = new Map<string, StoreDayDoc>();
  private readonly payments = new Map<string, PaymentContext>();
  private readonly storeTerminals = new Map<string, Set<string>>();
  /** Terminal ids are global: the store of each terminal seen, for releases that do not name it. */
  private readonly terminalStores = new Map<string, string>();
  /** The event being applied, and the documents it changed so far. */
  private current = 0n;
  /** The time of the event being applied: when a terminal's status changes, its `statusSince`. */
  private currentAt = '';
  private readonly touched = new Set<string>();

  /** Documents loaded from KV at start (the projector then continues from their position). */
  load(change: Change): void {
    const { model, key, doc } = upgraded(change);
    if (model === 'terminal') {
      this.terminals.set(key, doc);
      this.terminalsOf(doc.storeId).add(key);
      this.terminalStores.set(doc.terminalId, doc.storeId);
    } else if (model === 'store') this.stores.set(key, doc);
    else this.days.set(key, doc);
  }

  /**
   * The documents this event changes. A document loaded at or past this event's position already holds
   * its effect (a crash after writing it, before the checkpoint) and is left as it is: that is what makes
   * replaying from the checkpoint effectively once.
   */
  apply(event: RecordedEvent): Change[] {
    this.current = event.position;
    this.touched.clear();
    const position = event.position.toString();
    const data = event.data as Data;
    this.currentAt =
      [data.at, data.claimedAt, event.metadata.occurredAt].find((v): v is string => typeof v === 'string') ?? '';
    const changes = new Map<string, Change>();
    const put = (change: Change) => changes.set(`${change.model}:${change.key}`, change);
    if (event.streamName.startsWith('store-')) this.onStore(event.type, data, position, put);
    else if (event.streamName.startsWith('terminal-')) this.onTerminal(event.type, data, position, put);
    else if (event.streamName.startsWith('payment-'))
      this.onPayment(event.streamName.slice('payment-'.length), event, data, position, put);
    return [...changes.values()];
  }

  /**
   * The payment whose start this event needs and the projector has not seen (it was before the checkpoint
   * it resumed from): the rim reads that payment's `PaymentRequested` and hands it to `rememberPayment`.
   */
  missingPayment(event: RecordedEvent): string | undefined {
    const data = event.data as Data;
    const paymentId = event.streamName.startsWith('payment-')
      ? event.streamName.slice('payment-'.length)
      : event.type === 'TerminalReleased' && typeof data.storeId !== 'string'
        ? String(data.paymentId)
        : undefined;
    if (paymentId === undefined || event.type === 'PaymentRequested' || this.payments.has(paymentId)) return undefined;
    return paymentId;
  }

  /**
   * A payment's events before `before` (read from its stream), to know its store, terminal, amount and
   * refunds, without changing any document.
   */
  rememberPayment(events: readonly RecordedEvent[], before: bigint): void {
    for (const event of events) {
      if (event.position >= before) return;
      const data = event.data as Data;
      if (event.type === 'PaymentRequested') {
        this.payments.set(String(data.paymentId), {
          storeId: String(data.storeId),
          terminalId: String(data.terminalId),
          amount: Number(data.amount),
          currency: String(data.currency),
          refunds: new Map(),
          ended: false,
          released: false,
        });
      } else if (event.type === 'RefundRequested') {
        const paymentId = event.streamName.slice('payment-'.length);
        this.payments.get(paymentId)?.refunds.set(String(data.refundId), Number(data.amount));
      } else if (event.type === 'RefundSucceeded' || event.type === 'RefundFailed') {
        this.payments.get(event.streamName.slice('payment-'.length))?.refunds.delete(String(data.refundId));
      } else if (event.type in ENDED) {
        // Read back after it ended: its terminal was released long ago, so it may be forgotten again.
        const payment = this.payments.get(event.streamName.slice('payment-'.length));
        if (payment) Object.assign(payment, { ended: true, released: true });
      }
    }
  }

  /** Every document, e.g. to write a rebuild out or hand it over. */
  documents(): Change[] {
    return [
      ...[...this.stores].map(([key, doc]) => ({ model: 'store' as const, key, doc })),
      ...[...this.terminals].map(([key, doc]) => ({ model: 'terminal' as const, key, doc })),
      ...[...this.days].map(([key, doc]) => ({ model: 'store-day' as const, key, doc })),
    ];
  }

  /** Terminals busy with a payment or refund, over every store. */
  busyTerminals(): number {
    let busy = 0;
    for (const store of this.stores.values()) busy += store.terminals.busy;
    return busy;
  }

  /** Every store, e.g. for the dashboard's first view. */
  allStores(): StoreDoc[] {
    return [...this.stores.values()];
  }

  /** The terminals of a store, for the `store-terminals` query. */
  terminalsOfStore(storeId: string): TerminalDoc[] {
    return [...(this.storeTerminals.get(storeId) ?? [])].map((key) => this.terminals.get(key)!);
  }

  terminal(storeId: string, terminalId: string): TerminalDoc | undefined {
    return this.terminals.get(`${storeId}.${terminalId}`);
  }

  store(storeId: string): StoreDoc | undefined {
    return this.stores.get(storeId);
  }

  storeDay(storeId: string, date: string): StoreDayDoc | undefined {
    return this.days.get(`${storeId}.${date}`);
  }

  private onStore(type: string, data: Data, position: string, put: (change: Change) => void): void {
    const storeId = String(data.storeId);
    switch (type) {
      case 'StoreRegistered':
      case 'StoreDetailsChanged': {
        const store = this.storeDoc(storeId);
        this.putStore({ ...store, name: String(data.name), timeZone: String(data.timeZone), position }, put);
        return;
      }
      case 'TerminalRegistered':
      case 'TerminalReactivated':
      case 'TerminalDeactivated': {
        const terminal = this.terminalDoc(storeId, String(data.terminalId));
        const status: TerminalStatus =
          type === 'TerminalDeactivated' ? 'deactivated' : terminal.active ? terminal.status : 'idle';
        this.putTerminal({ ...terminal, status, position }, put);
        return;
      }
    }
  }

  private onTerminal(type: string, data: Data, position: string, put: (change: Change) => void): void {
    // Releases name their claim's store; older ones are found through the payment or the terminal.
    const storeId =
      typeof data.storeId === 'string'
        ? data.storeId
        : (this.payments.get(String(data.paymentId))?.storeId ?? this.terminalStores.get(String(data.terminalId)));
    if (storeId === undefined) return;
    const terminal = this.terminalDoc(storeId, String(data.terminalId));
    if (type === 'TerminalClaimed') {
      const kind = data.kind === 'refund' ? 'refund' : 'payment';
      this.putTerminal(
        {
          ...terminal,
          status: terminal.status === 'deactivated' ? 'deactivated' : kind === 'refund' ? 'refunding' : 'starting',
          active: {
            kind,
            paymentId: String(data.paymentId),
            since: String(data.claimedAt),
            ...(typeof data.expiresAt === 'string' ? { expiresAt: data.expiresAt } : {}),
          },
          lastHeardAt: String(data.claimedAt),
          position,
        },
        put,
      );
    } else if (type === 'TerminalReleased') {
      if (terminal.active?.paymentId === data.paymentId) {
        const { active: _active, ...rest } = terminal;
        this.putTerminal(
          {
            ...rest,
            status: terminal.status === 'deactivated' ? 'deactivated' : 'idle',
            lastHeardAt: String(data.at),
            position,
          },
          put,
        );
      }
      const payment = this.payments.get(String(data.paymentId));
      if (payment && data.claimId === data.paymentId) {
        payment.released = true;
        this.forgetIfDone(String(data.paymentId), payment);
      }
    }
  }

  /** Memory follows the open payments: an ended, released payment with no refund under way is dropped. */
  private forgetIfDone(paymentId: string, payment: PaymentContext): void {
    if (payment.ended && payment.released && payment.refunds.size === 0) this.payments.delete(paymentId);
  }

  private onPayment(
    paymentId: string,
    event: RecordedEvent,
    data: Data,
    position: string,
    put: (change: Change) => void,
  ) {
    if (event.type === 'PaymentRequested') this.rememberPayment([event], event.position + 1n);
    const payment = this.payments.get(paymentId);
    if (!payment) return;
    // The business day is when Dintero says it happened (a capture at 23:59:56 heard of at 00:00:10 belongs
    // to the day before); the receipt time only when Dintero gave none.
    const at =
      [data.dinteroAt, data.at, data.requestedAt, event.metadata.occurredAt].find(
        (v): v is string => typeof v === 'string',
      ) ?? '';
    const date = localDate(at, this.storeDoc(payment.storeId).timeZone);
    const terminal = this.terminalDoc(payment.storeId, payment.terminalId);
    const isActive = terminal.active?.paymentId === paymentId;
    const heard = { ...terminal, lastHeardAt: at, position };

    // Dintero can tell again what happens to a payment flagged as unknown: it leaves the store's review list.
    if (
      (event.type === 'TransactionStarted' || event.type === 'PaymentOnHold' || event.type === 'PaymentAuthorized') &&
      this.storeDoc(payment.storeId).review?.some((entry) => entry.paymentId === paymentId)
    )
      this.changeStoreReview(payment.storeId, position, put, (review) =>
        review.filter((entry) => entry.paymentId !== paymentId),
      );
    switch (event.type) {
      case 'PaymentRequested':
        return this.putTerminal({ ...heard, today: count(terminal.today, date, 'payments') }, put);
      case 'SessionCreated':
        return this.putTerminal(
          isActive && terminal.status !== 'deactivated' ? { ...heard, status: 'awaiting_card' } : heard,
          put,
        );
      case 'CancellationRequested':
        return this.putTerminal(
          isActive && terminal.status !== 'deactivated' ? { ...heard, status: 'cancelling' } : heard,
          put,
        );
      case 'RefundRequested':
        payment.refunds.set(String(data.refundId), Number(data.amount));
        return;
      case 'RefundFailed': {
        const amount = payment.refunds.get(String(data.refundId)) ?? 0;
        payment.refunds.delete(String(data.refundId));
        this.forgetIfDone(paymentId, payment);
        const lastRefund = refundOutcome(paymentId, String(data.refundId), 'refund_failed', amount, payment, at);
        return this.putTerminal({ ...heard, lastRefund }, put);
      }
      case 'RefundSucceeded': {
        const amount = payment.refunds.get(String(data.refundId)) ?? 0;
        payment.refunds.delete(String(data.refundId));
        this.forgetIfDone(paymentId, payment);
        const lastRefund = refundOutcome(paymentId, String(data.refundId), 'refunded', amount, payment, at);
        this.putTerminal({ ...heard, lastRefund, today: count(terminal.today, date, 'refunds') }, put);
        this.changeDay(payment, date, position, put, (day) => ({
          ...day,
          currencies: addTotals(day.currencies, payment.currency, { refundedCount: 1, refundedAmount: amount }),
          terminals: addTerminal(day.terminals, payment.terminalId, { refundedAmount: amount }),
        }));
        return this.changeStoreToday(payment, date, position, put, { refundedCount: 1, refundedAmount: amount });
      }
      case 'PaymentFlaggedForReview':
        return this.changeStoreReview(payment.storeId, position, put, (review) => [
          ...review.filter((entry) => entry.paymentId !== paymentId),
          {
            paymentId,
            terminalId: payment.terminalId,
            reason: String(data.reason),
            ...(typeof data.transactionId === 'string' ? { transactionId: data.transactionId } : {}),
            since: String(data.since),
            at: String(data.at),
          },
        ]);
      case 'LateCaptureRecorded':
        return this.changeDay(payment, date, position, put, (day) => ({
          ...day,
          lateCaptures: [
            ...day.lateCaptures,
            {
              paymentId,
              terminalId: payment.terminalId,
              transactionId: String(data.transactionId),
              amount: Number(data.amount),
              currency: String(data.currency),
              endedAs: String(data.endedAs),
              at,
            },
          ],
        }));
    }

    const ending = event.type in ENDED ? ENDED[event.type as PaymentEndingEvent] : undefined;
    if (!ending) return;
    payment.ended = true;
    this.forgetIfDone(paymentId, payment);
    if (this.storeDoc(payment.storeId).review?.some((entry) => entry.paymentId === paymentId))
      this.changeStoreReview(payment.storeId, position, put, (review) =>
        review.filter((entry) => entry.paymentId !== paymentId),
      );
    const amount = event.type === 'PaymentCaptured' ? Number(data.amount) : payment.amount;
    const outcome = { paymentId, status: ending, amount, currency: payment.currency, at };
    const counted = ending === 'captured' || ending in { declined: 1, failed: 1, cancelled: 1, expired: 1 };
    this.putTerminal(
      {
        ...heard,
        ...(isActive && terminal.status !== 'deactivated' && terminal.status !== 'refunding'
          ? { status: 'idle' as const }
          : {}),
        lastOutcome: outcome,
        ...(counted ? { today: count(terminal.today, date, ending as keyof Omit<DayCounts, 'date'>) } : {}),
      },
      put,
    );
    if (ending === 'captured') {
      const card = (data.card ?? {}) as { brand?: string; entryMethod?: string };
      this.changeDay(payment, date, position, put, (day) => ({
        ...day,
        currencies: addTotals(day.currencies, payment.currency, { capturedCount: 1, capturedAmount: amount }),
        cardBrands: card.brand ? increment(day.cardBrands, card.brand) : day.cardBrands,
        entryMethods: card.entryMethod ? increment(day.entryMethods, card.entryMethod) : day.entryMethods,
        terminals: addTerminal(day.terminals, payment.terminalId, { capturedCount: 1, capturedAmount: amount }),
      }));
      this.changeStoreToday(payment, date, position, put, { capturedCount: 1, capturedAmount: amount });
    } else if (ending in { declined: 1, failed: 1, cancelled: 1, expired: 1 }) {
      const key = ending as keyof StoreDayDoc['counts'];
      this.changeDay(payment, date, position, put, (day) => ({
        ...day,
        counts: { ...day.counts, [key]: day.counts[key] + 1 },
      }));
    }
  }

  private changeDay(
    payment: PaymentContext,
    date: string,
    position: string,
    put: (change: Change) => void,
    change: (day: StoreDayDoc) => StoreDayDoc,
  ): void {
    const key = `${payment.storeId}.${date}`;
    const day = this.days.get(key) ?? emptyDay(payment.storeId, date, this.storeDoc(payment.storeId).timeZone);
    if (this.alreadyApplied(`store-day:${key}`, day.position)) return;
    const doc = { ...change(day), position };
    this.days.set(key, doc);
    put({ model: 'store-day', key, doc });
  }

  private changeStoreToday(
    payment: PaymentContext,
    date: string,
    position: string,
    put: (change: Change) => void,
    delta: Partial<CurrencyTotals>,
  ): void {
    const store = this.storeDoc(payment.storeId);
    // "Today" is the day of the latest fact: an older day's fact arriving late changes only its store-day.
    if (store.today && store.today.date > date) return;
    const totals = store.today?.date === date ? store.today.totals : {};
    this.putStore({ ...store, today: { date, totals: addTotals(totals, payment.currency, delta) }, position }, put);
  }

  /** The store's payments waiting for a person, changed (an empty list is left out of the document). */
  private changeStoreReview(
    storeId: string,
    position: string,
    put: (change: Change) => void,
    change: (review: readonly ReviewEntry[]) => ReviewEntry[],
  ): void {
    const { review: current, ...store } = this.storeDoc(storeId);
    const review = change(current ?? []);
    this.putStore({ ...store, ...(review.length > 0 ? { review } : {}), position }, put);
  }

  private putTerminal(changed: TerminalDoc, put: (change: Change) => void): void {
    const key = `${changed.storeId}.${changed.terminalId}`;
    const held = this.terminals.get(key);
    const doc: TerminalDoc =
      held?.status === changed.status || this.currentAt === '' ? changed : { ...changed, statusSince: this.currentAt };
    this.terminalStores.set(doc.terminalId, doc.storeId);
    if (!this.alreadyApplied(`terminal:${key}`, held?.position)) {
      this.terminals.set(key, doc);
      this.terminalsOf(doc.storeId).add(key);
      put({ model: 'terminal', key, doc });
    }
    // The store counts busy and idle terminals: recount it whenever one of them changes, and also when the
    // terminal already held this event (a crash may have written it and not the store).
    const busy = { busy: 0, idle: 0, deactivated: 0 };
    for (const terminalKey of this.terminalsOf(doc.storeId)) {
      const status = this.terminals.get(terminalKey)!.status;
      busy[status === 'deactivated' ? 'deactivated' : status === 'idle' ? 'idle' : 'busy'] += 1;
    }
    const store = this.storeDoc(doc.storeId);
    const same =
      store.terminals.busy === busy.busy &&
      store.terminals.idle === busy.idle &&
      store.terminals.deactivated === busy.deactivated;
    if (!same) this.putStore({ ...store, terminals: busy, position: doc.position }, put);
  }

  private putStore(doc: StoreDoc, put: (change: Change) => void): void {
    if (this.alreadyApplied(`store:${doc.storeId}`, this.stores.get(doc.storeId)?.position)) return;
    this.stores.set(doc.storeId, doc);
    put({ model: 'store', key: doc.storeId, doc });
  }

  /** True when the document's stored position shows this event in it already (and not by this very apply). */
  private alreadyApplied(key: string, storedPosition: string | undefined): boolean {
    if (this.touched.has(key)) return false;
    this.touched.add(key);
    return storedPosition !== undefined && BigInt(storedPosition) >= this.current;
  }

  private storeDoc(storeId: string): StoreDoc {
    return (
      this.stores.get(storeId) ?? {
        storeId,
        timeZone: 'UTC',
        terminals: { busy: 0, idle: 0, deactivated: 0 },
        position: '0',
      }
    );
  }

  private terminalDoc(storeId: string, terminalId: string): TerminalDoc {
    return this.terminals.get(`${storeId}.${terminalId}`) ?? { storeId, terminalId, status: 'idle', position: '0' };
  }

  private terminalsOf(storeId: string): Set<string> {
    let keys = this.storeTerminals.get(storeId);
    if (!keys) this.storeTerminals.set(storeId, (keys = new Set()));
    return keys;
  }
}

/**
 * A document as this version writes it. Before `deactivated` was its name, a deactivated terminal was
 * `offline` (and a store counted `offline` terminals): documents kept in KV from then are read the new way.
 */
function upgraded(change: Change): Change {
  if (change.model === 'terminal' && (change.doc.status as string) === 'offline')
    return { ...change, doc: { ...change.doc, status: 'deactivated' } };
  if (change.model === 'store' && change.doc.terminals.deactivated === undefined) {
    const { offline = 0, ...counts } = change.doc.terminals as StoreDoc['terminals'] & { offline?: number };
    return { ...change, doc: { ...change.doc, terminals: { ...counts, deactivated: offline } } };
  }
  return change;
}

function refundOutcome(
  paymentId: string,
  refundId: string,
  status: RefundOutcome['status'],
  amount: number,
  payment: PaymentContext,
  at: string,
): RefundOutcome {
  return { paymentId, refundId, status, amount, currency: payment.currency, at };
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** `yyyy-mm-dd` of an instant in a time zone. */
export function localDate(instant: string, timeZone: string): string {
  let format = dateFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dateFormats.set(timeZone, format);
  }
  return format.format(new Date(instant));
}

function emptyDay(storeId: string, date: string, timeZone: string): StoreDayDoc {
  return {
    storeId,
    date,
    timeZone,
    currencies: {},
    counts: { declined: 0, failed: 0, cancelled: 0, expired: 0 },
    cardBrands: {},
    entryMethods: {},
    terminals: {},
    lateCaptures: [],
    position: '0',
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
      : { date, payments: 0, captured: 0, declined: 0, failed: 0, cancelled: 0, expired: 0, refunds: 0 };
  return { ...base, [field]: base[field] + 1 };
}

function addTotals(
  totals: Readonly<Record<string, CurrencyTotals>>,
  currency: string,
  delta: Partial<CurrencyTotals>,
): Record<string, CurrencyTotals> {
  const current = totals[currency] ?? NO_TOTALS;
  const next = {
    capturedCount: current.capturedCount + (delta.capturedCount ?? 0),
    capturedAmount: current.capturedAmount + (delta.capturedAmount ?? 0),
    refundedCount: current.refundedCount + (delta.refundedCount ?? 0),
    refundedAmount: current.refundedAmount + (delta.refundedAmount ?? 0),
    net: 0,
  };
  return { ...totals, [currency]: { ...next, net: next.capturedAmount - next.refundedAmount } };
}

function addTerminal(
  terminals: StoreDayDoc['terminals'],
  terminalId: string,
  delta: { capturedCount?: number; capturedAmount?: number; refundedAmount?: number },
): StoreDayDoc['terminals'] {
  const current = terminals[terminalId] ?? { capturedCount: 0, capturedAmount: 0, refundedAmount: 0 };
  return {
    ...terminals,
    [terminalId]: {
      capturedCount: current.capturedCount + (delta.capturedCount ?? 0),
      capturedAmount: current.capturedAmount + (delta.capturedAmount ?? 0),
      refundedAmount: current.refundedAmount + (delta.refundedAmount ?? 0),
    },
  };
}

function increment(counts: Readonly<Record<string, number>>, key: string): Record<string, number> {
  return { ...counts, [key]: (counts[key] ?? 0) + 1 };
}

import { endsBetween, type ActivityItem } from './activity';
import type { RecordedEvent } from '@app/event-store';
import { asDomainEvent, localDate, type PaymentEvent, type StoreEvent, type TerminalEvent } from '@app/payment-domain';
import type { Fact } from './projections/fact';
import { stringField } from './string-field';
import { emptyStoreDay, storeDayProjection, withLateCaptureRefunded } from './projections/store-day.projection';
import { countedAs, storeProjection, withTerminalCounts } from './projections/store.projection';
import { emptyTerminal, terminalProjection } from './projections/terminal.projection';
import { closesHeld, countedBeforeLastBatch, deviceRead } from './projections/terminal-batch';
import type { Change, StoreDayDoc, StoreDoc, TerminalDoc } from './read-model.types';
import { givenBackOf, noteLateDay, noteLateRefundDay, refundedBefore } from './late-capture-days';
import { paymentFactTime } from './payment-fact-time';
import { PaymentMemory } from './payment-memory';
import { ReadModelDocuments, stamped, type Put } from './read-model.documents';
import type { UnreadableTimes } from './close-completions';
import { TerminalCloses } from './terminal-closes';
import { StoreZones } from './store-zones';
import type { StoreDays } from './store-days';

export type { Put } from './read-model.documents';
export type { UnreadableTimes } from './close-completions';

/**
 * The three read models as a fold over the log: given the same events in the same order, the same
 * documents, whatever the start (docs/design.md invariant 5). No I/O and no clock: time comes from the events,
 * days from the store's time zone. Each read model is a pure projection (`projections/`): this class keeps
 * their documents (`ReadModelDocuments`) and what they need of a payment (its store, terminal, amount and open
 * refunds: `PaymentMemory`), turns each recorded event into a typed fact, hands the terminals' batches and closes
 * to `TerminalCloses`, and returns the documents it changed, for the rim to write to KV and publish.
 */
export class ReadModelProjector {
  private readonly docs = new ReadModelDocuments();
  private readonly closes = new TerminalCloses(this.docs);
  /** Each store's time zones by position: the zone in force at a fact read back from the log. */
  private readonly zones = new StoreZones();
  private readonly memory = new PaymentMemory();
  /** The last event typed, and its type (`typed`). */
  private lastRecorded: RecordedEvent | undefined;
  private lastTyped: ReturnType<typeof asDomainEvent>;

  /**
   * Told of each payment's or refund's end a terminal's document shows as it changes (`endsBetween`), for the live
   * dashboard: a flush writes only a terminal's last document, which shows only its last payment and refund.
   */
  onEnds: ((ends: readonly ActivityItem[]) => void) | undefined;

  /**
   * Told of an event with a time the fold cannot read (`closeTimes`) as it folds it: the fold takes the time as unknown
   * and goes on, and a person should look at the event.
   */
  get onUnreadable(): ((unreadable: UnreadableTimes) => void) | undefined {
    return this.closes.completions.onUnreadable;
  }

  set onUnreadable(told: ((unreadable: UnreadableTimes) => void) | undefined) {
    this.closes.completions.onUnreadable = told;
  }

  /** Documents loaded from KV at start (the projector then continues from their position). */
  load(change: Change): void {
    this.docs.load(change);
  }

  /**
   * The documents this event changes. A document loaded at or past this event's position already holds
   * its effect (a crash after writing it, before the checkpoint) and is left as it is: that is what makes
   * replaying from the checkpoint effectively once.
   */
  apply(recorded: RecordedEvent): Change[] {
    const changes = new Map<string, Change>();
    this.applyEach(recorded, (change) => changes.set(`${change.model}:${change.key}`, change));
    return [...changes.values()];
  }

  /**
   * `apply` for a rim that keeps changes by document: each changed document is handed to `put` as it changes,
   * so one event may hand over the same document twice (the later one stands).
   */
  applyEach(recorded: RecordedEvent, put: Put): void {
    this.docs.begin(recorded.position);
    const typed = this.typed(recorded);
    if (!typed) return;
    const position = recorded.position.toString();
    // A payment's request is timed by its data (`requestedAt`), as every other fact of the engine's: its metadata's
    // `occurredAt` is the same instant, and a rebuild, which parses metadata only when read, then parses none.
    const recordedAt =
      stringField(typed.event.data, 'at') ??
      stringField(typed.event.data, 'claimedAt') ??
      stringField(typed.event.data, 'requestedAt') ??
      recorded.metadata.occurredAt ??
      '';
    if (typed.stream === 'store') this.onStore(typed.event, recordedAt, position, put);
    else if (typed.stream === 'terminal') this.onTerminal(typed.event, recordedAt, position, put);
    else if (typed.stream === 'payment') this.onPayment(typed.id, typed.event, recorded, recordedAt, position, put);
    else if (typed.stream === 'operation') this.closes.onOperation(typed.id, typed.event, recorded, position, put);
    // The nightly close's switches concern no read model (nor are they projected: not among the streams read).
  }

  /**
   * The payment whose start this event needs and the projector has not seen (it was before the checkpoint
   * it resumed from): the rim reads that payment's `PaymentRequested` and hands it to `rememberPayment`.
   */
  missingPayment(recorded: RecordedEvent): string | undefined {
    const typed = this.typed(recorded);
    const paymentId =
      typed?.stream === 'payment'
        ? typed.id
        : typed?.event.type === 'TerminalReleased' && typed.event.data.storeId === undefined
          ? typed.event.data.paymentId
          : undefined;
    if (paymentId === undefined || recorded.type === 'PaymentRequested' || this.memory.knows(paymentId))
      return undefined;
    return paymentId;
  }

  /**
   * The store whose time zones the rim reads from the log (its stream, to `learnZones`) before `rememberPayment` of
   * `events`, a payment's stream: a payment with money captured late, whose refunds are listed on days in the zone in
   * force then (`noteLateRefundDay`), of a store whose zones before the fold's start are not known. Else undefined.
   */
  zonesWanted(events: readonly RecordedEvent[], before: bigint): string | undefined {
    let storeId: string | undefined;
    let capturedLate = false;
    for (const recorded of events) {
      if (recorded.position >= before) break;
      if (recorded.type === 'PaymentRequested') storeId = stringField(recorded.data, 'storeId');
      else if (recorded.type === 'LateCaptureRecorded') capturedLate = true;
    }
    return storeId !== undefined && capturedLate && !this.zones.whole(storeId) ? storeId : undefined;
  }

  /** A store's events, read from its stream: the time zones it had, at their positions (see `zonesWanted`). */
  learnZones(storeId: string, storeEvents: readonly RecordedEvent[]): void {
    this.zones.learn(storeId, storeEvents);
  }

  /**
   * A payment's events before `before` (read from its stream), to know its store, terminal, amount and
   * refunds, without changing any document.
   */
  rememberPayment(events: readonly RecordedEvent[], before: bigint): void {
    for (const recorded of events) {
      if (recorded.position >= before) return;
      const typed = asDomainEvent(recorded);
      if (typed?.stream !== 'payment') continue;
      const payment = this.memory.get(typed.id);
      if (payment) {
        noteLateDay(payment, typed.event, recorded);
        noteLateRefundDay(payment, typed.event, recorded, this.zones, this.docs);
      }
      this.memory.remember(typed.id, typed.event, true);
    }
  }

  /**
   * The operation whose request this event needs read back from the log (`operation-{id}`, to `rememberOperation`):
   * a completion without the terminal's batch that may be of an end-of-day close let go of beyond the 50 kept pending,
   * its events naming no store day (`CloseCompletions.wantsRequest`). Else undefined.
   */
  missingOperation(recorded: RecordedEvent): string | undefined {
    if (recorded.type !== 'OperationCompleted') return undefined;
    const typed = this.typed(recorded);
    if (typed?.stream !== 'operation') return undefined;
    const close = this.closes.completions.closeOf(typed.event, recorded);
    return close && this.closes.completions.wantsRequest(close, typed.id, recorded) ? typed.id : undefined;
  }

  /** An operation's events (read from its stream): whether it is an end of day, for the completion folded next. */
  rememberOperation(operationId: string, events: readonly RecordedEvent[]): void {
    const requested = events.find((recorded) => recorded.type === 'OperationRequested');
    const typed = requested && asDomainEvent(requested);
    this.closes.completions.readRequest(operationId, typed?.stream === 'operation' ? typed.event : undefined);
  }

  /**
   * The store days this event changes that are out of the memory's window (see `StoreDays`) and not in
   * memory: the rim reads each back (from KV) and `load`s it, or finds none, before applying the event.
   * Asked after `missingPayment`, since a payment's days come from its store.
   */
  missingDays(recorded: RecordedEvent): string[] {
    if (!DAY_EVENTS.has(recorded.type) || !this.docs.days.anyKept) return [];
    const typed = this.typed(recorded);
    // Each day named is looked at as it is named, in the order named: out of the window and not held, it is read
    // back. Most events name none out of memory: no list of the days named, nor of the keys, is made for them.
    const keys = new MissingDays(this.docs.days);
    if (typed?.stream === 'payment') {
      const payment = this.memory.get(typed.id);
      if (!payment) return [];
      const { event } = typed;
      const at = paymentFactTime(event, recorded);
      if (storeDayProjection.handles.has(event.type))
        keys.add(payment.storeId, localDate(at, this.docs.storeDoc(payment.storeId).timeZone));
      // A late capture given back is marked so on the days it is listed on.
      const givenBack = givenBackOf(payment, event);
      for (const date of (givenBack && payment.lateDays?.get(givenBack)) || []) keys.add(payment.storeId, date);
      // A late capture or refund corrects its terminal's last close, and so that close's day.
      if (
        event.type === 'PaymentCaptured' ||
        event.type === 'FurtherCaptureRecorded' ||
        event.type === 'LateCaptureRecorded' ||
        event.type === 'RefundSucceeded' ||
        event.type === 'LateRefundRecorded'
      ) {
        const refund =
          event.type === 'LateRefundRecorded'
            ? undefined
            : payment.refunds?.get(stringField(event.data, 'refundId') ?? '');
        const refundTerminalId = event.type === 'LateRefundRecorded' ? event.data.terminalId : refund?.terminalId;
        // The device the fact was sent to, as the count reads it (`TerminalCloses.countInBatch`).
        const isRefund = event.type === 'RefundSucceeded' || event.type === 'LateRefundRecorded';
        const device = isRefund ? refund?.device : payment.device;
        for (const terminalId of [payment.terminalId, refundTerminalId]) {
          if (terminalId === undefined) continue;
          const storeId = this.docs.storeOfCounted(payment, terminalId);
          const terminal = this.docs.terminals.get(this.docs.terminalKey(storeId, terminalId));
          // Its last close, or one that ended while another pends (kept on the terminal until none does).
          for (const close of closesHeld(terminal))
            if (at !== '' && Date.parse(at) <= Date.parse(close.closedAt)) keys.add(storeId, close.businessDay);
          // Before the last close's batch (as the count finds the terminal, past the bound maybe): an older close is
          // corrected, on a day its close may be on.
          if (at !== '' && countedBeforeLastBatch(terminal, at, deviceRead(terminal, terminalId, device)))
            for (const date of this.closes.daysOfItsClose(storeId, at)) keys.add(storeId, date);
        }
      }
    } else if (typed?.stream === 'operation') {
      if (typed.event.type === 'CloseGivenUp') keys.add(typed.event.data.storeId, typed.event.data.businessDay);
      const close = this.closes.completions.closeOf(typed.event, recorded);
      if (close && this.closes.completions.closesBatch(close, typed.id, recorded)) {
        keys.add(close.storeId, close.businessDay);
        // The days whose close of the terminal was given up before it, marked closed since.
        for (const date of this.closes.daysClosedSince(close.storeId, close.closedAt)) keys.add(close.storeId, date);
        // A close whose batch a close let go of past a bound took says that one unknown, on a day a close of its batch
        // may be on (`TerminalCloses.countInOlderClose`).
        if (this.closes.losesBatch({ ...close, operationId: typed.id }))
          for (const date of this.closes.daysOfItsClose(close.storeId, close.closedAt)) keys.add(close.storeId, date);
        // A close before the terminal's last one, or one that ended while it pended (heard of after it), corrects
        // that close, on its day. Strictly before, as the fold takes it (`takingBatch`'s last close, `closeBeforeEnded`):
        // a close at the same instant as the later one leaves that one as it was.
        for (const later of closesHeld(this.docs.terminals.get(this.docs.terminalKey(close.storeId, close.terminalId))))
          if (Date.parse(close.closedAt) < Date.parse(later.closedAt)) keys.add(close.storeId, later.businessDay);
      }
    }
    return keys.found();
  }

  /**
   * The event typed (`asDomainEvent`), once for the rim's questions about it and its apply: the fold asks up to four
   * times of each event, and each answer was a new event object, a new answer and its stream's id cut out again.
   */
  private typed(recorded: RecordedEvent): ReturnType<typeof asDomainEvent> {
    if (this.lastRecorded !== recorded) {
      this.lastRecorded = recorded;
      this.lastTyped = asDomainEvent(recorded);
    }
    return this.lastTyped;
  }

  // The queries, answered by the documents held (`ReadModelDocuments`).

  retirePastDays(durableUpTo: bigint): Extract<Change, { model: 'store-day' }>[] {
    return this.docs.retirePastDays(durableUpTo);
  }

  documents(): Change[] {
    return this.docs.documents();
  }

  /** The payments held in memory: the open ones and those with a refund under way (the ended are let go). */
  paymentsHeld(): number {
    return this.memory.size;
  }

  busyTerminals(): number {
    return this.docs.busyTerminals();
  }

  closeMismatches(): number {
    return this.docs.closeMismatches();
  }

  allStores(): StoreDoc[] {
    return this.docs.allStores();
  }

  terminalsOfStore(storeId: string): TerminalDoc[] {
    return this.docs.terminalsOfStore(storeId);
  }

  terminal(storeId: string, terminalId: string): TerminalDoc | undefined {
    return this.docs.terminal(storeId, terminalId);
  }

  store(storeId: string): StoreDoc | undefined {
    return this.docs.store(storeId);
  }

  storeDay(storeId: string, date: string): StoreDayDoc | undefined {
    return this.docs.storeDay(storeId, date);
  }

  private onStore(event: StoreEvent, recordedAt: string, position: string, put: Put): void {
    const fact: Fact = { stream: 'store', event, recordedAt };
    const { storeId } = event.data;
    if (event.type === 'StoreRegistered' || event.type === 'StoreDetailsChanged')
      this.zones.note(storeId, this.docs.current, event.data.timeZone, event.type === 'StoreRegistered');
    if (storeProjection.handles.has(event.type)) this.evolveStore(storeId, fact, position, put);
    if (terminalProjection.handles.has(event.type) && 'terminalId' in event.data)
      this.evolveTerminal(storeId, event.data.terminalId, fact, position, put);
  }

  private onTerminal(event: TerminalEvent, recordedAt: string, position: string, put: Put): void {
    const { terminalId } = event.data;
    // Claims and releases name their store; older releases are found through the payment or the terminal.
    const storeId =
      event.type === 'TerminalAssigned' || event.type === 'TerminalClaimed'
        ? event.data.storeId
        : (event.data.storeId ??
          this.memory.get(event.data.paymentId)?.storeId ??
          this.docs.terminalStores.get(terminalId));
    if (storeId === undefined) return;
    if (terminalProjection.handles.has(event.type))
      this.evolveTerminal(storeId, terminalId, { stream: 'terminal', event, recordedAt, storeId }, position, put);
    if (event.type === 'TerminalReleased' && event.data.claimId === event.data.paymentId) {
      this.memory.release(event.data.paymentId);
    }
  }

  private onPayment(
    paymentId: string,
    event: PaymentEvent,
    recorded: RecordedEvent,
    recordedAt: string,
    position: string,
    put: Put,
  ): void {
    const held = this.memory.get(paymentId);
    const givenBack = held && givenBackOf(held, event);
    // Before it is remembered: a late capture may let the payment be forgotten again, with what it keeps.
    if (held) {
      noteLateDay(held, event, recorded);
      noteLateRefundDay(held, event, recorded, this.zones, this.docs);
    }
    const { payment, refundAmount, refundTerminalId, refundDevice, refundOfLateCapture, laterLatePart, moneyCurrency } =
      this.memory.remember(paymentId, event, false);
    if (!payment) return;
    const at = paymentFactTime(event, recorded);
    const { storeId, terminalId } = payment;
    const date = localDate(at, this.docs.storeDoc(storeId).timeZone);
    const fact: Fact = {
      stream: 'payment',
      event,
      recordedAt,
      paymentId,
      payment,
      at,
      date,
      moneyCurrency: moneyCurrency ?? payment.currency,
      refundAmount,
      // Each named, undefined when absent: facts of one shape, and no spread of an object made for one field.
      refundTerminalId: refundTerminalId || undefined,
      refundDevice: refundDevice || undefined,
      refundOfLateCapture: refundOfLateCapture || undefined,
      ended: payment.ended || undefined,
    };
    if (terminalProjection.handles.has(event.type)) {
      // A refund's end shows on the terminal it ran on, where the clerk saw it and its batch counts it: on that
      // terminal's day, in its own store's time zone (which need not be the payment's store's).
      const on = refundTerminalId ?? terminalId;
      const terminalStore = this.docs.storeOfCounted(payment, on);
      const terminalFact =
        terminalStore === storeId ? fact : { ...fact, date: localDate(at, this.docs.storeDoc(terminalStore).timeZone) };
      this.evolveTerminal(terminalStore, on, terminalFact, position, put);
    }
    if (storeProjection.handles.has(event.type)) this.evolveStore(storeId, fact, position, put);
    if (storeDayProjection.handles.has(event.type)) {
      const key = `${storeId}.${date}`;
      // Looked up once: the key is made afresh for each fact, and hashed afresh at its first look-up.
      const held = this.docs.days.get(key);
      const day = held ?? emptyStoreDay(storeId, date, this.docs.storeDoc(storeId).timeZone);
      const next = refundedBefore(storeDayProjection.evolve(day, fact), fact, payment.lateRefundDays);
      if (next !== day && !this.docs.alreadyApplied('store-day', key, held?.position)) {
        const doc = stamped(next, position);
        this.docs.days.set(key, doc);
        put({ model: 'store-day', key, doc });
      }
    }
    // Given back: the late capture's entries on the days it is listed on say so, and on which day; no money moves.
    for (const lateDate of (givenBack && payment.lateDays?.get(givenBack)) || []) {
      const key = `${storeId}.${lateDate}`;
      const day = this.docs.days.get(key);
      if (!day) continue;
      const next = withLateCaptureRefunded(day, paymentId, givenBack!, date);
      if (next !== day && !this.docs.alreadyApplied('store-day', key, day.position)) {
        const doc = stamped(next, position);
        this.docs.days.set(key, doc);
        put({ model: 'store-day', key, doc });
      }
    }
    this.closes.countInBatch(fact, refundTerminalId, laterLatePart === true, position, put);
  }

  private evolveTerminal(storeId: string, terminalId: string, fact: Fact, position: string, put: Put): void {
    const key = this.docs.terminalKey(storeId, terminalId);
    const held = this.docs.terminals.get(key);
    const current = held ?? emptyTerminal(storeId, terminalId);
    const next = terminalProjection.evolve(current, fact);
    // Loaded at or past this event: a crash wrote the terminal and maybe not its store.
    const holdsEvent =
      held !== undefined && this.docs.current <= this.docs.loadedUpTo && BigInt(held.position) >= this.docs.current;
    if (next === current && !holdsEvent) return;
    this.docs.terminalStores.set(terminalId, storeId);
    if (next !== current && !this.docs.alreadyApplied('terminal', key, held?.position)) {
      const doc = stamped(next, position);
      this.docs.setTerminal(key, doc, held);
      put({ model: 'terminal', key, doc });
      if (this.onEnds && held) this.onEnds(endsBetween(held, doc));
    }
    // The store counts its terminals by what they do: recounted when a terminal is new or moves between busy,
    // idle and deactivated, and also when the terminal already held this event.
    if (held && !holdsEvent && countedAs(next.status) === countedAs(current.status)) return;
    const store = this.docs.storeDoc(storeId);
    const counted = withTerminalCounts(store, this.docs.countsOf(storeId));
    if (counted !== store) this.putStore(counted, position, put);
  }

  private evolveStore(storeId: string, fact: Fact, position: string, put: Put): void {
    const current = this.docs.storeDoc(storeId);
    const next = storeProjection.evolve(current, fact);
    if (next !== current) this.putStore(next, position, put);
  }

  private putStore(next: StoreDoc, position: string, put: Put): void {
    if (this.docs.alreadyApplied('store', next.storeId, this.docs.stores.get(next.storeId)?.position)) return;
    const doc = stamped(next, position);
    this.docs.stores.set(doc.storeId, doc);
    put({ model: 'store', key: doc.storeId, doc });
  }
}

/**
 * The events that may change a store day (`missingDays`): the store day's facts, end-of-day closes, and nightly
 * closes given up.
 */
const DAY_EVENTS = new Set<string>([...storeDayProjection.handles, 'OperationCompleted', 'CloseGivenUp']);

/**
 * The store days an event names that are out of their store's window and not held (`missingDays`), each once, in the
 * order named. Asked of every store day's fact, whose days are nearly always in memory: no key is made for a day in
 * the window, and no set until a day is missing.
 */
class MissingDays {
  private keys: Set<string> | undefined;

  constructor(private readonly days: StoreDays) {}

  add(storeId: string, date: string): void {
    if (!this.days.isPast(storeId, date)) return;
    const key = `${storeId}.${date}`;
    if (!this.days.has(key)) (this.keys ??= new Set()).add(key);
  }

  found(): string[] {
    return this.keys === undefined ? [] : [...this.keys];
  }
}

import { endsBetween, type ActivityItem } from './activity';
import type { RecordedEvent } from '@app/event-store';
import {
  addDays,
  asDomainEvent,
  localDate,
  type OperationEvent,
  type PaymentEvent,
  type StoreEvent,
  type TerminalEvent,
} from '@app/payment-domain';
import type { Fact } from './projections/fact';
import { stringField } from './string-field';
import {
  emptyStoreDay,
  storeDayProjection,
  withCloseGivenUp,
  withClosedSince,
  withLateCaptureRefunded,
} from './projections/store-day.projection';
import { countedAs, storeProjection, withTerminalCounts } from './projections/store.projection';
import { emptyTerminal, terminalProjection } from './projections/terminal.projection';
import {
  beforeLastBatch,
  closeAbandoned,
  closeReported,
  closeRequested,
  closeHolding,
  closesHeld,
  countInBatch,
  inSwappedOut,
  swappedOutCloses,
  countInClose,
  type Counted,
  withClose,
} from './projections/terminal-batch';
import type { Change, StoreDayDoc, StoreDoc, TerminalClose, TerminalDoc } from './read-model.types';
import { closeTimes } from './close-times';
import { givenBackOf, noteLateDay, noteLateRefundDay, refundedBefore } from './late-capture-days';
import { paymentFactTime } from './payment-fact-time';
import { PaymentMemory } from './payment-memory';
import { ReadModelDocuments, stamped } from './read-model.documents';
import { StoreZones } from './store-zones';

export type Put = (change: Change) => void;

/** An event the fold took with a time it cannot read as unknown: where it is in the log, whose, and which times. */
export interface UnreadableTimes {
  readonly position: string;
  readonly type: string;
  readonly storeId: string;
  readonly terminalId: string;
  readonly operationId: string;
  readonly unread: readonly string[];
}

/**
 * The three read models as a fold over the log: given the same events in the same order, the same
 * documents, whatever the start (docs/design.md invariant 5). No I/O and no clock: time comes from the events,
 * days from the store's time zone. Each read model is a pure projection (`projections/`): this class keeps
 * their documents (`ReadModelDocuments`) and what they need of a payment (its store, terminal, amount and open
 * refunds: `PaymentMemory`), turns each
 * recorded event into a typed fact, and returns the documents it changed, for the rim to write to KV and
 * publish.
 */
export class ReadModelProjector {
  private readonly docs = new ReadModelDocuments();
  /** Each store's time zones by position: the zone in force at a fact read back from the log. */
  private readonly zones = new StoreZones();
  private readonly memory = new PaymentMemory();

  /**
   * Told of each payment's or refund's end a terminal's document shows as it changes (`endsBetween`), for the live
   * dashboard: a flush writes only a terminal's last document, which shows only its last payment and refund.
   */
  onEnds: ((ends: readonly ActivityItem[]) => void) | undefined;

  /**
   * Told of an event with a time the fold cannot read (`closeTimes`) as it folds it: the fold takes the time as unknown
   * and goes on, and a person should look at the event.
   */
  onUnreadable: ((unreadable: UnreadableTimes) => void) | undefined;

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
    const typed = asDomainEvent(recorded);
    if (!typed) return;
    const position = recorded.position.toString();
    const recordedAt =
      stringField(typed.event.data, 'at') ??
      stringField(typed.event.data, 'claimedAt') ??
      recorded.metadata.occurredAt ??
      '';
    if (typed.stream === 'store') this.onStore(typed.event, recordedAt, position, put);
    else if (typed.stream === 'terminal') this.onTerminal(typed.event, recordedAt, position, put);
    else if (typed.stream === 'payment') this.onPayment(typed.id, typed.event, recorded, recordedAt, position, put);
    else if (typed.stream === 'operation') this.onOperation(typed.id, typed.event, recorded, position, put);
    // The nightly close's switches concern no read model (nor are they projected: not among the streams read).
  }

  /**
   * The payment whose start this event needs and the projector has not seen (it was before the checkpoint
   * it resumed from): the rim reads that payment's `PaymentRequested` and hands it to `rememberPayment`.
   */
  missingPayment(recorded: RecordedEvent): string | undefined {
    const typed = asDomainEvent(recorded);
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
   * The store days this event changes that are out of the memory's window (see `StoreDays`) and not in
   * memory: the rim reads each back (from KV) and `load`s it, or finds none, before applying the event.
   * Asked after `missingPayment`, since a payment's days come from its store.
   */
  missingDays(recorded: RecordedEvent): string[] {
    if (!DAY_EVENTS.has(recorded.type) || !this.docs.days.anyKept) return [];
    const typed = asDomainEvent(recorded);
    const days: { storeId: string; date: string }[] = [];
    if (typed?.stream === 'payment') {
      const payment = this.memory.get(typed.id);
      if (!payment) return [];
      const { event } = typed;
      const at = paymentFactTime(event, recorded);
      if (storeDayProjection.handles.has(event.type))
        days.push({ storeId: payment.storeId, date: localDate(at, this.docs.storeDoc(payment.storeId).timeZone) });
      // A late capture given back is marked so on the days it is listed on.
      const givenBack = givenBackOf(payment, event);
      for (const date of (givenBack && payment.lateDays?.get(givenBack)) || [])
        days.push({ storeId: payment.storeId, date });
      // A late capture or refund corrects its terminal's last close, and so that close's day.
      if (
        event.type === 'PaymentCaptured' ||
        event.type === 'FurtherCaptureRecorded' ||
        event.type === 'LateCaptureRecorded' ||
        event.type === 'RefundSucceeded' ||
        event.type === 'LateRefundRecorded'
      ) {
        const refundTerminalId =
          event.type === 'LateRefundRecorded'
            ? event.data.terminalId
            : payment.refunds.get(stringField(event.data, 'refundId') ?? '')?.terminalId;
        for (const terminalId of [payment.terminalId, refundTerminalId]) {
          if (terminalId === undefined) continue;
          const storeId = this.docs.storeOfCounted(payment, terminalId);
          const terminal = this.docs.terminals.get(this.docs.terminalKey(storeId, terminalId));
          // Its last close, or one that ended while another pends (kept on the terminal until none does).
          for (const close of closesHeld(terminal))
            if (at !== '' && Date.parse(at) <= Date.parse(close.closedAt))
              days.push({ storeId, date: close.businessDay });
          // Before the last close's batch: an older close is corrected, on a day its close may be on.
          if (at !== '' && beforeLastBatch(terminal, at))
            for (const date of this.daysOfItsClose(storeId, at)) days.push({ storeId, date });
        }
      }
    } else if (typed?.stream === 'operation') {
      if (typed.event.type === 'CloseGivenUp')
        days.push({ storeId: typed.event.data.storeId, date: typed.event.data.businessDay });
      const close = this.closeOf(typed.event, recorded);
      if (close && (close.batch !== undefined || this.pendsOn(close, typed.id))) {
        days.push({ storeId: close.storeId, date: close.businessDay });
        // The days whose close of the terminal was given up before it, marked closed since.
        for (const date of this.daysClosedSince(close.storeId, close.closedAt))
          days.push({ storeId: close.storeId, date });
        // A close before the terminal's last one, or one that ended while it pended (heard of after it), corrects
        // that close, on its day.
        for (const later of closesHeld(this.docs.terminals.get(this.docs.terminalKey(close.storeId, close.terminalId))))
          if (Date.parse(close.closedAt) < Date.parse(later.closedAt))
            days.push({ storeId: close.storeId, date: later.businessDay });
      }
    }
    const keys = days
      .filter(({ storeId, date }) => this.docs.days.isPast(storeId, date) && !this.docs.days.has(`${storeId}.${date}`))
      .map(({ storeId, date }) => `${storeId}.${date}`);
    return [...new Set(keys)];
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
    const { payment, refundAmount, refundTerminalId, refundOfLateCapture, laterLatePart, moneyCurrency } =
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
      ...(refundTerminalId ? { refundTerminalId } : {}),
      ...(refundOfLateCapture ? { refundOfLateCapture } : {}),
      ...(payment.ended ? { ended: true } : {}),
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
      const day = this.docs.days.get(key) ?? emptyStoreDay(storeId, date, this.docs.storeDoc(storeId).timeZone);
      const next = refundedBefore(storeDayProjection.evolve(day, fact), fact, payment.lateRefundDays);
      if (next !== day && !this.docs.alreadyApplied('store-day', key, this.docs.days.get(key)?.position)) {
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
    this.countInBatch(fact, refundTerminalId, laterLatePart === true, position, put);
  }

  /**
   * A capture counts in its terminal's batch, a refund in the batch of the terminal it was done at (in the
   * store that terminal belongs to), for the comparison with the terminal's end-of-day close. A transaction is
   * one purchase however many captures took its money: a later one adds its amount, not a purchase (`laterLatePart`:
   * a late capture of a transaction captured late before).
   */
  private countInBatch(
    fact: Extract<Fact, { stream: 'payment' }>,
    refundTerminalId: string | undefined,
    laterLatePart: boolean,
    position: string,
    put: Put,
  ): void {
    const { event, payment, at } = fact;
    // A late capture and its refunds count in the late capture's own currency.
    const currency = fact.moneyCurrency;
    let counted: (Counted & { terminalId: string }) | undefined;
    if (event.type === 'PaymentCaptured')
      counted = { terminalId: payment.terminalId, kind: 'purchase', amount: event.data.amount, currency, count: 1 };
    else if (event.type === 'FurtherCaptureRecorded')
      counted = { terminalId: payment.terminalId, kind: 'purchase', amount: event.data.amount, currency, count: 0 };
    else if (event.type === 'LateCaptureRecorded') {
      const { amount, capturedAmount } = event.data;
      // A later part says so by its running total; as earlier versions recorded it, only by its transaction.
      const first = capturedAmount === undefined ? !laterLatePart : capturedAmount === amount;
      counted = { terminalId: payment.terminalId, kind: 'purchase', amount, currency, count: first ? 1 : 0 };
    } else if (event.type === 'RefundSucceeded' || event.type === 'LateRefundRecorded')
      counted = {
        terminalId: refundTerminalId ?? payment.terminalId,
        kind: 'reversal',
        amount: fact.refundAmount,
        currency,
        count: 1,
      };
    if (!counted || at === '') return;
    const { terminalId } = counted;
    const storeId = this.docs.storeOfCounted(payment, terminalId);
    const terminal = this.docs.terminals.get(this.docs.terminalKey(storeId, terminalId));
    if (!inSwappedOut(terminal, at) && beforeLastBatch(terminal, at))
      this.countInOlderClose(storeId, terminalId, at, (close) => countInClose(close, counted), position, put);
    else this.changeTerminal(storeId, terminalId, position, put, (doc) => countInBatch(doc, counted, at), { at });
  }

  /**
   * A fact reported after two or more closes of its terminal: counted into the close whose batch held it, on that
   * close's store day, which is compared again. Only the days a close of the fact's batch can be on are looked at
   * (`daysOfItsClose`), held in memory or read back by `missingDays`, so that the log alone decides, live or in a
   * rebuild. Left out when none of them has such a close: a terminal not closed for more than `LATE_CLOSE_DAYS`.
   */
  private countInOlderClose(
    storeId: string,
    terminalId: string,
    at: string,
    count: (close: TerminalClose) => TerminalClose,
    position: string,
    put: Put,
  ): void {
    const days: StoreDayDoc[] = [];
    for (const date of this.daysOfItsClose(storeId, at)) {
      const day = this.docs.days.get(`${storeId}.${date}`);
      if (day) days.push(day);
    }
    const terminal = this.docs.terminals.get(this.docs.terminalKey(storeId, terminalId));
    const holding = closeHolding(days, terminalId, at, swappedOutCloses(terminal, Date.parse(at)));
    if (!holding) return;
    const key = `${storeId}.${holding.day.date}`;
    if (this.docs.alreadyApplied('store-day', key, holding.day.position)) return;
    const doc = stamped(withClose(holding.day, count(holding.close)), position);
    this.docs.days.set(key, doc);
    put({ model: 'store-day', key, doc });
  }

  /**
   * The store's days a close of the batch that held a fact at `at` may be on: from the day before the fact's local
   * day (a close after midnight is for the day before) to `LATE_CLOSE_DAYS` after it (a terminal left open over a
   * weekend or a holiday closes days later).
   */
  private daysOfItsClose(storeId: string, at: string): string[] {
    const date = localDate(at, this.docs.storeDoc(storeId).timeZone);
    return Array.from({ length: LATE_CLOSE_DAYS + 2 }, (_, i) => addDays(date, i - 1));
  }

  /** A completed end-of-day: the terminal's batch beside the log's, on the terminal and on the store's day. */
  private onOperation(
    operationId: string,
    event: OperationEvent,
    recorded: RecordedEvent,
    position: string,
    put: Put,
  ): void {
    if (event.type === 'OperationRequested' || event.type === 'OperationEnded') {
      this.onClosePending(operationId, event, recorded, position, put);
      return;
    }
    if (event.type === 'CloseGivenUp') {
      this.onCloseGivenUp(event.data, position, put);
      return;
    }
    const close = this.closeOf(event, recorded, true);
    // Completed without the terminal's batch (Dintero gave no result): an end-of-day close the terminal's batch pends
    // on closed it all the same, its totals unknown (`withoutTotals`), and the next close holds only what came after;
    // any other operation (`send_logs`, a close never seen asked for) pends no more.
    if (!close || (close.batch === undefined && !this.pendsOn(close, operationId))) {
      if (event.type === 'OperationCompleted') this.onClosePending(operationId, event, recorded, position, put);
      return;
    }
    const { storeId, terminalId, businessDay, batch, closedAt } = close;
    // A close the terminal made before its last one, heard of after it: the earlier goes on its own day too, and
    // the close it took facts back from.
    let earlier: readonly TerminalClose[] = [];
    this.changeTerminal(
      storeId,
      terminalId,
      position,
      put,
      (doc) => {
        const reported = closeReported(doc, { operationId, businessDay, batch, closedAt });
        earlier = reported.earlier;
        return reported.doc;
      },
      { operationId },
    );
    for (const close of earlier) this.putClose(storeId, close, position, put);
    this.markClosedSince(storeId, terminalId, { operationId, closedAt, businessDay }, position, put);
  }

  /**
   * A terminal's batch closed: each store day before it whose nightly close of the terminal was given up before this
   * close is marked closed since (`withClosedSince`), as far back as a close may still be late (`daysClosedSince`).
   */
  private markClosedSince(
    storeId: string,
    terminalId: string,
    close: { readonly operationId: string; readonly closedAt: string; readonly businessDay: string },
    position: string,
    put: Put,
  ): void {
    for (const date of this.daysClosedSince(storeId, close.closedAt)) {
      const key = `${storeId}.${date}`;
      const day = this.docs.days.get(key);
      if (!day) continue;
      const next = withClosedSince(day, terminalId, close);
      if (next === day || this.docs.alreadyApplied('store-day', key, day.position)) continue;
      const doc = stamped(next, position);
      this.docs.days.set(key, doc);
      put({ model: 'store-day', key, doc });
    }
  }

  /** The store's days a close at `closedAt` may mark closed since: its local day and `LATE_CLOSE_DAYS` before it. */
  private daysClosedSince(storeId: string, closedAt: string): string[] {
    const date = localDate(closedAt, this.docs.storeDoc(storeId).timeZone);
    return Array.from({ length: LATE_CLOSE_DAYS + 1 }, (_, i) => addDays(date, -i));
  }

  /**
   * An end-of-day close asked for, or ended without closing (or completed without its batch): while one is pending,
   * the terminal's open batch keeps the time of each fact it counts, so that the close takes only those before the
   * terminal closed (`closeBatch`). Any operation's end is passed on: only a close the batch has pending changes it.
   */
  private onClosePending(
    operationId: string,
    event: Extract<OperationEvent, { type: 'OperationRequested' | 'OperationEnded' | 'OperationCompleted' }>,
    recorded: RecordedEvent,
    position: string,
    put: Put,
  ): void {
    if (event.type === 'OperationRequested') {
      const { storeId, terminalId, operation } = event.data;
      if (operation !== 'end_of_day') return;
      // Neither changes the close itself, even of its own operation: replayed after a kill under a terminal holding that
      // close, such an event wrote the close's day again, which `missingDays` does not read back for it, from empty.
      const change = (doc: TerminalDoc) => closeRequested(doc, operationId);
      return this.changeTerminal(storeId, terminalId, position, put, change, undefined);
    }
    const storeId = stringField(recorded.metadata, 'storeId');
    const terminalId = stringField(recorded.metadata, 'terminalId');
    if (storeId === undefined || terminalId === undefined) return;
    const change = (doc: TerminalDoc) => closeAbandoned(doc, operationId);
    this.changeTerminal(storeId, terminalId, position, put, change, undefined);
  }

  /** A nightly close given up: its terminal listed as not closed on the store day the close was for. */
  private onCloseGivenUp(
    givenUp: Extract<OperationEvent, { type: 'CloseGivenUp' }>['data'],
    position: string,
    put: Put,
  ): void {
    const { storeId, businessDay } = givenUp;
    const key = `${storeId}.${businessDay}`;
    const day = this.docs.days.get(key) ?? emptyStoreDay(storeId, businessDay, this.docs.storeDoc(storeId).timeZone);
    const lastClose = this.docs.terminals.get(this.docs.terminalKey(storeId, givenUp.terminalId))?.lastClose;
    const next = withCloseGivenUp(day, givenUp, lastClose);
    if (next === day || this.docs.alreadyApplied('store-day', key, this.docs.days.get(key)?.position)) return;
    const doc = stamped(next, position);
    this.docs.days.set(key, doc);
    put({ model: 'store-day', key, doc });
  }

  /** Whether the terminal's open batch pends on the end-of-day close (`closeRequested`). */
  private pendsOn(close: { readonly storeId: string; readonly terminalId: string }, operationId: string): boolean {
    const doc = this.docs.terminals.get(this.docs.terminalKey(close.storeId, close.terminalId));
    return doc?.openBatch?.closing?.includes(operationId) === true;
  }

  /**
   * The terminal's end-of-day close an operation's completion reports, if it is one: whose, which day, its batch
   * (undefined when Dintero gave none).
   */
  private closeOf(
    event: OperationEvent,
    recorded: RecordedEvent,
    /** Whether to tell `onUnreadable` of a time it cannot read: where the event is folded, not where its days are read. */
    tell = false,
  ) {
    if (event.type !== 'OperationCompleted') return undefined;
    const storeId = stringField(recorded.metadata, 'storeId');
    const terminalId = stringField(recorded.metadata, 'terminalId');
    if (storeId === undefined || terminalId === undefined) return undefined;
    const { closedAt, batch, unread } = closeTimes(event.data, event.data.batch);
    if (tell && unread.length > 0)
      this.tellUnreadable(recorded, { storeId, terminalId, operationId: event.data.operationId, unread });
    if (closedAt === undefined) return undefined;
    const businessDay =
      stringField(recorded.metadata, 'businessDay') ?? localDate(closedAt, this.docs.storeDoc(storeId).timeZone);
    return { storeId, terminalId, businessDay, batch, closedAt };
  }

  /** Tells `onUnreadable` of an event with a time the fold cannot read. */
  private tellUnreadable(recorded: RecordedEvent, ids: Omit<UnreadableTimes, 'position' | 'type'>): void {
    this.onUnreadable?.({ position: recorded.position.toString(), type: recorded.type, ...ids });
  }

  /**
   * Changes a terminal's document outside its projection's facts (its batch), and writes the store day of each close
   * the terminal holds (`closesHeld`) again when that close changed.
   */
  private changeTerminal(
    storeId: string,
    terminalId: string,
    position: string,
    put: Put,
    change: (doc: TerminalDoc) => TerminalDoc,
    /**
     * What the event is to the terminal's last close: that close itself (its operation), a fact at an instant, or
     * nothing (a close asked for or ended without a batch, which never changes a close).
     */
    touches: { readonly operationId: string } | { readonly at: string } | undefined,
  ): void {
    const key = this.docs.terminalKey(storeId, terminalId);
    const held = this.docs.terminals.get(key);
    const current = held ?? emptyTerminal(storeId, terminalId);
    const next = change(current);
    // Loaded holding this event already (a close applied again to a terminal that has it may change nothing).
    const heldEvent = this.docs.alreadyApplied('terminal', key, held?.position);
    if (next === current && !heldEvent) return;
    if (heldEvent) {
      // A crash wrote the terminal with this event, and maybe not the day of its close (documents written before
      // store days were written first): that day again, from the close held, where this event changed that close.
      // Only then: the day is read back for it (`missingDays`), where for any other event the day may be out of
      // memory, and written from an empty one it lost its totals. A close the terminal holds no longer (a later
      // one came in the same flush) is not known here any more; its day was written before the terminal.
      for (const close of closesHeld(held))
        if (touches !== undefined && changedClose(close, touches)) this.putClose(storeId, close, position, put);
      return;
    }
    const terminal = stamped(next, position);
    this.docs.setTerminal(key, terminal, held);
    this.docs.terminalStores.set(terminalId, storeId);
    put({ model: 'terminal', key, doc: terminal });
    const before = closesHeld(current);
    for (const close of closesHeld(next)) if (!before.includes(close)) this.putClose(storeId, close, position, put);
  }

  /** A terminal's close on its store day, in place of the one with its operation id there. */
  private putClose(storeId: string, close: TerminalClose, position: string, put: Put): void {
    const dayKey = `${storeId}.${close.businessDay}`;
    const day =
      this.docs.days.get(dayKey) ?? emptyStoreDay(storeId, close.businessDay, this.docs.storeDoc(storeId).timeZone);
    if (this.docs.alreadyApplied('store-day', dayKey, this.docs.days.get(dayKey)?.position)) return;
    const doc = stamped(withClose(day, close), position);
    this.docs.days.set(dayKey, doc);
    put({ model: 'store-day', key: dayKey, doc });
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
 * How many days after a fact's own its batch's close may be, and still be corrected by it when the fact is
 * reported after later closes: a week covers a terminal left open over a weekend and the holidays around it.
 */
const LATE_CLOSE_DAYS = 7;

/**
 * The events that may change a store day (`missingDays`): the store day's facts, end-of-day closes, and nightly
 * closes given up.
 */
const DAY_EVENTS = new Set<string>([...storeDayProjection.handles, 'OperationCompleted', 'CloseGivenUp']);

/**
 * Whether an event changed a terminal's last close: the close's own operation, or a fact of its batch (at or before
 * it), reported after it. A fact after the close counts in the open batch.
 */
function changedClose(
  close: NonNullable<TerminalDoc['lastClose']>,
  touches: { readonly operationId: string } | { readonly at: string },
): boolean {
  return 'operationId' in touches
    ? touches.operationId === close.operationId
    : Date.parse(touches.at) <= Date.parse(close.closedAt);
}

import type { RecordedEvent } from '@app/event-store';
import { addDays, localDate, type OperationEvent } from '@app/payment-domain';
import { closeTimes } from './close-times';
import type { Fact } from './projections/fact';
import { emptyStoreDay, withCloseGivenUp, withClosedSince } from './projections/store-day.projection';
import { emptyTerminal } from './projections/terminal.projection';
import {
  closeAbandoned,
  closeReported,
  closeRequested,
  closeHolding,
  recordedFrom,
  closesHeld,
  countInBatch,
  countedBeforeLastBatch,
  inSwappedOut,
  swappedOutCloses,
  countInClose,
  saidUnknown,
  type Counted,
  withClose,
} from './projections/terminal-batch';
import type { ReportedClose } from './projections/terminal-batch/terminal-close';
import { stamped, type Put, type ReadModelDocuments } from './read-model.documents';
import type { StoreDayDoc, TerminalClose, TerminalDoc } from './read-model.types';
import { stringField } from './string-field';

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
 * The terminals' batches and end-of-day closes: each capture and refund counted in its terminal's batch (or in the
 * older close whose batch held it), each close asked for, ended, completed or given up, on the terminal and on the
 * store day it is for. Changes the documents the projector holds (`ReadModelDocuments`) and hands each changed one
 * to `put`.
 */
export class TerminalCloses {
  /** See `ReadModelProjector.onUnreadable`. */
  onUnreadable: ((unreadable: UnreadableTimes) => void) | undefined;

  /**
   * Operations read back from the log as ends of day (`ReadModelProjector.rememberOperation`) for the completion about
   * to be folded (`mayBeLetGo`): one at most, let go of once that completion is.
   */
  private readonly readAsEndOfDay = new Set<string>();

  constructor(private readonly docs: ReadModelDocuments) {}

  /**
   * A capture counts in its terminal's batch, a refund in the batch of the terminal it was done at (in the
   * store that terminal belongs to), for the comparison with the terminal's end-of-day close. A transaction is
   * one purchase however many captures took its money: a later one adds its amount, not a purchase (`laterLatePart`:
   * a late capture of a transaction captured late before).
   */
  countInBatch(
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
    if (!inSwappedOut(terminal, at) && countedBeforeLastBatch(terminal, at))
      this.countInOlderClose(storeId, terminalId, at, (close) => countInClose(close, counted), position, put);
    else this.changeTerminal(storeId, terminalId, position, put, (doc) => countInBatch(doc, counted, at), { at });
  }

  /**
   * A fact reported after two or more closes of its terminal: counted into the close whose batch held it, on that
   * close's store day, which is compared again. Only the days a close of the fact's batch can be on are looked at
   * (`daysOfItsClose`), held in memory or read back by `ReadModelProjector.missingDays`, so that the log alone
   * decides, live or in a rebuild. Left out when none of them has such a close: a terminal not closed for more than
   * `LATE_CLOSE_DAYS`.
   */
  private countInOlderClose(
    storeId: string,
    terminalId: string,
    at: string,
    count: (close: TerminalClose) => TerminalClose,
    position: string,
    put: Put,
    /**
     * Closes that cannot be the one, and how their windows are read: for a close that lost its batch (`lostAt`), the
     * close whose cut `at` is, and by what each close's record counted (`recordedFrom`), not by its batch.
     */
    lost?: { readonly operationId: string },
  ): void {
    const days: StoreDayDoc[] = [];
    for (const date of this.daysOfItsClose(storeId, at)) {
      const day = this.docs.days.get(`${storeId}.${date}`);
      if (day) days.push(day);
    }
    const terminal = this.docs.terminals.get(this.docs.terminalKey(storeId, terminalId));
    const cannot = new Set([...swappedOutCloses(terminal, Date.parse(at)), ...(lost ? [lost.operationId] : [])]);
    const holding = closeHolding(days, terminalId, at, cannot, lost ? recordedFrom : undefined);
    if (!holding) return;
    const key = `${storeId}.${holding.day.date}`;
    if (this.docs.alreadyApplied('store-day', key, holding.day.position)) return;
    const doc = stamped(withClose(holding.day, count(holding.close)), position);
    this.docs.days.set(key, doc);
    put({ model: 'store-day', key, doc });
  }

  /**
   * Whether a close's outcome finds its batch taken by a close let go of past a bound (`closeReported`'s `lostAt`): the
   * close that took it is then looked for on the days a close of its batch may be on (`daysOfItsClose`), which
   * `ReadModelProjector.missingDays` reads back for it. Told by folding the outcome on the terminal as the fold will
   * find it (the fold is pure), so that those days are read back for such a close alone, where they were read back
   * for every close.
   */
  losesBatch(close: ReportedClose & { readonly storeId: string; readonly terminalId: string }): boolean {
    const { storeId, terminalId } = close;
    const doc =
      this.docs.terminals.get(this.docs.terminalKey(storeId, terminalId)) ?? emptyTerminal(storeId, terminalId);
    return closeReported(doc, close).lostAt !== undefined;
  }

  /**
   * The store's days a close of the batch that held a fact at `at` may be on: from the day before the fact's local
   * day (a close after midnight is for the day before) to `LATE_CLOSE_DAYS` after it (a terminal left open over a
   * weekend or a holiday closes days later).
   */
  daysOfItsClose(storeId: string, at: string): string[] {
    const date = localDate(at, this.docs.storeDoc(storeId).timeZone);
    return Array.from({ length: LATE_CLOSE_DAYS + 2 }, (_, i) => addDays(date, i - 1));
  }

  /** A completed end-of-day: the terminal's batch beside the log's, on the terminal and on the store's day. */
  onOperation(operationId: string, event: OperationEvent, recorded: RecordedEvent, position: string, put: Put): void {
    try {
      this.onOperationEvent(operationId, event, recorded, position, put);
    } finally {
      this.readAsEndOfDay.delete(operationId);
    }
  }

  /** `onOperation`, the request read back for it (`readRequest`) let go of after it, however it ends. */
  private onOperationEvent(
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
    // so did one it may have let go of (`mayBeLetGo`), its log side unknown too. Any other operation (`send_logs`, a
    // close never seen asked for) pends no more.
    if (!close || !this.closesBatch(close, operationId, recorded)) {
      if (event.type === 'OperationCompleted') this.onClosePending(operationId, event, recorded, position, put);
      return;
    }
    const { storeId, terminalId, businessDay, batch, closedAt } = close;
    // A close the terminal made before its last one, heard of after it: the earlier goes on its own day too, and
    // the close it took facts back from.
    let earlier: readonly TerminalClose[] = [];
    let lostAt: string | undefined;
    this.changeTerminal(
      storeId,
      terminalId,
      position,
      put,
      (doc) => {
        const reported = closeReported(doc, { operationId, businessDay, batch, closedAt });
        earlier = reported.earlier;
        lostAt = reported.lostAt;
        return reported.doc;
      },
      { operationId },
    );
    // Its batch taken by a close the terminal holds no more (let go of past a bound): that close, on its store day, was
    // compared with this one's facts too, and says its log side unknown.
    if (lostAt !== undefined) {
      this.countInOlderClose(storeId, terminalId, lostAt, saidUnknown, position, put, { operationId });
    }
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
  daysClosedSince(storeId: string, closedAt: string): string[] {
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
      // close, such an event wrote the close's day again, which `ReadModelProjector.missingDays` does not read back for
      // it, from empty.
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

  /**
   * Whether a completed operation closes its terminal's batch: with the terminal's totals, without them when the batch
   * pends on it, or may have let go of it (`mayBeLetGo`). `ReadModelProjector.missingDays` reads its days back by this
   * same rule: a close put on a day out of memory not read back was written on an empty day, the day's sales lost.
   */
  closesBatch(
    close: { readonly storeId: string; readonly terminalId: string; readonly batch: unknown },
    operationId: string,
    recorded: RecordedEvent,
  ): boolean {
    return (
      close.batch !== undefined || this.pendsOn(close, operationId) || this.mayBeLetGo(close, operationId, recorded)
    );
  }

  /**
   * Whether the rim should read the operation's request back from the log (`operation-{id}`) to tell whether it is
   * an end of day: a completion without the terminal's batch that the batch does not pend on, of a terminal that let
   * go of closes, with no store day in its events (a close by hand recorded before they carried one, or `send_logs`).
   */
  wantsRequest(
    close: { readonly storeId: string; readonly terminalId: string; readonly batch: unknown },
    operationId: string,
    recorded: RecordedEvent,
  ): boolean {
    return (
      close.batch === undefined &&
      !this.pendsOn(close, operationId) &&
      this.lettingGo(close) &&
      stringField(recorded.metadata, 'businessDay') === undefined &&
      !this.readAsEndOfDay.has(operationId)
    );
  }

  /** An operation's request, read back from the log: an end of day is one `mayBeLetGo` takes for a close. */
  readRequest(operationId: string, requested: OperationEvent | undefined): void {
    if (requested?.type === 'OperationRequested' && requested.data.operation === 'end_of_day')
      this.readAsEndOfDay.add(operationId);
  }

  /**
   * Whether a completed operation the batch does not pend on may be an end-of-day close let go of beyond the 50 kept
   * pending: the terminal let go of some (`closesLetGo`), and the operation has a store day, which only an end of day
   * has, or its request, read back from the log, says it is one (`readRequest`): a close by hand recorded before its
   * events carried a store day, which was dropped (on no store day, the next close holding both batches).
   */
  private mayBeLetGo(
    close: { readonly storeId: string; readonly terminalId: string },
    operationId: string,
    recorded: RecordedEvent,
  ): boolean {
    return (
      this.lettingGo(close) &&
      (stringField(recorded.metadata, 'businessDay') !== undefined || this.readAsEndOfDay.has(operationId))
    );
  }

  /** Whether the terminal let go of closes beyond those kept pending (`closesLetGo`). */
  private lettingGo(close: { readonly storeId: string; readonly terminalId: string }): boolean {
    return this.docs.terminals.get(this.docs.terminalKey(close.storeId, close.terminalId))?.closesLetGo === true;
  }

  /** Whether the terminal's open batch pends on the end-of-day close (`closeRequested`). */
  pendsOn(close: { readonly storeId: string; readonly terminalId: string }, operationId: string): boolean {
    const doc = this.docs.terminals.get(this.docs.terminalKey(close.storeId, close.terminalId));
    return doc?.openBatch?.closing?.includes(operationId) === true;
  }

  /**
   * The terminal's end-of-day close an operation's completion reports, if it is one: whose, which day, its batch
   * (undefined when Dintero gave none).
   */
  closeOf(
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
      // Only then: the day is read back for it (`ReadModelProjector.missingDays`), where for any other event the day
      // may be out of memory, and written from an empty one it lost its totals. A close the terminal holds no longer
      // (a later one came in the same flush) is not known here any more; its day was written before the terminal.
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
}

/**
 * How many days after a fact's own its batch's close may be, and still be corrected by it when the fact is
 * reported after later closes: a week covers a terminal left open over a weekend and the holidays around it.
 */
const LATE_CLOSE_DAYS = 7;

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

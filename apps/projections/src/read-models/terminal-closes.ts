import type { RecordedEvent } from '@app/event-store';
import { addDays, localDate, type OperationEvent } from '@app/payment-domain';
import { CloseCompletions } from './close-completions';
import { CloseWrites } from './close-writes';
import type { Fact } from './projections/fact';
import { emptyStoreDay, withCloseGivenUp, withClosedSince } from './projections/store-day.projection';
import { emptyTerminal } from './projections/terminal.projection';
import {
  closeAbandoned,
  closeReported,
  closeRequested,
  closeHolding,
  openingFor,
  takerFrom,
  countInBatch,
  countedBeforeLastBatch,
  deviceRead,
  inSwappedOut,
  notHoldingFact,
  notTakers,
  sameDevice,
  type LostSwap,
  type TakerAmong,
  countInClose,
  saidUnknown,
  type Counted,
  withClose,
} from './projections/terminal-batch';
import type { ReportedClose } from './projections/terminal-batch/terminal-close';
import { stamped, type Put, type ReadModelDocuments } from './read-model.documents';
import type { StoreDayDoc, TerminalClose, TerminalDoc } from './read-model.types';
import { stringField } from './string-field';

/**
 * The terminals' batches and end-of-day closes: each capture and refund counted in its terminal's batch (or in the
 * older close whose batch held it), each close asked for, ended, completed or given up, on the terminal and on the
 * store day it is for. Changes the documents the projector holds (`ReadModelDocuments`) and hands each changed one
 * to `put`.
 */
export class TerminalCloses {
  /** Which completions close their terminal's batch, asked by the rim too before it folds one. */
  readonly completions: CloseCompletions;

  private readonly writes: CloseWrites;

  /** The outcome of a close `losesBatch` folded, for the fold of the same event (`reportedOnce`). */
  private reportedAhead:
    | {
        readonly doc: TerminalDoc;
        readonly close: ReportedClose;
        readonly reported: ReturnType<typeof closeReported>;
      }
    | undefined;

  /** The last answer of `daysClosedSince`, by the close's local day. */
  private lastClosedSince: { readonly date: string; readonly days: readonly string[] } | undefined;

  constructor(private readonly docs: ReadModelDocuments) {
    this.completions = new CloseCompletions(docs);
    this.writes = new CloseWrites(docs);
  }

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
    // The device the sale was sent to, for its captures; the refund's own, for a refund (none for a late refund, whose
    // event names none: told by its time).
    const { device } = payment;
    let counted: (Counted & { terminalId: string }) | undefined;
    if (event.type === 'PaymentCaptured')
      counted = {
        terminalId: payment.terminalId,
        kind: 'purchase',
        amount: event.data.amount,
        currency,
        count: 1,
        device,
      };
    else if (event.type === 'FurtherCaptureRecorded')
      counted = {
        terminalId: payment.terminalId,
        kind: 'purchase',
        amount: event.data.amount,
        currency,
        count: 0,
        device,
      };
    else if (event.type === 'LateCaptureRecorded') {
      const { amount, capturedAmount } = event.data;
      // A later part says so by its running total; as earlier versions recorded it, only by its transaction.
      const first = capturedAmount === undefined ? !laterLatePart : capturedAmount === amount;
      counted = { terminalId: payment.terminalId, kind: 'purchase', amount, currency, count: first ? 1 : 0, device };
    } else if (event.type === 'RefundSucceeded' || event.type === 'LateRefundRecorded')
      counted = {
        terminalId: refundTerminalId ?? payment.terminalId,
        kind: 'reversal',
        amount: fact.refundAmount,
        currency,
        count: 1,
        device: fact.refundDevice,
      };
    if (!counted || at === '') return;
    const { terminalId } = counted;
    const storeId = this.docs.storeOfCounted(payment, terminalId);
    const terminal = this.docs.terminals.get(this.docs.terminalKey(storeId, terminalId));
    // Sent to the terminal's own name, no device of that id enrolled: told by its time (`deviceRead`).
    if (counted.device !== deviceRead(terminal, terminalId, counted.device)) {
      const { device: _name, ...unnamed } = counted;
      counted = unnamed;
    }
    if (!inSwappedOut(terminal, at, counted.device) && countedBeforeLastBatch(terminal, at, counted.device))
      this.countInOlderClose(
        storeId,
        terminalId,
        at,
        (close) => countInClose(close, counted),
        position,
        put,
        undefined,
        counted.device,
      );
    else
      this.writes.changeTerminal(storeId, terminalId, position, put, (doc) => countInBatch(doc, counted, at), { at });
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
     * close whose cut `at` is, and by what each close's record counted (`takerFrom`), not by its batch.
     */
    lost?: { readonly operationId: string; readonly swap?: LostSwap; readonly only?: readonly string[] },
    /** The device the fact was sent to, when it names one: a close sent to another device cannot hold it. */
    device?: string,
  ): void {
    const days: StoreDayDoc[] = [];
    for (const date of this.daysOfItsClose(storeId, at)) {
      const day = this.docs.days.get(`${storeId}.${date}`);
      if (day) days.push(day);
    }
    const terminal = this.docs.terminals.get(this.docs.terminalKey(storeId, terminalId));
    // While a swap waits, the old device's closes for a fact of the new device's (`notHoldingFact`); for a close that
    // lost its batch while a swap waited, its device's closes alone (`notTakers`).
    const swappedOut = notHoldingFact(terminal, Date.parse(at), device);
    const ofTerminal = days.flatMap((day) =>
      Object.values(day.closes ?? {}).filter((c) => c.terminalId === terminalId),
    );
    // A close sent to another device than the fact's is not its close, whatever the instants say.
    const otherDevices = ofTerminal.filter((close) => !sameDevice(close.device, device)).map((c) => c.operationId);
    const others = lost?.swap
      ? notTakers(ofTerminal, swappedOut, lost.swap)
      : otherDevices.length > 0
        ? new Set([...swappedOut, ...otherDevices])
        : swappedOut;
    // Or these closes alone (`takerAmong`): every other close of the terminal cannot be the one.
    const only = lost?.only;
    const cannot = only
      ? new Set(ofTerminal.map((close) => close.operationId).filter((id) => !only.includes(id)))
      : new Set([...others, ...(lost ? [lost.operationId] : [])]);
    const holding = closeHolding(days, terminalId, at, cannot, lost ? takerFrom : openingFor(terminal, device));
    if (!holding) return;
    const key = `${storeId}.${holding.day.date}`;
    if (this.docs.alreadyApplied('store-day', key, holding.day.position)) return;
    const doc = stamped(withClose(holding.day, count(holding.close)), position);
    this.docs.days.set(key, doc);
    put({ model: 'store-day', key, doc });
  }

  /**
   * Whether a close's outcome finds its batch taken by a close let go of past a bound (`closeReported`'s `lostAt`), or
   * is of a close let go of whose batch a close the terminal holds no more may have taken (`takerAmong`: the old
   * device's, dated after a swap split before it; while the swap waits, the new device's let go of past the bound):
   * the close that took it is then looked for on the days a close of its batch may be on (`daysOfItsClose`), which
   * `ReadModelProjector.missingDays` reads back for it. Told by folding the outcome on the terminal as the fold will
   * find it (the fold is pure), so that those days are read back for such a close alone, where they were read back
   * for every close. The outcome folded is kept for the fold of this event (`reportedOnce`), which asks it again.
   */
  losesBatch(close: ReportedClose & { readonly storeId: string; readonly terminalId: string }): boolean {
    const { storeId, terminalId, operationId, businessDay, batch, closedAt } = close;
    const doc =
      this.docs.terminals.get(this.docs.terminalKey(storeId, terminalId)) ?? emptyTerminal(storeId, terminalId);
    // The close as the fold hands it over (`onOperationEvent`), no field more: the outcome is then the one it folds.
    const asked: ReportedClose = { operationId, businessDay, batch, closedAt };
    const reported = closeReported(doc, asked);
    this.reportedAhead = { doc, close: asked, reported };
    return reported.lostAt !== undefined || reported.takerAmong !== undefined;
  }

  /**
   * `closeReported`, or the outcome `losesBatch` folded of the same close on the very same terminal document just
   * before (the rim asks `missingDays` of the event, then folds it): the fold is pure, and the outcome, the close's
   * whole comparison, was folded twice for every close completed. Handed over once: the fold stamps the document it
   * gets and keeps it.
   */
  private reportedOnce(doc: TerminalDoc, close: ReportedClose): ReturnType<typeof closeReported> {
    const ahead = this.reportedAhead;
    this.reportedAhead = undefined;
    if (
      ahead?.doc === doc &&
      ahead.close.operationId === close.operationId &&
      ahead.close.businessDay === close.businessDay &&
      ahead.close.batch === close.batch &&
      ahead.close.closedAt === close.closedAt
    )
      return ahead.reported;
    return closeReported(doc, close);
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
      this.completions.forget(operationId);
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
    const close = this.completions.closeOf(event, recorded, true);
    // Completed without the terminal's batch (Dintero gave no result): an end-of-day close the terminal's batch pends
    // on closed it all the same, its totals unknown (`withoutTotals`), and the next close holds only what came after;
    // so did one it may have let go of (`mayBeLetGo`), its log side unknown too. Any other operation (`send_logs`, a
    // close never seen asked for) pends no more.
    if (!close || !this.completions.closesBatch(close, operationId, recorded)) {
      if (event.type === 'OperationCompleted') this.onClosePending(operationId, event, recorded, position, put);
      return;
    }
    const { storeId, terminalId, businessDay, batch, closedAt } = close;
    // A close the terminal made before its last one, heard of after it: the earlier goes on its own day too, and
    // the close it took facts back from.
    let earlier: readonly TerminalClose[] = [];
    let lostAt: string | undefined;
    let lostSwap: LostSwap | undefined;
    let takerAmong: ({ readonly at: string } & TakerAmong) | undefined;
    this.writes.changeTerminal(
      storeId,
      terminalId,
      position,
      put,
      (doc) => {
        const reported = this.reportedOnce(doc, { operationId, businessDay, batch, closedAt });
        earlier = reported.earlier;
        lostAt = reported.lostAt;
        lostSwap = reported.lostSwap;
        takerAmong = reported.takerAmong;
        return reported.doc;
      },
      { operationId },
    );
    // Its batch taken by a close the terminal holds no more (let go of past a bound): that close, on its store day, was
    // compared with this one's facts too, and says its log side unknown.
    if (lostAt !== undefined) {
      const lost = { operationId, ...(lostSwap ? { swap: lostSwap } : {}) };
      this.countInOlderClose(storeId, terminalId, lostAt, saidUnknown, position, put, lost);
    }
    // A close let go of that may have been the old device's, dated after a swap split before it: the old device's close
    // dated after the swap that the terminal holds no more took its batch then, on its store day. Or, while the swap
    // waits, the new device's: its close let go of past the bound took it.
    if (takerAmong !== undefined) {
      const among = 'ids' in takerAmong ? { only: takerAmong.ids } : { swap: takerAmong.swap };
      this.countInOlderClose(storeId, terminalId, takerAmong.at, saidUnknown, position, put, { operationId, ...among });
    }
    for (const close of earlier) this.writes.putClose(storeId, close, position, put);
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
  daysClosedSince(storeId: string, closedAt: string): readonly string[] {
    const date = localDate(closedAt, this.docs.storeDoc(storeId).timeZone);
    // Asked twice of every close completed (`ReadModelProjector.missingDays`, then `markClosedSince`), and a night's
    // closes are of one or two days: the last list again, rather than eight dates made by `Date` each time (in the fold
    // of a log with closes, `addDays` was 3% of the CPU).
    const last = this.lastClosedSince;
    if (last?.date === date) return last.days;
    const days = Array.from({ length: LATE_CLOSE_DAYS + 1 }, (_, i) => addDays(date, -i));
    this.lastClosedSince = { date, days };
    return days;
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
      // With the device it is sent to: whose batch it closes, where a swap's instant against Dintero's may misread it.
      // Sent to the terminal's own name, no device of that id enrolled: it names none (`deviceRead`), as a sale sent to
      // the name does. Its first device enrolled since is no swap: that device's sale was the close's batch's, where by
      // the close's device (the name, another than the sale's) it was taken for the next batch's once heard of late.
      const change = (doc: TerminalDoc) =>
        closeRequested(doc, operationId, deviceRead(doc, terminalId, stringField(event.data, 'dinteroTerminalId')));
      return this.writes.changeTerminal(storeId, terminalId, position, put, change, undefined);
    }
    const storeId = stringField(recorded.metadata, 'storeId');
    const terminalId = stringField(recorded.metadata, 'terminalId');
    if (storeId === undefined || terminalId === undefined) return;
    const change = (doc: TerminalDoc) => closeAbandoned(doc, operationId);
    this.writes.changeTerminal(storeId, terminalId, position, put, change, undefined);
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
}

/**
 * How many days after a fact's own its batch's close may be, and still be corrected by it when the fact is
 * reported after later closes: a week covers a terminal left open over a weekend and the holidays around it.
 */
const LATE_CLOSE_DAYS = 7;

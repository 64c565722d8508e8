import type { RecordedEvent } from '@app/event-store';
import { localDate, type OperationEvent } from '@app/payment-domain';
import { closeTimes } from './close-times';
import type { ReadModelDocuments } from './read-model.documents';
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
 * Which completed operations close their terminal's batch (`TerminalCloses`), told before the completion is folded:
 * for the fold, and for the rim to know which days to read back (`ReadModelProjector.missingDays`) and whether to read
 * the operation's request back from the log first (`ReadModelProjector.missingOperation`).
 */
export class CloseCompletions {
  /** See `ReadModelProjector.onUnreadable`. */
  onUnreadable: ((unreadable: UnreadableTimes) => void) | undefined;

  /**
   * Operations read back from the log as ends of day (`ReadModelProjector.rememberOperation`) for the completion about
   * to be folded (`mayBeLetGo`): one at most, let go of once that completion is.
   */
  private readonly readAsEndOfDay = new Set<string>();

  constructor(private readonly docs: ReadModelDocuments) {}

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

  /** The request read back for a completion (`readRequest`) let go of once that completion is folded, however it ends. */
  forget(operationId: string): void {
    this.readAsEndOfDay.delete(operationId);
  }
}

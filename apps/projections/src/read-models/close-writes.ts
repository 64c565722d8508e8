import { emptyStoreDay } from './projections/store-day.projection';
import { emptyTerminal } from './projections/terminal.projection';
import { closesHeld, withClose } from './projections/terminal-batch';
import { stamped, type Put, type ReadModelDocuments } from './read-model.documents';
import type { TerminalClose, TerminalDoc } from './read-model.types';

/**
 * How `TerminalCloses` writes: a terminal changed outside its projection's facts, and each close it holds on its store
 * day when that close changed, both idempotent by the documents' positions.
 */
export class CloseWrites {
  constructor(private readonly docs: ReadModelDocuments) {}

  /**
   * Changes a terminal's document outside its projection's facts (its batch), and writes the store day of each close
   * the terminal holds (`closesHeld`) again when that close changed.
   */
  changeTerminal(
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
  putClose(storeId: string, close: TerminalClose, position: string, put: Put): void {
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

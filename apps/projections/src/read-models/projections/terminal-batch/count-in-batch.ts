import type { OpenBatch, TerminalClose, TerminalDoc } from '../../read-model.types';
import { counting, countInClose, NONE, timed, type Counted } from './batch-figures';
import { beforeLastBatch } from './batch-windows';
import { latest, replacingEnded } from './closes-ended-meanwhile';
import { factsDevice, ofDevice, swappedOutHolding, swappedSince } from './device-swap';

/**
 * Most facts a batch keeps with their times while a close is pending, with the closes that ended meanwhile and theirs
 * (`keptWhileClosing`). A close pends seconds, or minutes when the terminal is slow to answer; a terminal that took more
 * sales than this meanwhile (or a close that never ends, over nights of sales) has its close compared as before (with
 * every fact counted until its outcome was recorded), and its document stays within a NATS message.
 */
const MAX_COUNTED_WHILE_CLOSING = 1_000;

/**
 * Counts a capture (`purchase`) or a refund done at the terminal (`reversal`) into the terminal's batch, by
 * the time Dintero gives it: into the open batch, or into the last close when it happened before that close
 * (its report reached the log after the close did), whose comparison is then made again. One that happened before
 * the last close's batch opened (reported after two closes or more) is in neither: the close it belongs to, an
 * older one, is corrected on its store day instead (`closeHolding`, `countInClose`). While closes pend, one that
 * happened before a close that ended meanwhile is that close's, kept with its time (`closedWhileClosing`).
 */
export function countInBatch(doc: TerminalDoc, counted: Counted, at: string): TerminalDoc {
  const swapped = swappedOutHolding(doc, at);
  if (swapped !== undefined) {
    const batch = doc.swappedOut![swapped]!;
    return { ...doc, swappedOut: { ...doc.swappedOut, [swapped]: { ...batch, ...counting(batch, counted) } } };
  }
  if (doc.openBatch?.closing && keptWhileClosing(doc.openBatch) >= MAX_COUNTED_WHILE_CLOSING) {
    // Too many to keep (the closes that ended meanwhile hold theirs too, while a close never ends): the pending closes
    // take every fact counted until their outcome, as before they were kept (and a device swapped in meanwhile shares
    // the batch with the one it replaced).
    const {
      closing: _closing,
      countedWhileClosing: _counted,
      swappedWhileClosing: _swap,
      closedWhileClosing: taken = [],
      ...figures
    } = doc.openBatch;
    // The old device's closes that ended meanwhile leave the latest the last. Not the new device's while a swap waits:
    // its batch opened at the swap, so a fact of the old device's heard of late would be taken for an older close's
    // (`beforeLastBatch`) and lost, where the old device's pending close takes it now (the devices share the batch).
    const swap = doc.openBatch.swappedWhileClosing;
    const last = taken
      .filter((each) => ofDevice(swap, each) !== 'new')
      .reduce<TerminalClose | undefined>((newest, { close }) => latest(close, newest), doc.lastClose);
    return countInBatch({ ...doc, ...(last ? { lastClose: last } : {}), openBatch: figures }, counted, at);
  }
  const when = Date.parse(at);
  const ended = doc.openBatch?.closedWhileClosing ?? [];
  const swap = doc.openBatch?.swappedWhileClosing;
  // While a swap waits for the old device's close, a fact is of one device's closes only (`ofDevice`).
  const holding = ended.findIndex(
    (each) => ofDevice(swap, each) === factsDevice(swap, when) && when <= Date.parse(each.close.closedAt),
  );
  if (doc.openBatch && holding >= 0) {
    if (beforeLastBatch(doc, at)) return doc;
    // Kept with its time for a pending close too: should that one have closed before this fact, it takes it back.
    const { close, counted: taken } = ended[holding]!;
    const entry = { close: countInClose(close, counted), counted: [...taken, timed(counted, at)] };
    return replacingEnded(doc, doc.openBatch, holding, [entry]);
  }
  // The last close is the old device's while the swap waits: the new device's closes are all in the list.
  const close = factsDevice(swap, when) === 'new' || swappedSince(doc, when) ? undefined : doc.lastClose;
  if (close !== undefined && when <= Date.parse(close.closedAt))
    return beforeLastBatch(doc, at) ? doc : { ...doc, lastClose: countInClose(close, counted) };
  const open: OpenBatch = doc.openBatch ?? { ...NONE };
  return {
    ...doc,
    openBatch: {
      ...counting(open, counted),
      ...(open.closing ? { countedWhileClosing: [...(open.countedWhileClosing ?? []), timed(counted, at)] } : {}),
    },
  };
}

/**
 * What a batch keeps while closes pend, against `MAX_COUNTED_WHILE_CLOSING`: its facts with their times, and each close
 * ended meanwhile with its own, the close counting as one more (its record is larger than a fact's).
 */
function keptWhileClosing(open: OpenBatch): number {
  let kept = open.countedWhileClosing?.length ?? 0;
  for (const { counted } of open.closedWhileClosing ?? []) kept += 1 + counted.length;
  return kept;
}

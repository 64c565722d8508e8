import type { ClosedWhileClosing, OpenBatch, TerminalDoc } from '../../read-model.types';
import { counting, countInClose, NONE, timed, type Counted } from './batch-figures';
import { beforeLastBatch } from './batch-windows';
import { replacingEnded } from './closes-ended-meanwhile';
import { factsDevice, ofDevice, sameDevice, swappedBackHolds, swappedOutHolding, swappedSince } from './device-swap';
import { withinKeptBound } from './kept-while-closing';
import { copied } from '../terminal-copy';

/**
 * Whether a fact at `at` is before the terminal's last close's batch as `countInBatch` finds the terminal: past the
 * bound of what it keeps while closes pend (`withinKeptBound`, which the fact may be the one to reach), the closes that
 * ended meanwhile let go of, the latest the last. Such a fact is counted in its older close on that close's store day
 * (`TerminalCloses.countInOlderClose`), where `countInBatch` leaves it out: told by the terminal before the bound, the
 * fact went to the terminal, and was lost there (its close on its store day showed a difference made up).
 */
export function countedBeforeLastBatch(doc: TerminalDoc | undefined, at: string, device?: string): boolean {
  return beforeLastBatch(doc && withinKeptBound(doc), at, device);
}

/**
 * Counts a capture (`purchase`) or a refund done at the terminal (`reversal`) into the terminal's batch, by
 * the time Dintero gives it: into the open batch, or into the last close when it happened before that close
 * (its report reached the log after the close did), whose comparison is then made again. One that happened before
 * the last close's batch opened (reported after two closes or more) is in neither: the close it belongs to, an
 * older one, is corrected on its store day instead (`closeHolding`, `countInClose`). While closes pend, one that
 * happened before a close that ended meanwhile is that close's, kept with its time (`closedWhileClosing`). One sent to
 * a device (`counted.device`) is counted in that device's batch or closes alone, where the instants (Dintero's fact
 * against the engine's swap) may misread it; one that names none, by the instants.
 */
export function countInBatch(doc: TerminalDoc, counted: Counted, at: string): TerminalDoc {
  const { device } = counted;
  const swapped = swappedOutHolding(doc, at, device);
  if (swapped !== undefined) {
    const batch = doc.swappedOut![swapped]!;
    return { ...doc, swappedOut: { ...doc.swappedOut, [swapped]: { ...batch, ...counting(batch, counted) } } };
  }
  // Too many to keep while closes pend: the pending closes take every fact counted until now, and pend still.
  const bounded = withinKeptBound(doc);
  if (bounded !== doc) return countInBatch(bounded, counted, at);
  const when = Date.parse(at);
  const ended = doc.openBatch?.closedWhileClosing ?? [];
  const swap = doc.openBatch?.swappedWhileClosing;
  // While a swap waits for the old device's close, a fact is of one device's closes only (`ofDevice`).
  const factOf = factsDevice(swap, when, device, doc.device);
  // Of the old device's closes by their times alone once it took the name back (`swappedBackHolds`): the first of them
  // after it, whichever the swap names. A close that names no device, by the instants.
  const back = swappedBackHolds(swap, when, device, doc.device);
  // Once another device took the name again (A, B, A, B), a fact sent to the old device after the swap may be of its
  // closes since it took the name back, in the list as the new device's: by its device alone it was the old close's,
  // and at the split went with the batch swapped out at the first swap, the close of the device's that held it showing
  // it missing.
  const sentBack = (each: ClosedWhileClosing) =>
    swap !== undefined &&
    device !== undefined &&
    device === swap.device &&
    each.close.device === device &&
    ofDevice(swap, each) === 'new' &&
    when > Date.parse(swap.at);
  const holding = ended.findIndex(
    (each) =>
      (back && each.close.device !== undefined
        ? each.close.device === swap?.device
        : ofDevice(swap, each) === factOf || sentBack(each)) &&
      sameDevice(each.close.device, device) &&
      when <= Date.parse(each.close.closedAt),
  );
  if (doc.openBatch && holding >= 0) {
    if (beforeLastBatch(doc, at, device)) return doc;
    // Kept with its time for a pending close too: should that one have closed before this fact, it takes it back.
    // With the rest of its entry: the facts past the bound it took (`pastBound`) say which pending close shares them.
    const held = ended[holding]!;
    const entry = {
      ...held,
      close: countInClose(held.close, counted),
      counted: [...held.counted, timed(counted, at)],
    };
    return replacingEnded(doc, doc.openBatch, holding, [entry]);
  }
  // The last close is the old device's while the swap waits: the new device's closes are all in the list. A close sent
  // to another device than the fact's is not its close.
  const last = doc.lastClose;
  const close =
    factOf === 'new' || swappedSince(doc, when, device) || !sameDevice(last?.device, device) ? undefined : last;
  if (close !== undefined && when <= Date.parse(close.closedAt))
    return beforeLastBatch(doc, at, device) ? doc : { ...doc, lastClose: countInClose(close, counted) };
  const open: OpenBatch = doc.openBatch ?? { ...NONE };
  const batch = counting(open, counted);
  // `counting`'s copy is the new batch itself while no close pends (nearly always), not copied again; the terminal
  // copied with its fields named (`copied`), on every capture.
  if (!open.closing) {
    const next = copied(doc);
    next.openBatch = batch;
    return next;
  }
  return {
    ...doc,
    openBatch: { ...batch, countedWhileClosing: [...(open.countedWhileClosing ?? []), timed(counted, at)] },
  };
}

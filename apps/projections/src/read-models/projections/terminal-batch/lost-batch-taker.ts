import type { TerminalClose, TerminalDoc } from '../../read-model.types';
import { saidUnknown } from './batch-figures';
import { holds, recordedFrom } from './batch-windows';
import { closesHeld, replacingEnded } from './closes-ended-meanwhile';
import { ofDevice, swappedOutCloses } from './device-swap';

/**
 * The terminal with the close it holds (its last, or one ended while another pends) whose batch held the cut of close
 * `lost` at `cut` said unknown (`recordedUnknown`), with that close (`taker`): it took the batch of the one cut then, let
 * go of past a bound, and was compared with its facts too. Only a close of the lost one's `device` took it: while a swap
 * waits, a close of the other device may hold the same instant in its own batch (the old device's closes dated after
 * the swap are cut at it, the new device's batch opened at it). Looked for before the split at the swap, which lets
 * the old device's closes go and makes the new device's the last. When it holds none such, the cut (`lostAt`) for the
 * caller to look for the close on its store day.
 */
export function takerUnknown(
  doc: TerminalDoc,
  cut: string,
  lost: string,
  device: 'old' | 'new' | 'both',
): { doc: TerminalDoc; taker?: TerminalClose; lostAt?: string } {
  const at = Date.parse(cut);
  // By what its record counted (`recordedFrom`): the terminal's first close took all before it, whatever its start of day.
  const took = (held: TerminalClose) => {
    const opened = recordedFrom(held);
    return held.operationId !== lost && Date.parse(held.closedAt) >= at && (opened === undefined || holds(opened, at));
  };
  const swap = doc.openBatch?.swappedWhileClosing;
  const ended = doc.openBatch?.closedWhileClosing ?? [];
  const index = ended.findIndex((each) => ofDevice(swap, each) === device && took(each.close));
  if (doc.openBatch !== undefined && index >= 0) {
    const entry = ended[index]!;
    const taker = saidUnknown(entry.close);
    return { doc: replacingEnded(doc, doc.openBatch, index, [{ ...entry, close: taker }]), taker };
  }
  // While a swap waits, the last close is the old device's (the new device's closes are all in the list).
  const last = doc.lastClose;
  if (last !== undefined && device !== 'new' && took(last)) {
    const taker = saidUnknown(last);
    return { doc: { ...doc, lastClose: taker }, taker };
  }
  return { doc, lostAt: cut };
}

/**
 * A close let go of beyond the 50 kept pending whose outcome comes after the split at a swap, cut at `cut` after it: it
 * may have been the old device's (asked for before the swap), and then the close of the old device dated after the
 * swap that closed after it (`closedAfterSwap`) took its batch, compared with its facts as well as its own. That close,
 * held by the terminal, said unknown (`recordedUnknown`) with the terminal; undefined when it holds none such (or said
 * it unknown already). Taken for the new device's alone, the close took that device's facts, and the old close kept a
 * difference (or a match) that may not be there, where had its outcome come while the swap waited, it was taken for
 * the old device's and the old close said unknown.
 */
export function swappedOutTaker(
  doc: TerminalDoc,
  cut: string,
  lost: string,
): { doc: TerminalDoc; taker: TerminalClose } | undefined {
  const at = Date.parse(cut);
  const old = swappedOutCloses(doc, at);
  if (old.size === 0) return undefined;
  const took = (held: TerminalClose) => {
    const opened = recordedFrom(held);
    return (
      old.has(held.operationId) &&
      held.operationId !== lost &&
      held.recordedUnknown !== true &&
      Date.parse(held.closedAt) >= at &&
      (opened === undefined || holds(opened, at))
    );
  };
  const ended = doc.openBatch?.closedWhileClosing ?? [];
  const index = ended.findIndex((each) => took(each.close));
  if (doc.openBatch !== undefined && index >= 0) {
    const entry = ended[index]!;
    const taker = saidUnknown(entry.close);
    return { doc: replacingEnded(doc, doc.openBatch, index, [{ ...entry, close: taker }]), taker };
  }
  const last = doc.lastClose;
  if (last === undefined || !took(last)) return undefined;
  const taker = saidUnknown(last);
  return { doc: { ...doc, lastClose: taker }, taker };
}

/** The closes said unknown as takers that the terminal holds no more: written on their store days by the caller. */
export function notHeld(doc: TerminalDoc, takers: readonly TerminalClose[] | undefined): TerminalClose[] {
  const held = closesHeld(doc);
  return (takers ?? []).filter((taker) => !held.includes(taker));
}

import type { TerminalClose, TerminalDoc } from '../../read-model.types';
import { saidUnknown } from './batch-figures';
import { holds, recordedFrom } from './batch-windows';
import { closesHeld, replacingEnded } from './closes-ended-meanwhile';
import { ofDevice, swappedOutCloses, type PendingSwap } from './device-swap';

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
): { doc: TerminalDoc; taker?: TerminalClose; lostAt?: string; lostSwap?: LostSwap } {
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
  // Its device's closes alone on the store day too: the swap is split by then, and the closes do not name their device.
  const lostSwap =
    swap === undefined || device === 'both'
      ? undefined
      : { at: swap.at, closes: swap.closes, device, oldDevice: swap.device };
  return { doc, lostAt: cut, ...(lostSwap ? { lostSwap } : {}) };
}

/**
 * The swap that waited when a close lost its batch (`lostAt`) to a close the terminal holds no more: the lost close's
 * device, the old device's closes the swap named, and the old device's id (`oldDevice`, the swap's `device`), so that
 * the taker is looked for on its store day among that device's closes alone (`notTakers`).
 */
export interface LostSwap {
  readonly at: string;
  readonly closes: readonly string[];
  readonly device: 'old' | 'new';
  readonly oldDevice: string;
}

/**
 * The closes on store days (`closes`, of the lost close's terminal) that cannot have taken the batch of a close lost
 * while a swap waited (`lostSwap`), besides those of devices swapped out before the cut (`swappedOut`, dated after
 * their swap): the other device's. For the old device's close, its own closes dated after the swap are the ones that
 * may have taken it, where for a fact after the swap they are left out; the new device's are those the swap does not
 * name that closed after it (an old device's close it does not name ended before it), or that were sent to another
 * device than the old one (`TerminalClose.device`): one Dintero dated before the swap (its clock behind the engine's)
 * whose batch opened at the new device's close before it held the cut too, and was said unknown where the old
 * device's close that took the batch kept its difference.
 */
export function notTakers(
  closes: readonly TerminalClose[],
  swappedOut: ReadonlySet<string>,
  lostSwap: LostSwap,
): Set<string> {
  const named = new Set(lostSwap.closes);
  if (lostSwap.device === 'new') return new Set([...swappedOut, ...named]);
  const swappedAt = Date.parse(lostSwap.at);
  const newDevices = closes
    .filter(
      (close) =>
        !named.has(close.operationId) &&
        (Date.parse(close.closedAt) > swappedAt || (close.device !== undefined && close.device !== lostSwap.oldDevice)),
    )
    .map((close) => close.operationId);
  return new Set([...[...swappedOut].filter((id) => !named.has(id)), ...newDevices]);
}

/**
 * The close that may have taken the batch of a close let go of beyond the 50 kept pending, cut at `cut`, which of two
 * devices' it is not being known; said unknown (`recordedUnknown`) with the terminal, or undefined when the terminal
 * holds none such (or said it unknown already). While a swap waits, the let-go close is taken for the old device's
 * (`letGoAtSwap`); dated after the swap it may have been the new device's, and then the new device's close ended
 * meanwhile that closed after it took its batch from the swap on. Heard of after the split at a swap and dated after
 * it, it is taken for the new device's; it may have been the old device's, and then the old device's close dated after
 * the swap that closed after it (`closedAfterSwap`) took its batch. Either taker was compared with the let-go close's
 * facts as well as its own, and kept a difference (or a match) that may not be there. After the split, the old
 * device's closes dated after the swap that the terminal holds no more (a close of the new device became the last, or
 * the list was let go of past the bound) are on their store days alone: their ids (`among`), for the caller to look
 * for the taker there among them only (`TerminalCloses.countInOlderClose`). While the swap waits, the new device's
 * closes let go of past the bound (`keptApart` keeps its latest alone) are on their store days alone too: the swap
 * (`among`), for the caller to look for the taker there among the new device's closes (`notTakers`).
 */
export function letGoTaker(
  doc: TerminalDoc,
  cut: string,
  lost: string,
): { doc: TerminalDoc; taker: TerminalClose } | { among: TakerAmong } | undefined {
  const at = Date.parse(cut);
  const swap = doc.openBatch?.swappedWhileClosing;
  // The closes of the device it is not taken for: while the swap waits, the new device's (all in the list), when it
  // is dated after the swap; after the split, the old device's dated after their swap.
  const old = swappedOutCloses(doc, at);
  let ofOther: (close: TerminalClose) => boolean;
  if (swap !== undefined) {
    // Dated before the swap it is the old device's by the instants, but may have been the new device's all the same.
    if (at <= Date.parse(swap.at)) return newTakerBeforeSwap(doc, swap, at, lost);
    ofOther = (close) => !swap.closes.includes(close.operationId);
  } else {
    if (old.size === 0) return undefined;
    ofOther = (close) => old.has(close.operationId);
  }
  const took = (held: TerminalClose) => {
    const opened = recordedFrom(held);
    return (
      ofOther(held) &&
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
  // While the swap waits the last close is the old device's: none the let-go close may have been another device's.
  // The new device's closes are all in the list but those let go of past the bound, which closed before the earliest
  // it holds opened: when that opened at the cut or after it, the new device's close that held the cut (if any) is on
  // its store day alone, and kept the let-go close's sales there as its own.
  if (swap !== undefined) {
    const opened = ended.find((each) => ofDevice(swap, each) === 'new')?.close.openedAt;
    if (opened === undefined || at > Date.parse(opened)) return undefined;
    return { among: { swap: { at: swap.at, closes: swap.closes, device: 'new', oldDevice: swap.device } } };
  }
  const last = doc.lastClose;
  if (last !== undefined && took(last)) {
    const taker = saidUnknown(last);
    return { doc: { ...doc, lastClose: taker }, taker };
  }
  const held = closesHeld(doc).map((close) => close.operationId);
  const ids = [...old].filter((id) => id !== lost && !held.includes(id));
  return ids.length > 0 ? { among: { ids } } : undefined;
}

/**
 * `letGoTaker` of a close let go of while a swap waits that Dintero dates before the swap: the new device's close ended
 * meanwhile, closed after it, that took a fact dated by its cut, said unknown with the terminal. Had the let-go close
 * been the new device's (asked for after the swap, Dintero's clock behind the engine's), that fact was its own: by
 * the instants alone none was looked for, and the taker kept a difference that may not be there (a known mismatch,
 * where its log side is unknown). One that took no such fact holds the same figures whichever device's it was.
 */
function newTakerBeforeSwap(
  doc: TerminalDoc,
  swap: PendingSwap,
  at: number,
  lost: string,
): { doc: TerminalDoc; taker: TerminalClose } | undefined {
  const open = doc.openBatch;
  const ended = open?.closedWhileClosing ?? [];
  const index = ended.findIndex(
    ({ close, counted, pastBound }) =>
      !swap.closes.includes(close.operationId) &&
      close.operationId !== lost &&
      close.recordedUnknown !== true &&
      Date.parse(close.closedAt) >= at &&
      (counted.some((fact) => Date.parse(fact.at) <= at) ||
        (pastBound !== undefined && Date.parse(pastBound.from) <= at)),
  );
  if (open === undefined || index < 0) return undefined;
  const entry = ended[index]!;
  const taker = saidUnknown(entry.close);
  return { doc: replacingEnded(doc, open, index, [{ ...entry, close: taker }]), taker };
}

/**
 * Where the close that may have taken a let-go close's batch, which the terminal holds no more, is looked for on its
 * store day: among these closes alone (`ids`), or, while a swap waits, among the closes of the device the let-go close
 * may have been (`swap`, `notTakers`): past the bound the terminal keeps the new device's latest close alone, and no
 * ids of those it let go of.
 */
export type TakerAmong = { readonly ids: readonly string[] } | { readonly swap: LostSwap };

/** The closes said unknown as takers that the terminal holds no more: written on their store days by the caller. */
export function notHeld(doc: TerminalDoc, takers: readonly TerminalClose[] | undefined): TerminalClose[] {
  const held = closesHeld(doc);
  return (takers ?? []).filter((taker) => !held.includes(taker));
}

import type { ClosedWhileClosing, OpenBatch, TerminalClose, TerminalDoc, TimedCount } from '../../read-model.types';
import { compared, counting, factsOtherThan, pick, without } from './batch-figures';
import { ofDevice, swappedBackHolds } from './device-swap';
import type { TakerAmong } from './lost-batch-taker';
import { cutThrough } from './past-bound';

/** The terminal with the facts an old device's close takes back, and the later closes they were taken from. */
export interface TakenBack {
  readonly doc: TerminalDoc;
  readonly corrected: readonly TerminalClose[];
  /**
   * A close of the device since it came back that the terminal holds no more (let go of past the bound) took facts of
   * this close's batch: where the caller looks for it on its store day, at this close's cut, to say it unknown.
   */
  readonly takerAmong?: { readonly at: string } & TakerAmong;
}

/**
 * A close of the old device while a swap waits, whose outcome reached the log after a later close that ended meanwhile
 * and was sent to the same device, swapped back since (A, B, A again): read by the instants against the first swap's,
 * that later close took as the new device's batch the sales sent to the device after it came back, those before this
 * close too. The device's batch held them until this close: they go back to the batch this close takes (its figures
 * and its facts kept with their times, `countedWhileClosing`, with those from before the swap still there), and the
 * later close keeps what came after, its batch opening at this close. Undefined when no later close took any, or may
 * have. Facts naming no device after the device came back are its own by their time, taken back too; those before it
stay where their time puts them (the device cannot tell them apart). Facts past the bound a
 * later close took, not all after this close, stay too, but which are the device's is not known: both closes say
 * their log side unknown.
 */
export function takenBackAtSwapBack(doc: TerminalDoc, operationId: string, closedAtIso: string): TakenBack | undefined {
  const back = takenBackFrom(doc, operationId, closedAtIso);
  const open = back?.doc.openBatch;
  if (back === undefined || open === undefined) return undefined;
  const openBatch: OpenBatch = {
    ...back.taken.reduce(counting, open),
    countedWhileClosing: [...(open.countedWhileClosing ?? []), ...back.taken],
    ...(back.unsure ? { incomplete: open.incomplete ?? {} } : {}),
  };
  const { takerAmong } = back;
  return { doc: { ...back.doc, openBatch }, corrected: back.corrected, ...(takerAmong ? { takerAmong } : {}) };
}

/**
 * What `takenBackAtSwapBack` takes back, the batch left as it was: the terminal with the later closes corrected, those
 * closes, the facts taken from them (`taken`), and whether one took facts past the bound it cannot tell the device's
 * share of (`unsure`). A close heard of after a later one of its own side too (`closeBeforeEnded`) holds them, with
 * what it takes back from that one.
 */
export function takenBackFrom(
  doc: TerminalDoc,
  operationId: string,
  closedAtIso: string,
): (TakenBack & { readonly taken: readonly TimedCount[]; readonly unsure: boolean }) | undefined {
  const open = doc.openBatch;
  const swap = open?.swappedWhileClosing;
  const device = swap?.device;
  if (open === undefined || swap === undefined || device === undefined) return undefined;
  if (!open.closing?.includes(operationId) || !swap.closes.includes(operationId)) return undefined;
  const closedAt = Date.parse(closedAtIso);
  const back: TimedCount[] = [];
  const corrected: TerminalClose[] = [];
  // The device's first close since it came back that closed after this one opened after it, at a close the terminal
  // holds no more: one of the device's let go of past the bound (`keptApart` keeps the latest alone), which took the
  // device's sales up to this close, as its own, on its store day alone. Neither can tell its share.
  const held = open.closedWhileClosing ?? [];
  const first = held.find(
    (entry) =>
      ofDevice(swap, entry) === 'new' && entry.close.device === device && closedAt < Date.parse(entry.close.closedAt),
  );
  const opened = first?.close.openedAt === undefined ? undefined : Date.parse(first.close.openedAt);
  // Opened at a swap (the device coming back), not at a close: when another device took the name again since (A, B, A,
  // B), the swap's latest instant is not the one the device came back at, which is a swapped-out batch's.
  const swaps = [swap.at, swap.latestSwapAt, ...Object.keys(doc.swappedOut ?? {})].flatMap((each) =>
    each === undefined ? [] : [Date.parse(each)],
  );
  const letGoBetween =
    opened !== undefined &&
    opened > closedAt &&
    !swaps.includes(opened) &&
    !held.some(({ close }) => Date.parse(close.closedAt) === opened);
  let unsure = letGoBetween;
  const ended = held.map((entry): ClosedWhileClosing => {
    const later = entry.close;
    if (ofDevice(swap, entry) !== 'new' || later.device !== device) return entry;
    if (closedAt >= Date.parse(later.closedAt)) return entry;
    // Facts past the bound it took, not all after this close: which were the device's is not known, so neither close
    // can tell its share (its log side unknown, and this close's batch incomplete), where each showed a difference.
    if (entry.pastBound !== undefined && cutThrough(entry.pastBound, closedAt) !== 'after') {
      unsure = true;
      if (later.recordedUnknown === true) return entry;
      const close = compared({ ...later, recordedUnknown: true });
      corrected.push(close);
      return { ...entry, close };
    }
    // Those naming no device after it came back are its own by their time (`swappedBackHolds`).
    const its = entry.counted.filter(
      (fact) =>
        (fact.device === device || swappedBackHolds(swap, Date.parse(fact.at), fact.device, doc.device)) &&
        Date.parse(fact.at) <= closedAt,
    );
    // Its batch opens at this close, whether or not it took any of this close's facts: opened at the device's return (a
    // swap's instant), it seemed to hold a fact of this close's heard of after both ended (`closeHolding` takes the
    // later opened). Opened at a close let go of past the bound, it says so to the next old close (`letGoBetween`).
    const reopened =
      later.openedAt !== undefined &&
      Date.parse(later.openedAt) <= closedAt &&
      swaps.includes(Date.parse(later.openedAt));
    if (its.length === 0) {
      if (!reopened) return entry;
      const close = compared({ ...later, openedAt: closedAtIso });
      corrected.push(close);
      return { ...entry, close };
    }
    back.push(...its);
    const left = its.reduce(without, {
      ...later.recorded,
      ...(later.currencies ? { currencies: later.currencies } : {}),
    } as OpenBatch);
    const openedAt =
      later.openedAt !== undefined && Date.parse(later.openedAt) > closedAt ? later.openedAt : closedAtIso;
    const close = compared({
      ...later,
      openedAt,
      recorded: pick(left),
      ...(later.currencies ? { currencies: left.currencies ?? {} } : {}),
    });
    corrected.push(close);
    return { ...entry, close, counted: factsOtherThan(entry.counted, its) };
  });
  if (corrected.length === 0 && !unsure) return undefined;
  const last = doc.lastClose;
  const lastClose = corrected.find((close) => close.operationId === last?.operationId) ?? last;
  const openBatch: OpenBatch = { ...open, closedWhileClosing: ended };
  const takerAmong = letGoBetween
    ? { at: closedAtIso, swap: { at: swap.at, closes: swap.closes, device: 'new' as const, oldDevice: device } }
    : undefined;
  return {
    doc: { ...doc, ...(lastClose ? { lastClose } : {}), openBatch },
    corrected,
    taken: back,
    unsure,
    ...(takerAmong ? { takerAmong } : {}),
  };
}

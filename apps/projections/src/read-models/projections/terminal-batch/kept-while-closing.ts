import type { ClosedWhileClosing, OpenBatch, TerminalClose, TerminalDoc, TimedCount } from '../../read-model.types';
import { factsOtherThan } from './batch-figures';
import { latest } from './closes-ended-meanwhile';
import { namingOldClosesLetGo, ofDevice, timedDevice, type PendingSwap } from './device-swap';
import { pastBoundWith } from './past-bound';

/**
 * Most a batch keeps while a close is pending, in facts with their times (`keptWhileClosing`). A close pends seconds,
 * or minutes when the terminal is slow to answer; a terminal that took more sales than this meanwhile (or a close that
 * never ends, over nights of sales or of closes alone) has the facts counted until the bound was reached summed, with
 * the span of their times (`pastBound`), and its document stays within a NATS message. Which closes pend is kept past
 * it (their ids, the latest `MAX_PENDING_CLOSES`): a close that then completes without totals is still known for one
 * the batch pends on, and closes it.
 */
const MAX_COUNTED_WHILE_CLOSING = 1_000;

/**
 * Most closes a batch keeps pending (`closing`, their ids), kept past `MAX_COUNTED_WHILE_CLOSING` too. A night has a
 * few, and one ends within a day, timed out at worst; more pend only while outcomes never reach the log, night after
 * night (every close never ending), when the list grew by one id a night for good. The oldest are let go of beyond
 * it, so that the document stays within a NATS message however long that lasts: one let go of whose outcome comes
 * after all has its log side unknown (`recordedUnknown`), with totals or without (then known for an end of day by the
 * store day its events carry, or for one by hand recorded before they did, by its request read back from the log:
 * `ReadModelProjector.missingOperation`).
 */
const MAX_PENDING_CLOSES = 50;

/**
 * The closes pending with one more asked for, the oldest let go of beyond `MAX_PENDING_CLOSES`, and whether one was:
 * the terminal then says so (`closesLetGo`), and a close it does not pend on whose outcome comes has its log side
 * unknown, where it was compared with whatever the batch held then.
 */
export function withPending(
  closing: readonly string[] | undefined,
  operationId: string,
): { readonly closing: readonly string[]; readonly letGo: boolean } {
  const all = [...(closing ?? []), operationId];
  return { closing: all.slice(-MAX_PENDING_CLOSES), letGo: all.length > MAX_PENDING_CLOSES };
}

/**
 * What a close ended meanwhile weighs against the bound, in facts: its record, some 450 bytes as JSON, is about five
 * facts' (some 90 each). Counted as one, a terminal with no sales kept a close a night for 1,000 nights.
 */
const CLOSE_WEIGHT = 5;

/**
 * What a batch keeps while closes pend, against `MAX_COUNTED_WHILE_CLOSING`: its facts with their times, and each close
 * ended meanwhile with its own, the close weighing as its record does (`CLOSE_WEIGHT`).
 */
function keptWhileClosing(open: OpenBatch): number {
  let kept = open.countedWhileClosing?.length ?? 0;
  for (const { counted } of open.closedWhileClosing ?? []) kept += CLOSE_WEIGHT + counted.length;
  return kept;
}

/**
 * The terminal as it keeps its batch once it has too much to keep while closes pend: the facts counted until then are
 * summed with the span of their times (`pastBound`), a pending close taking them all, none, or saying it cannot tell,
 * and the facts counted after it are kept with their times again, while closes pend. They stay pending (`closing`):
 * one whose outcome comes without totals closes the batch as ever, where a batch that forgot them took it for no close
 * of its own and dropped it (on no store day, the next close holding both batches). The closes that ended meanwhile
 * are on their store days already, compared; the list lets go of them (a pending close that closed before one of them
 * then finds its batch taken, and says its log side unknown). A device swap that waits for the old device's close is
 * kept, the two devices' facts summed apart (`keptApart`). The terminal as it is while under the bound.
 */
export function withinKeptBound(doc: TerminalDoc): TerminalDoc {
  if (!doc.openBatch?.closing || keptWhileClosing(doc.openBatch) < MAX_COUNTED_WHILE_CLOSING) return doc;
  const {
    countedWhileClosing: counted = [],
    swappedWhileClosing: swap,
    closedWhileClosing: taken = [],
    ...figures
  } = doc.openBatch;
  // The old device's closes dated after the swap that the list lets go of are named for the split.
  if (swap !== undefined)
    return namingOldClosesLetGo(
      doc,
      keptApart(doc, { ...figures, closing: doc.openBatch.closing }, swap, counted, taken),
    );
  const last = taken.reduce<TerminalClose | undefined>((newest, { close }) => latest(close, newest), doc.lastClose);
  // Their figures stay in the batch's, summed apart with the span of their times, so that a pending close that closed
  // before them all (or after) is still compared with its own batch, and one that closed among them says it cannot be.
  const pastBound = pastBoundWith(figures.pastBound, counted);
  return {
    ...doc,
    ...(last ? { lastClose: last } : {}),
    openBatch: { ...figures, ...(pastBound ? { pastBound } : {}) },
  };
}

/**
 * `withinKeptBound` while a swap waits for the old device's close: the facts up to the swap are the old device's,
 * summed in the batch's `pastBound`; those after it the new device's, summed apart in the swap's (a second running
 * sum), so that forgetting their times never merges the two devices' batches. The old device's closes that ended
 * meanwhile leave the latest the last, as without a swap. The new device's leave their latest alone in the list, its
 * facts' times let go of too (its own `pastBound`): the new device's batch opened at it (`swappedInSince`), and one
 * of its closes pending that closed before it finds its batch taken, and says its log side unknown. A close let go
 * of beyond the 50 kept pending, dated before it opened, that may have been the new device's looks for its taker among
 * the closes let go of here, on their store days alone (`letGoTaker`, `takerAmong`). What stays kept weighs one close
 * at most: the batch is under the bound again.
 */
function keptApart(
  doc: TerminalDoc,
  figures: OpenBatch,
  swap: PendingSwap,
  counted: readonly TimedCount[],
  taken: readonly ClosedWhileClosing[],
): TerminalDoc {
  const old = counted.filter((fact) => timedDevice(swap, fact, doc.device) === 'old');
  const its = factsOtherThan(counted, old);
  const last = taken
    .filter((each) => ofDevice(swap, each) === 'old')
    .reduce<TerminalClose | undefined>((newest, { close }) => latest(close, newest), doc.lastClose);
  const newLast = taken.filter((each) => ofDevice(swap, each) === 'new').at(-1);
  const pastBound = pastBoundWith(figures.pastBound, old);
  const itsPast = pastBoundWith(swap.pastBound, its);
  const entryPast = newLast && pastBoundWith(newLast.pastBound, newLast.counted);
  return {
    ...doc,
    ...(last ? { lastClose: last } : {}),
    openBatch: {
      ...figures,
      ...(pastBound ? { pastBound } : {}),
      swappedWhileClosing: { ...swap, ...(itsPast ? { pastBound: itsPast } : {}) },
      ...(newLast
        ? {
            closedWhileClosing: [{ close: newLast.close, counted: [], ...(entryPast ? { pastBound: entryPast } : {}) }],
          }
        : {}),
    },
  };
}

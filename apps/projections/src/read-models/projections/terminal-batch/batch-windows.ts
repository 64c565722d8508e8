import type { StoreDayDoc, TerminalClose, TerminalDoc } from '../../read-model.types';
import { factsDevice, ofDevice, sameDevice, swappedSince } from './device-swap';

/**
 * Whether a fact at `at` happened before the terminal's last close's batch opened (see `opening`), or while closes
 * pend, before the batch of the earliest close that ended meanwhile opened. A fact sent to a device (`device`) is told
 * the old device's or the new one's by it while a swap waits (`factsDevice`).
 */
export function beforeLastBatch(doc: TerminalDoc | undefined, at: string, device?: string): boolean {
  const when = Date.parse(at);
  const swap = doc?.openBatch?.swappedWhileClosing;
  // Nearly always none: asked of every capture and refund two or three times, with no list made for it.
  const ended = doc?.openBatch?.closedWhileClosing;
  // The new device's batch opened at the swap: a fact after it is before none of its closes, but for those let go of
  // past the bound (`withinKeptBound`), which the earliest of its closes kept opened at. A fact sent to the device whose
  // first close that is (opened at the swap) is before none, whatever Dintero dates it.
  if (factsDevice(swap, when, device, doc?.device) === 'new') {
    const first = ended?.find((each) => ofDevice(swap, each) === 'new');
    const opened = first?.close.openedAt;
    if (first?.close.device === device && openedAtSwapTo(doc, opened, device)) return false;
    // Opened at an old close of the swap ended meanwhile (A, B, A: the device's next close after its old one, another
    // old close pending): a fact of the device's before it is that old close's, kept with its time, where it was in no
    // close (the old close left out on its store day as the swap's, the pending one taking nothing back).
    const atOld = ended?.find((each) => ofDevice(swap, each) !== 'new' && each.close.closedAt === opened);
    if (atOld !== undefined && first?.close.device === device && sameDevice(atOld.close.device, device))
      return atOld.close.openedAt !== undefined && when <= Date.parse(atOld.close.openedAt);
    return opened !== undefined && when <= Date.parse(opened);
  }
  // After a swap that took out the last close's device: the new device's batch opened at its own close, or the swap
  // (then before none of its facts, as above).
  if (doc !== undefined && swappedSince(doc, when, device)) {
    const since = doc.openBatch?.since;
    if (doc.device === device && openedAtSwapTo(doc, since, device)) return false;
    return since !== undefined && when <= Date.parse(since);
  }
  const first = ended?.find((each) => ofDevice(swap, each) !== 'new');
  // The terminal's first close, ended while another pends that may have closed before it: no close of the log is
  // older, and what it holds before its terminal's start of day may be the pending one's (`closeBeforeEnded`).
  if (first !== undefined && first.close.openedAt === undefined) return false;
  const last = first?.close ?? doc?.lastClose;
  // A fact of a device swapped out (not in its swapped-out batch: `inSwappedOut` is asked first) is no fact of a close
  // sent to another device: it is one of its own device's older closes', such as the close it ended before the swap
  // reached the log, which Dintero dated after the swap (`closedAfterSwap`). By the last close's window alone it went
  // to the open batch of the device that has the name now, whose next close showed it extra.
  if (last?.device !== undefined && device !== undefined && last.device !== device && swappedOutDevice(doc, device))
    return true;
  const opened = last ? openingFor(doc, device)(last) : undefined;
  return opened !== undefined && !holds(opened, when);
}

/** Whether `device` had the terminal's name once and has it no longer (a batch of it swapped out, no swap waiting on it). */
function swappedOutDevice(doc: TerminalDoc | undefined, device: string): boolean {
  if (doc === undefined || doc.device === device || doc.openBatch?.swappedWhileClosing?.device === device) return false;
  return Object.values(doc.swappedOut ?? {}).some((batch) => batch.device === device);
}

/**
 * When a close's batch opened, for a fact sent to `device` (`opening`): a close of that device whose batch opened when
 * it took the terminal's name (a swap, `swappedOut` keyed by its instant) holds every fact of the device before it, as
 * the first close of the device: Dintero may date the device's first sales before the swap (its clock behind the
 * engine's, whose the swap's instant is). By its opening alone, such a sale heard of after that close ended was before
 * its batch, and in no close (the close sent to the old device is not the fact's). A fact that names no device, by the
 * opening alone.
 */
export function openingFor(
  doc: TerminalDoc | undefined,
  device: string | undefined,
): (close: TerminalClose) => Opening | undefined {
  if (device === undefined || doc === undefined) return opening;
  return (close) =>
    close.device === device && close.batchLost !== true && openedAtSwapTo(doc, close.openedAt, device)
      ? { at: -Infinity, after: true }
      : opening(close);
}

/**
 * Whether a batch that opened at `openedAt` opened when `device` took the terminal's name: a swap split (`swappedOut`,
 * keyed by its instant) that took out another device, or the swap waiting for the old device's close
 * (`swappedWhileClosing`, its latest when a second came). No batch of that device is before it.
 */
function openedAtSwapTo(
  doc: TerminalDoc | undefined,
  openedAt: string | undefined,
  device: string | undefined,
): boolean {
  if (doc === undefined || openedAt === undefined || device === undefined) return false;
  const swapped = doc.swappedOut?.[openedAt];
  if (swapped !== undefined) return swapped.device !== device;
  const swap = doc.openBatch?.swappedWhileClosing;
  return swap !== undefined && openedAt === (swap.latestSwapAt ?? swap.at) && swap.device !== device;
}

/**
 * Of the closes of `terminalId` on the store days given, the one whose batch held a fact at `at`: opened before
 * it, closed after. Windows do not overlap (see `opening`), so at most one does; should two, the later opened.
 */
export function closeHolding(
  days: readonly StoreDayDoc[],
  terminalId: string,
  at: string,
  /** Closes that cannot hold it: a device swapped out before it closed them (`swappedOutCloses`). */
  excluded: ReadonlySet<string> = new Set(),
  /** When a close's batch opened: as the terminal's batches go (`opening`), or as its record counted (`recordedFrom`). */
  openingOf: (close: TerminalClose) => Opening | undefined = opening,
): { day: StoreDayDoc; close: TerminalClose } | undefined {
  const when = Date.parse(at);
  let holding: { day: StoreDayDoc; close: TerminalClose; opened: number } | undefined;
  for (const day of days)
    for (const close of Object.values(day.closes ?? {})) {
      const opened = openingOf(close);
      if (close.terminalId !== terminalId || opened === undefined || excluded.has(close.operationId)) continue;
      if (
        holds(opened, when) &&
        when <= Date.parse(close.closedAt) &&
        (holding === undefined || opened.at > holding.opened)
      )
        holding = { day, close, opened: opened.at };
    }
  return holding && { day: holding.day, close: holding.close };
}

/**
 * When a close's batch opened: just after the close before it (Dintero's time), which is when the open batch the log
 * counts began, so that a fact at the very instant of a close is that close's; at the terminal's start of day only
 * for a first close. The terminal's clock is not Dintero's: a terminal may say its batch opened seconds before the
 * previous close (a fact in those seconds counts in the previous close), or seconds after it (a fact in those seconds
 * counts in this one), wherever the fact comes in the log (before the close, between two, after both), so that where
 * it counts never depends on when it was reported, just as the open batch counts it; if the terminal counted it in
 * the other batch, that close shows it. A first close with no start of day (completed without totals) held every fact
 * before it, as its record counted (`recordedFrom`): a fact of its batch heard of after the next close was dropped, in
 * no close. A close that lost its batch (`batchLost`) holds none, whatever start of day its terminal gave: by it, a
 * fact of the close before it (seconds, by the terminal's clock) or of the close that took its batch seemed its own,
 * and was taken from that close, later opened (close-lost-batch-start-of-day.unit); nor does a close said unknown that
 * names no opening, as a version before `batchLost` wrote one that lost its batch.
 */
function opening(close: TerminalClose): Opening | undefined {
  if (close.batchLost === true) return undefined;
  if (close.openedAt !== undefined) return { at: Date.parse(close.openedAt), after: true };
  if (close.startOfDayAt !== undefined) return { at: Date.parse(close.startOfDayAt), after: false };
  return close.recordedUnknown === true ? undefined : { at: -Infinity, after: true };
}

/**
 * When what the log recorded for a close began: at the close before it (`openedAt`), as its batch; for the terminal's
 * first close (no close before it), at the start of the log, not at the terminal's start of day. Its record took
 * every fact the batch counted until it closed, those of a close the terminal made before it whose outcome came after
 * its own among them: that close, finding its batch taken (`lostBatch`), says the taker's log side unknown by this
 * window, where by the start of day (its batch opening at that other close) it found no taker, and the taker kept a
 * difference made of the other's sales. A close already said unknown (a close that lost its batch names no opening
 * either) keeps its start of day: nothing is to be said of it, and it is no close's taker.
 */
export function recordedFrom(close: TerminalClose): Opening | undefined {
  if (close.openedAt === undefined && close.recordedUnknown !== true) return { at: -Infinity, after: true };
  return opening(close);
}

/**
 * `recordedFrom` as the close that took a lost batch is looked for on the store days (`TerminalCloses.countInOlderClose`
 * with a lost close): none for a close said unknown that names no opening (one that lost its batch, or a first close
 * said unknown). Nothing is to be said of it, and it is no close's taker; by the start of day its terminal gave, it
 * seemed to hold the cut, and `closeHolding`, which takes the latest opened, found it in place of the close that took
 * the batch (close-let-go-taker-beside-lost.unit).
 */
export function takerFrom(close: TerminalClose): Opening | undefined {
  return close.recordedUnknown === true && close.openedAt === undefined ? undefined : recordedFrom(close);
}

/** When a batch opened, and whether a fact at that very instant is the close's before it (`after`). */
export interface Opening {
  readonly at: number;
  readonly after: boolean;
}

/** Whether a batch that opened at `opened` holds a fact at `when` (as far as its opening goes). */
export const holds = (opened: Opening, when: number): boolean => (opened.after ? when > opened.at : when >= opened.at);

import type { EndOfDayBatch } from '@app/payment-domain';
import type {
  ClosedWhileClosing,
  OpenBatch,
  PastBound,
  StoreDayDoc,
  SwappedOutBatch,
  TerminalClose,
  TerminalDoc,
  TimedCount,
} from '../../read-model.types';
import { compared, counting, factsOtherThan, NONE, pick, splitOf, without } from './batch-figures';
import { closeRecord, lostRecord } from './close-record';
import { latest, pendingOf, replacingEnded, withEnded } from './closes-ended-meanwhile';
import { letGoTaker, notHeld, takerUnknown, type LostSwap, type TakerAmong } from './lost-batch-taker';
import {
  backSwappedOutBefore,
  cutByOldCloses,
  namingOldClosesLetGo,
  ofDevice,
  oldCloses,
  swappedBackHolds,
  swappedInSince,
  timedDevice,
  type PendingSwap,
} from './device-swap';
import { withinKeptBound, withPending } from './kept-while-closing';
import { countingPastBound, cutThrough } from './past-bound';
import { takenBackAtSwapBack, takenBackFrom } from './swap-back-close';

/**
 * An end-of-day close that completed: which, for which store day, the terminal's batch as Dintero gave it, and when it
 * closed. `batch` is undefined when Dintero reported the close completed with no result: the terminal closed its
 * batch (a new one opens, the next close holding only what came after), its totals unknown (`withoutTotals`).
 */
export interface ReportedClose {
  readonly operationId: string;
  readonly businessDay: string;
  readonly batch: EndOfDayBatch | undefined;
  readonly closedAt: string;
  /** The device it was sent to (`OpenBatch.closingOn`); undefined when not known. */
  readonly device?: string;
}

/**
 * An end-of-day close of the terminal asked for (`OperationRequested`), of `device` (its `dinteroTerminalId`): from now
 * until it ends, its open batch keeps each fact's time, so that the close takes only those before the terminal closed,
 * and the device it was sent to (`closingOn`).
 */
export function closeRequested(doc: TerminalDoc, operationId: string, device?: string): TerminalDoc {
  const open: OpenBatch = doc.openBatch ?? { ...NONE };
  if (open.closing?.includes(operationId)) return doc;
  const { closing, letGo } = withPending(open.closing, operationId);
  const { closingOn: on, ...rest } = open;
  const closingOn = devicesPending({ ...on, ...(device === undefined ? {} : { [operationId]: device }) }, closing);
  return {
    ...doc,
    ...(letGo ? { closesLetGo: true as const } : {}),
    openBatch: { ...rest, closing, ...(closingOn ? { closingOn } : {}) },
  };
}

/** An end-of-day close that ended without closing (failed, timed out, refused): its batch stays open. */
export function closeAbandoned(doc: TerminalDoc, operationId: string): TerminalDoc {
  const open = doc.openBatch;
  if (!open?.closing?.includes(operationId)) return doc;
  return keepingDevices(doc, closeEnded(doc, open, operationId));
}

/** The devices of the closes still pending (`closing`) among `on`; undefined when none is known. */
function devicesPending(
  on: Readonly<Record<string, string>>,
  closing: readonly string[] | undefined,
): Readonly<Record<string, string>> | undefined {
  const kept = Object.entries(on).filter(([id]) => closing?.includes(id) === true);
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/**
 * The terminal `after` a close ended, with the devices of the closes it still pends on, as `before` knew them: the
 * batch is rebuilt in many ways as a close ends (split at a swap, cut past a bound), each carrying what it pends on
 * (`closing`), and the devices follow the list here, once, those of ended or let-go closes dropped.
 */
function keepingDevices(before: TerminalDoc, after: TerminalDoc): TerminalDoc {
  const on = before.openBatch?.closingOn;
  const open = after.openBatch;
  if (open === undefined || (on === undefined && open.closingOn === undefined)) return after;
  const { closingOn: _stale, ...rest } = open;
  const closingOn = on && devicesPending(on, open.closing);
  return { ...after, openBatch: { ...rest, ...(closingOn ? { closingOn } : {}) } };
}

/**
 * Whether a close of `device` that Dintero dates before its batch opened (`since`) was asked of the device whose batch
 * opened then: the batch opened when that device took the terminal's name (a swap, `swappedOut` keyed by its instant),
 * no close of it since, and the close was sent to it after, so it closed that batch, whatever Dintero's clock says
 * against the engine's (the swap's instant is the engine's). Told by the instants alone, it seemed to have closed
 * before the batch opened, its batch taken (`lostBatch`): a mismatch that was not there, its log side said unknown.
 */
function sentToOpenedDevice(doc: TerminalDoc, since: string, device: string | undefined): boolean {
  return device !== undefined && device === doc.device && doc.swappedOut?.[since] !== undefined;
}

/**
 * The terminal with one close no longer pending in `open`: its kept facts forgotten with the last of them. Then too,
 * a device swapped in while a close pended (`swappedWhileClosing`) takes its own batch: the facts up to the swap were
 * the old device's (`swappedOut`), those after it open the new device's.
 */
function closeEnded(doc: TerminalDoc, open: OpenBatch, operationId: string): TerminalDoc {
  const {
    closing = [],
    countedWhileClosing: counted = [],
    swappedWhileClosing: swap,
    closedWhileClosing: ended = [],
    // Carried by `keepingDevices`, never into a batch swapped out.
    closingOn: _on,
    ...figures
  } = open;
  const others = closing.filter((id) => id !== operationId);
  // The closes still pending keep the times of what the batch counts, and the closes that ended meanwhile.
  const pending = (batch: OpenBatch, facts: readonly TimedCount[]): OpenBatch => pendingOf(batch, others, facts, ended);
  // A close of the old device still pending: the split at the swap waits for it.
  if (swap !== undefined && swap.closes.some((id) => others.includes(id)))
    return { ...doc, openBatch: { ...pending(figures, counted), swappedWhileClosing: swap } };
  if (swap === undefined) return { ...doc, openBatch: pending(figures, counted) };
  const swappedAt = Date.parse(swap.at);
  const newer = counted.filter((fact) => timedDevice(swap, fact, doc.device) === 'new');
  // The new device's closes that ended meanwhile (all in the list) stay there while others pend: the old device's are
  // done, and a fact of theirs heard of late goes to its close on its store day (`beforeLastBatch`).
  const newOnes = ended.filter((each) => ofDevice(swap, each) === 'new');
  // The new device's batch opened at the swap (the latest, after a second one), or at its own close since; the
  // terminal's last close is the latest (the new device's when both closed at once, as when their outcomes come in order).
  const newLast = newOnes.at(-1)?.close;
  const last = doc.lastClose;
  // A last close the swap does not name, dated after it, is the new device's unless sent to the old one (Dintero's clock
  // ahead of the engine's): opened at it, the new device's batch left a sale of its own before it to that close.
  const byNewCloses =
    newLast === undefined &&
    swap.latestSwapAt === undefined &&
    last !== undefined &&
    !swap.closes.includes(last.operationId) &&
    last.device !== swap.device &&
    Date.parse(last.closedAt) > swappedAt
      ? last.closedAt
      : swappedInSince(swap, newOnes);
  const newSince = backSince(doc, swap, ended, byNewCloses);
  const lastClose = newLast === undefined ? last : latest(newLast, last);
  // The new device's facts past the bound (summed apart, `withinKeptBound`) are its batch's, as what its closes still
  // pending cut through, and so is what a close of its own that closed among them left unknown.
  const { pastBound: itsPast, incomplete: itsIncomplete } = swap;
  const timedNew = newer.reduce(counting, { ...NONE, since: newSince });
  const newBatch: OpenBatch = {
    ...(itsPast ? { ...countingPastBound(timedNew, itsPast, 1), pastBound: itsPast } : timedNew),
    ...(itsIncomplete ? { incomplete: itsIncomplete } : {}),
  };
  const opened = pendingOf(newBatch, others, newer, newOnes);
  // The batch's own facts past the bound were counted before the swap: the old device's, which no close of the engine
  // compares.
  const { pastBound: _past, incomplete: _incomplete, ...oldFigures } = figures;
  const oldOnly = newer.reduce(without, oldFigures);
  const { since, ...left } = itsPast ? countingPastBound(oldOnly, itsPast, -1) : oldOnly;
  const leftSince = since ?? doc.lastClose?.closedAt;
  const held = oldCloses(doc, swap, ended).filter((close) => Date.parse(close.closedAt) > swappedAt);
  const split = {
    ...doc,
    ...(lastClose ? { lastClose } : {}),
    openBatch: opened,
    ...(doc.swappedOut ? { swappedOut: cutByOldCloses(doc.swappedOut, swap, held) } : {}),
  };
  // The old device's closes dated after the swap: those the terminal holds, and those it let go of while the swap
  // waited (`namingOldClosesLetGo`), on their store days alone.
  const closedAfterSwap = [...new Set([...(swap.closedAfterSwapLetGo ?? []), ...held.map((c) => c.operationId)])];
  // Nothing of the old device's after its close (the close came after the swap): an empty batch, from its close, says
  // which closes those were, so that a fact of the new device's is not counted in them (`swappedSince`).
  if (leftSince !== undefined && Date.parse(leftSince) >= swappedAt) {
    const none: SwappedOutBatch = {
      ...NONE,
      device: swap.device,
      since: leftSince,
      ...(closedAfterSwap.length > 0 ? { closedAfterSwap } : {}),
    };
    return { ...split, swappedOut: { ...split.swappedOut, [swap.at]: none } };
  }
  // A batch left with nothing is the same whether or not it counted facts that went to the new device.
  const { currencies, ...figuresLeft } = left;
  const kept = currencies !== undefined && Object.keys(currencies).length > 0 ? left : figuresLeft;
  const swapped: SwappedOutBatch = {
    ...kept,
    device: swap.device,
    ...(leftSince ? { since: leftSince } : {}),
    ...(closedAfterSwap.length > 0 ? { closedAfterSwap } : {}),
  };
  return { ...split, swappedOut: { ...split.swappedOut, [swap.at]: swapped } };
}

/**
 * When the batch of the device that has the name opens at the split of a swap (`since`, by the new device's closes),
 * the old device having taken the name back since (A, B, A): at its latest close after it came back, one the swap names
 * too. That close held the device's sales up to its own time (`swappedBackHolds`): opened at the return, the next
 * batch held them too, and one heard of after its next close went to that close (its old close showed it missing).
 */
function backSince(doc: TerminalDoc, swap: PendingSwap, ended: readonly ClosedWhileClosing[], since: string): string {
  if (doc.device !== swap.device || swap.latestSwapAt === undefined) return since;
  let opened = since;
  for (const close of oldCloses(doc, swap, ended))
    if (Date.parse(close.closedAt) > Date.parse(opened)) opened = close.closedAt;
  return opened;
}

/** The terminal's close of its open batch, beside what the log recorded; a new batch opens. */
export function closeBatch(doc: TerminalDoc, close: ReportedClose): TerminalDoc {
  return closing(doc, close).doc;
}

/** `closeBatch`, and the close's record; the terminal's last close stays the newest (see `closeReported`). */
function closing(doc: TerminalDoc, close: ReportedClose): Closed {
  const whole = doc.openBatch ?? { ...NONE };
  const swap = whole.swappedWhileClosing;
  const pends = whole.closing?.includes(close.operationId) === true;
  // One of the closes let go of beyond the 50 kept pending (or so it may be): which facts counted since are its own is
  // not known, nor whether the batch held any of its own still; while a swap waits, nor which device's it is. It takes
  // the batch as a close of the old device would, its log side unknown and the next batch's incomplete, where taken
  // for the new device's it was compared with none of the facts and showed a difference (or a match) made up.
  const letGo = !pends && doc.closesLetGo === true;
  if (swap !== undefined && !swap.closes.includes(close.operationId) && !letGo)
    return newDevicesClose(doc, whole, swap, close);
  // Dated after a swap, it may have been either device's close, whose batch a close of the device it is not taken for
  // took (`letGoTaker`).
  const crossed = letGo ? letGoTaker(doc, close.closedAt, close.operationId) : undefined;
  if (crossed !== undefined && 'taker' in crossed) {
    const closed = closing(crossed.doc, close);
    return { ...closed, takers: [crossed.taker, ...(closed.takers ?? [])] };
  }
  const closed = takingBatch(doc, close, whole, pends, letGo);
  return crossed === undefined ? closed : { ...closed, takerAmong: { at: close.closedAt, ...crossed.among } };
}

/** `closing` of a close of the old device while a swap waits, or of either device. */
function takingBatch(doc: TerminalDoc, close: ReportedClose, whole: OpenBatch, pends: boolean, letGo: boolean): Closed {
  const swap = whole.swappedWhileClosing;
  // A close older than the terminal's last one (heard of after it): the last stays the last.
  const previous = doc.lastClose;
  const newest =
    previous !== undefined &&
    previous.operationId !== close.operationId &&
    Date.parse(close.closedAt) < Date.parse(previous.closedAt)
      ? previous
      : undefined;
  // Facts counted while this close pended that happened after the terminal closed, or after another device took the
  // terminal's name (the close is the old device's): the next batch's.
  const closedAt = Math.min(Date.parse(close.closedAt), swap ? Date.parse(swap.at) : Infinity);
  // Its batch opened after the terminal closed it: taken by closes that ended while it pended, let go of past a bound.
  // While a swap waits too: this is a close of the old device (the new device's are `newDevicesClose`), and the batch
  // opened at the old device's latest close (a swap while a close pends leaves `since` as it was), by Dintero's time,
  // not cut at the swap: two closes of the old device dated after the swap are both cut there.
  // A close asked of the device whose batch opened when it took the name is that batch's, Dintero's clock behind.
  if (
    (letGo || pends) &&
    whole.since !== undefined &&
    Date.parse(close.closedAt) < Date.parse(whole.since) &&
    !(swap === undefined && sentToOpenedDevice(doc, whole.since, close.device))
  )
    return lostBatch(doc, whole, close, newest, pends);
  const kept = pends || letGo ? (whole.countedWhileClosing ?? []) : [];
  // While a swap waits, a fact that names its device is the next batch's when sent to the new device, whatever its
  // time, or after the terminal closed (`timedDevice`); one sent to the old device is this close's up to its time, not
  // cut at the swap's instant (the engine's, which Dintero's clock may be ahead of). So too once the old device took
  // the name back: its batch held its sales until it closed, whatever swaps came between.
  // One naming no device after the old device came back is its own by its time (`swappedBackHolds`): this close's up to
  // its time too, where cut at the first swap's instant it went to the next batch.
  const after = kept.filter((fact) =>
    swappedBackHolds(swap, Date.parse(fact.at), fact.device, doc.device)
      ? Date.parse(fact.at) > Date.parse(close.closedAt)
      : swap !== undefined && fact.device !== undefined
        ? (fact.device !== swap.device && timedDevice(swap, fact, doc.device) === 'new') ||
          Date.parse(fact.at) > Date.parse(close.closedAt)
        : Date.parse(fact.at) > closedAt,
  );
  // The facts past the bound (their times let go of) are the next batch's when all came after the terminal closed.
  // The new device's facts past the bound, summed apart while a swap waits, are after the swap: the next batch's.
  const itsPast = swap?.pastBound;
  const { pastBound: past, incomplete, ...mixed } = whole;
  const figures = itsPast ? countingPastBound(mixed, itsPast, -1) : mixed;
  // Cut at the close, not at the swap: the batch's own facts past the bound are the old device's, those naming it by
  // their device whatever their time (`keptApart`), which are this close's up to its time as `after` says of those kept.
  // Cut at the swap's instant, a sale of the old device that Dintero dated after it (its clock ahead) went to the batch
  // swapped out, the close showing it missing, where kept with its time it was the close's.
  const through = past === undefined ? undefined : cutThrough(past, Date.parse(close.closedAt));
  // All after the terminal closed: the next batch's, moved out of this one's.
  const nextBatchs = through === 'after' ? past : undefined;
  const taken = after.reduce(without, figures);
  const open = nextBatchs ? countingPastBound(taken, nextBatchs, -1) : taken;
  const currencies = splitOf(open);
  // The log's side is unknown when the terminal closed among the facts past the bound, when the close before took facts
  // of this batch among them (`incomplete`), and for a close let go of.
  // And once the old device took the name back, when the facts past the bound summed for the new side (`keptApart`)
  // began by this close: the device's sales after the first swap are among them, this close's up to its time (as
  // `after` says of those kept), and which of them are, or what the device's next close holds of them, is not known.
  const backPast =
    swap !== undefined &&
    itsPast !== undefined &&
    doc.device === swap.device &&
    Date.parse(itsPast.from) <= Date.parse(close.closedAt);
  // And when the old device's batch since it came back was swapped out again, opened before this close: its sales up to
  // this close went with it (`backSwappedOutBefore`).
  const outAgain = swap !== undefined && backSwappedOutBefore(doc, swap, close.closedAt);
  const unknown = letGo || through === 'among' || incomplete !== undefined || backPast || outAgain;
  const record = closeRecord(
    doc.terminalId,
    close,
    { ...pick(open), ...(currencies ? { currencies } : {}) },
    open.since,
    unknown,
  );
  const opened = after.reduce(counting, { ...NONE, since: close.closedAt });
  const withPast = nextBatchs ? countingPastBound(opened, nextBatchs, 1) : opened;
  const next: OpenBatch = {
    ...(itsPast ? countingPastBound(withPast, itsPast, 1) : withPast),
    ...withIncomplete(letGo, past, through, incomplete, closedAt),
  };
  const lastClose = newest ?? record;
  if (!whole.closing) return { doc: { ...doc, lastClose, openBatch: next }, record };
  const pending: OpenBatch = {
    ...next,
    closing: whole.closing,
    countedWhileClosing: after,
    // Still after every close pending: a later one may have closed among them.
    ...(nextBatchs ? { pastBound: nextBatchs } : {}),
    ...(swap
      ? { swappedWhileClosing: letGo ? letGoAtSwap(swap, close.operationId) : backPast ? backAmong(swap) : swap }
      : {}),
    // While another close pends, what this one took, with the facts' times: should that other close turn out to
    // have come first (its outcome later in the log), it takes back what it held (`closeBeforeEnded`).
    closedWhileClosing: withEnded(whole.closedWhileClosing ?? [], {
      close: record,
      counted: factsOtherThan(kept, after),
      ...(past !== undefined && through !== 'after' ? { pastBound: past } : {}),
    }),
  };
  // The old device's last close, replaced by this one once the list was let go of past the bound, is named for the
  // split (`namingOldClosesLetGo`).
  const named = namingOldClosesLetGo(doc, { ...doc, lastClose, openBatch: pending });
  return { doc: closeEnded(named, named.openBatch ?? pending, close.operationId), record };
}

/**
 * The swap waiting after a close let go of beyond the 50 kept pending took the batch as the old device's (`closing`):
 * named by the swap, as the old device's closes are, so that a fact and a close after it are of the device it was
 * taken for. Unnamed, it was then read as the new device's, where a projector started again from KV read it as the
 * old one's (`withSwapNamingItsCloses`), and the two ended with other documents. It may have been the new device's,
 * its facts after the swap left in the batch: the new device's next close cannot tell which are its own either.
 */
function letGoAtSwap(swap: PendingSwap, operationId: string): PendingSwap {
  const closes = swap.closes.includes(operationId) ? swap.closes : [...swap.closes, operationId];
  return { ...swap, closes, incomplete: swap.incomplete ?? {} };
}

/**
 * The swap waiting after a close of the old device, swapped back since, that closed after the first of the facts past
 * the bound summed for the new side (`takingBatch`'s `backPast`): the device's next close cannot tell which of them
 * this one held (`incomplete`).
 */
function backAmong(swap: PendingSwap): PendingSwap {
  return { ...swap, incomplete: swap.incomplete ?? {} };
}

/**
 * Whether the batch after a close the terminal made at `closedAt` misses facts of its own that the close took, not
 * knowing which: after a close let go of (the next close alone), after one among the facts past the bound (until the
 * latest of them), and after one from a batch that did, while it closed before the latest.
 */
function withIncomplete(
  letGo: boolean,
  past: PastBound | undefined,
  through: ReturnType<typeof cutThrough> | undefined,
  incomplete: OpenBatch['incomplete'],
  closedAt: number,
): Pick<OpenBatch, 'incomplete'> {
  // The latest of the facts it may miss: of those past the bound this close closed among, and of those the close
  // before it took, while this one closed before the latest of them. A close let go of that closed among facts past
  // the bound took them too: the closes after it are unknown while they close before the latest, not the next alone.
  const untils = [
    ...(past !== undefined && through === 'among' ? [past.to] : []),
    ...(incomplete?.until !== undefined && closedAt < Date.parse(incomplete.until) ? [incomplete.until] : []),
  ];
  const until = untils.reduce<string | undefined>(
    (latest, each) => (latest === undefined || Date.parse(each) > Date.parse(latest) ? each : latest),
    undefined,
  );
  if (until !== undefined) return { incomplete: { until } };
  return letGo ? { incomplete: {} } : {};
}

/** A close's outcome for the caller: the terminal, the closes for their store days, and a lost batch's taker to find. */
type Reported = Pick<Closed, 'doc' | 'lostAt' | 'lostSwap' | 'takerAmong'> & {
  readonly earlier: readonly TerminalClose[];
};

/** A close's outcome applied: the terminal, the close, and when a close lost its batch, its cut (`lostAt`). */
interface Closed {
  readonly doc: TerminalDoc;
  readonly record: TerminalClose;
  /**
   * The cut of a close whose batch a close after it took (`lostBatch`), when the close that took it is not one the
   * terminal holds: the caller says that one's log side unknown on its store day (`TerminalCloses`).
   */
  readonly lostAt?: string;
  /** While a swap waited, whose closes the one that took it is among (`LostSwap`). */
  readonly lostSwap?: LostSwap;
  /**
   * The closes that took the batch of a close that lost it (or may have: `letGoTaker`), said unknown, which the
   * terminal may hold no more: a close of the old device that the split at the swap let go of (`closeEnded`), or one of
   * a list no close pends on any more. The caller writes those it does not hold on their store days.
   */
  readonly takers?: readonly TerminalClose[];
  /**
   * A close let go of, cut at `at` after a swap split before it: the old device's closes dated after that swap the
   * terminal holds no more (`letGoTaker`), one of which may have taken its batch; or while the swap waits, the new
   * device's closes let go of past the bound. The caller says the one whose batch held the cut unknown on its store
   * day, looked for among these alone.
   */
  readonly takerAmong?: { readonly at: string } & TakerAmong;
}

/**
 * A close whose batch the closes after it took already (it closed before the batch held now opened; their facts'
 * times were let go of past a bound): on its store day with its log side unknown and nothing of its own, the batch
 * held now left as it is. The close that took its batch was compared with its facts as well as its own: its log side
 * is unknown too (`takerUnknown`).
 */
function lostBatch(
  doc: TerminalDoc,
  whole: OpenBatch,
  close: ReportedClose,
  newest: TerminalClose | undefined,
  pends: boolean,
): Closed {
  const record = lostRecord(doc.terminalId, close);
  // A close of the old device while a swap waits (the new device's are `newDevicesClose`), or of either device: its
  // taker is looked for before the split, which lets the old device's closes go.
  const device = whole.swappedWhileClosing === undefined ? 'both' : 'old';
  const found = takerUnknown({ ...doc, lastClose: newest ?? record }, close.closedAt, close.operationId, device);
  const changed = found.doc;
  const ended = pends && changed.openBatch ? closeEnded(changed, changed.openBatch, close.operationId) : changed;
  const { taker, doc: _taken, ...lost } = found;
  return { doc: ended, record, ...(taker ? { takers: [taker] } : {}), ...lost };
}

/**
 * A close of the device swapped in while a close of the old one still pends: its batch is what was counted after the
 * swap, up to its close; the old device's facts stay for the old close, and the batch is split at the swap once that
 * ends (`closeEnded`).
 */
function newDevicesClose(
  doc: TerminalDoc,
  whole: OpenBatch,
  swap: PendingSwap,
  close: ReportedClose,
): { doc: TerminalDoc; record: TerminalClose } {
  const closedAt = Date.parse(close.closedAt);
  const pends = whole.closing?.includes(close.operationId) === true;
  const kept = pends ? (whole.countedWhileClosing ?? []) : [];
  const mine = kept.filter((fact) => timedDevice(swap, fact, doc.device) === 'new' && Date.parse(fact.at) <= closedAt);
  // The device's facts past the bound (`withinKeptBound`): its own when all came before it closed, the next batch's
  // when all after; closed among them, it cannot tell its share, nor can the device's next close.
  const { pastBound: itsPast, incomplete, ...waiting } = swap;
  const through = pends && itsPast !== undefined ? cutThrough(itsPast, closedAt) : undefined;
  const taken = through !== undefined && through !== 'after' ? itsPast : undefined;
  const timed = mine.reduce(counting, { ...NONE });
  const figures = taken ? countingPastBound(timed, taken, 1) : timed;
  const unknown = through === 'among' || (pends && incomplete !== undefined);
  // Its batch opened at the new device's close before it (one ended meanwhile is in the list), or at the swap.
  const record = closeRecord(
    doc.terminalId,
    close,
    { ...pick(figures), currencies: figures.currencies ?? {} },
    swappedInSince(swap, whole.closedWhileClosing ?? []),
    unknown,
  );
  // What it did not take of them stays the device's, with what its next closes cannot tell.
  const stillWaiting: PendingSwap = pends
    ? {
        ...waiting,
        ...(itsPast && through === 'after' ? { pastBound: itsPast } : {}),
        ...withIncomplete(false, itsPast, through, incomplete, closedAt),
      }
    : swap;
  const taking = mine.reduce(without, whole);
  // Kept in the list, not as the terminal's last close, while the old device's pends: a fact of the old device's
  // heard of late is still compared with the old device's closes (`countInBatch`). The split makes it the last.
  const left: OpenBatch = {
    ...(taken ? countingPastBound(taking, taken, -1) : taking),
    countedWhileClosing: kept.filter((f) => !mine.includes(f)),
    swappedWhileClosing: stillWaiting,
    closedWhileClosing: withEnded(whole.closedWhileClosing ?? [], {
      close: record,
      counted: mine,
      ...(taken ? { pastBound: taken } : {}),
    }),
  };
  return { doc: closeEnded(doc, left, close.operationId), record };
}

/**
 * The terminal with an end-of-day close's outcome applied, and the closes to write on their own store days besides the
 * terminal's last (`earlier`): one that closed before the last, heard of after it, and the close it took facts back
 * from. The last close never goes back.
 */
export function closeReported(doc: TerminalDoc, close: ReportedClose): Reported {
  // The device it was sent to, kept while it pended.
  const device = close.device ?? doc.openBatch?.closingOn?.[close.operationId];
  const sent = device === undefined ? close : { ...close, device };
  const reported = closeReportedOf(doc, sent);
  return { ...reported, doc: keepingDevices(doc, reported.doc) };
}

/** `closeReported`, the close's device known (or not) already. */
function closeReportedOf(doc: TerminalDoc, close: ReportedClose): Reported {
  // Too much kept while closes pend (a close that never ends, a close a night after it with no sale to check the bound):
  // this close takes, as the pending ones do, every fact counted until now, their times let go of; the closes still
  // pending stay so.
  const bounded = withinKeptBound(doc);
  if (bounded !== doc) return closeReportedOf(bounded, close);
  const late = closeBeforeEnded(doc, close);
  if (late) return late;
  // A close of the old device heard of after the same device's later one, swapped back since: it takes back first
  // what that one took of its batch, and the later close is written again.
  const back = takenBackAtSwapBack(doc, close.operationId, close.closedAt);
  const taking = closing(back?.doc ?? doc, close);
  // Its batch taken already by closes let go of past the bound (`lostBatch`): what it took back is its lost batch's,
  // none of the batch held now, which keeps it as it was (the later closes corrected all the same). Left in it, the
  // device's next close counted it.
  const closed =
    back !== undefined && taking.record.batchLost === true
      ? closing(takenBackFrom(doc, close.operationId, close.closedAt)?.doc ?? doc, close)
      : taking;
  // A close of the device since it came back, let go of past the bound, took facts of its batch (`takenBackFrom`).
  const takerAmong = closed.takerAmong ?? back?.takerAmong;
  return {
    doc: closed.doc,
    earlier: [
      ...(closed.doc.lastClose === closed.record ? [] : [closed.record]),
      ...(back?.corrected ?? []).filter((later) => later !== closed.doc.lastClose),
      ...notHeld(closed.doc, closed.takers),
    ],
    ...(closed.lostAt === undefined ? {} : { lostAt: closed.lostAt }),
    ...(closed.lostSwap ? { lostSwap: closed.lostSwap } : {}),
    ...(takerAmong ? { takerAmong } : {}),
  };
}

/**
 * A close whose outcome reached the log after that of a close the terminal made after it (both pending at once, their
 * outcomes in the other order), the later one having taken the facts it did with their times (`closedWhileClosing`):
 * the earlier close holds what the later took up to its own time, and the later one keeps only what came after, its
 * batch opening at the earlier close. Each close then holds what it would have, had the outcomes come in order, however
 * many pended. Returns the terminal (its last close compared again, when it is the later one) and the closes for their
 * store days; undefined when no close that ended meanwhile is later (`closing` takes it).
 */
function closeBeforeEnded(doc: TerminalDoc, close: ReportedClose): Reported | undefined {
  const open = doc.openBatch;
  if (!open?.closing?.includes(close.operationId)) return undefined;
  const closedAt = Date.parse(close.closedAt);
  const ended = open.closedWhileClosing ?? [];
  // While a swap waits, only a later close of the same device took what this one held.
  const swap = open.swappedWhileClosing;
  const device = swap === undefined ? 'both' : swap.closes.includes(close.operationId) ? 'old' : 'new';
  const next = ended.findIndex((each) => ofDevice(swap, each) === device && closedAt < Date.parse(each.close.closedAt));
  if (next < 0) return undefined;
  const { close: later, counted, pastBound: past } = ended[next]!;
  // The later close's batch opened after this one closed: the closes between them, let go of past the bound, took
  // this one's batch, and their facts' times with them.
  if (later.openedAt !== undefined && closedAt < Date.parse(later.openedAt)) {
    const lost = lostRecord(doc.terminalId, close);
    const { doc: found, taker, ...where } = takerUnknown(doc, close.closedAt, close.operationId, device);
    const ended = closeEnded(found, found.openBatch ?? open, close.operationId);
    return { doc: ended, earlier: [lost, ...notHeld(ended, taker && [taker])], ...where };
  }
  const after = counted.filter((fact) => Date.parse(fact.at) > closedAt);
  // Once the old device took the name back, its next close took the device's sales after the first swap, those up to
  // this close too (`takenBackFrom`): this close holds them besides what it takes back from the later one of its side.
  const back = device === 'old' ? takenBackFrom(doc, close.operationId, close.closedAt) : undefined;
  const taken = back?.taken ?? [];
  // The facts past the bound the later close took: this one's too when they all came before it closed, the later's
  // alone when all after; closed among them, neither can tell its share.
  const through = past === undefined ? undefined : cutThrough(past, closedAt);
  const unknown = through === 'among' || later.recordedUnknown === true;
  const fromLater = after.reduce(without, {
    ...later.recorded,
    ...(later.currencies ? { currencies: later.currencies } : {}),
  } as OpenBatch);
  const latersAlone = through === 'after' ? past : undefined;
  const held = taken.reduce(counting, latersAlone ? countingPastBound(fromLater, latersAlone, -1) : fromLater);
  const earlier = closeRecord(doc.terminalId, close, held, later.openedAt, unknown || back?.unsure === true);
  const afterOnly = after.reduce(counting, { ...NONE });
  const kept = latersAlone ? countingPastBound(afterOnly, latersAlone, 1) : afterOnly;
  const corrected = compared({
    ...later,
    openedAt: close.closedAt,
    recorded: pick(kept),
    ...(later.currencies ? { currencies: kept.currencies ?? {} } : {}),
    ...(unknown ? { recordedUnknown: true as const } : {}),
  });
  const from = back?.doc ?? doc;
  const split = replacingEnded(from, from.openBatch ?? open, next, [
    {
      close: earlier,
      counted: [...counted.filter((fact) => Date.parse(fact.at) <= closedAt), ...taken],
      ...(past !== undefined && through === 'before' ? { pastBound: past } : {}),
    },
    { close: corrected, counted: after, ...(past !== undefined && through !== 'before' ? { pastBound: past } : {}) },
  ]);
  // The later one is written with the terminal's last close when it stays that (a split at a swap may make the new
  // device's close the last).
  const resolved = closeEnded(split, split.openBatch ?? open, close.operationId);
  const takenFrom = (back?.corrected ?? []).filter((each) => each !== resolved.lastClose);
  return {
    doc: resolved,
    earlier: [earlier, ...(resolved.lastClose === corrected ? [] : [corrected]), ...takenFrom],
    ...(back?.takerAmong ? { takerAmong: back.takerAmong } : {}),
  };
}

/**
 * The store day with the close in it, by its operation: a terminal closed twice in a day (by hand, then at
 * night) keeps both; a later comparison of the same close replaces it.
 */
export function withClose(day: StoreDayDoc, close: TerminalClose): StoreDayDoc {
  const closes = { ...day.closes, [close.operationId]: close };
  return { ...day, closes, closeMismatches: Object.values(closes).filter((each) => each.mismatch).length };
}

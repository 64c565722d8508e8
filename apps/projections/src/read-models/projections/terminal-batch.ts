import type { EndOfDayBatch } from '@app/payment-domain';
import type {
  BatchDifferences,
  BatchFigures,
  ClosedWhileClosing,
  OpenBatch,
  StoreDayDoc,
  SwappedOutBatch,
  TerminalClose,
  TerminalDoc,
  TimedCount,
} from '../read-model.types';

const NONE: BatchFigures = { purchasesCount: 0, purchasesAmount: 0, reversalsCount: 0, reversalsAmount: 0 };
const FIELDS = ['purchasesCount', 'purchasesAmount', 'reversalsCount', 'reversalsAmount'] as const;
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

/**
 * The batch with one more fact counted (or, its amount and count negated, one fewer), in its currency too where it
 * splits them (`splitOf`).
 */
function counting(batch: OpenBatch, change: Change): OpenBatch {
  const currencies = splitOf(batch);
  return { ...batch, ...add(batch, change), ...(currencies ? { currencies: addIn(currencies, change) } : {}) };
}

/** A fact as a pending close's batch keeps it: what it counted and when, nothing else the caller's object carries. */
const timed = ({ kind, amount, currency, count }: Counted, at: string): TimedCount => ({
  at,
  kind,
  amount,
  currency,
  count,
});

/** A device swapped while a close of the old one pends (`OpenBatch.swappedWhileClosing`). */
type PendingSwap = NonNullable<OpenBatch['swappedWhileClosing']>;

/**
 * Which device's a close that ended while another pends is, while a swap waits for the old device's close: the old
 * device's closes are those the swap names (pending at it, or ended before it), every other the new device's. `both`
 * when no swap waits.
 */
function ofDevice(swap: PendingSwap | undefined, ended: ClosedWhileClosing): 'old' | 'new' | 'both' {
  if (swap === undefined) return 'both';
  return swap.closes.includes(ended.close.operationId) ? 'old' : 'new';
}

/** Which device's a fact at `when` is while a swap waits: the old one's up to the swap, the new one's after it. */
function factsDevice(swap: PendingSwap | undefined, when: number): 'old' | 'new' | 'both' {
  if (swap === undefined) return 'both';
  return when <= Date.parse(swap.at) ? 'old' : 'new';
}

/** The list of closes ended while another pends with one more, in its place by cut (the earliest first). */
function withEnded(ended: readonly ClosedWhileClosing[], entry: ClosedWhileClosing): ClosedWhileClosing[] {
  const at = ended.findIndex(({ close }) => Date.parse(entry.close.closedAt) < Date.parse(close.closedAt));
  return at < 0 ? [...ended, entry] : [...ended.slice(0, at), entry, ...ended.slice(at)];
}

/** Of two closes, the one the terminal made last (the first when made at once). */
const latest = (a: TerminalClose, b: TerminalClose | undefined): TerminalClose =>
  b !== undefined && Date.parse(b.closedAt) > Date.parse(a.closedAt) ? b : a;

/**
 * An end-of-day close of the terminal asked for (`OperationRequested`): from now until it ends, its open batch keeps
 * each fact's time, so that the close takes only those before the terminal closed.
 */
export function closeRequested(doc: TerminalDoc, operationId: string): TerminalDoc {
  const open: OpenBatch = doc.openBatch ?? { ...NONE };
  if (open.closing?.includes(operationId)) return doc;
  return { ...doc, openBatch: { ...open, closing: [...(open.closing ?? []), operationId] } };
}

/** An end-of-day close that ended without closing (failed, timed out, refused): its batch stays open. */
export function closeAbandoned(doc: TerminalDoc, operationId: string): TerminalDoc {
  const open = doc.openBatch;
  if (!open?.closing?.includes(operationId)) return doc;
  return closeEnded(doc, open, operationId);
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
  const newer = counted.filter((fact) => Date.parse(fact.at) > swappedAt);
  // The new device's closes that ended meanwhile (all in the list) stay there while others pend: the old device's are
  // done, and a fact of theirs heard of late goes to its close on its store day (`beforeLastBatch`).
  const newOnes = ended.filter((each) => ofDevice(swap, each) === 'new');
  // The new device's batch opened at the swap, or at its own close since; the terminal's last close is the latest (the
  // new device's when both closed at once, as when their outcomes come in order).
  const newLast = newOnes.at(-1)?.close;
  const last = doc.lastClose;
  const newSince =
    newLast?.closedAt ??
    (last !== undefined && !swap.closes.includes(last.operationId) && Date.parse(last.closedAt) > swappedAt
      ? last.closedAt
      : swap.at);
  const lastClose = newLast === undefined ? last : latest(newLast, last);
  const opened = pendingOf(newer.reduce(counting, { ...NONE, since: newSince }), others, newer, newOnes);
  const { since, ...left } = newer.reduce(without, figures);
  const leftSince = since ?? doc.lastClose?.closedAt;
  const split = { ...doc, ...(lastClose ? { lastClose } : {}), openBatch: opened };
  // Nothing of the old device's after its close (the close came after the swap): an empty batch, from its close, says
  // which close that was, so that a fact of the new device's is not counted in it (`swappedSince`).
  if (leftSince !== undefined && Date.parse(leftSince) >= swappedAt) {
    const closedAfterSwap = oldCloses(doc, swap, ended)
      .filter((close) => Date.parse(close.closedAt) > swappedAt)
      .map((close) => close.operationId);
    const none: SwappedOutBatch = {
      ...NONE,
      device: swap.device,
      since: leftSince,
      ...(closedAfterSwap.length > 0 ? { closedAfterSwap } : {}),
    };
    return { ...split, swappedOut: { ...doc.swappedOut, [swap.at]: none } };
  }
  // A batch left with nothing is the same whether or not it counted facts that went to the new device.
  const { currencies, ...figuresLeft } = left;
  const kept = currencies !== undefined && Object.keys(currencies).length > 0 ? left : figuresLeft;
  const swapped: SwappedOutBatch = { ...kept, device: swap.device, ...(leftSince ? { since: leftSince } : {}) };
  return { ...split, swappedOut: { ...doc.swappedOut, [swap.at]: swapped } };
}

/**
 * The old device's closes that ended while the swap waited, when it is split: those in the list, and the terminal's
 * last close when it is one of them.
 */
function oldCloses(doc: TerminalDoc, swap: PendingSwap, ended: readonly ClosedWhileClosing[]): TerminalClose[] {
  const old = ended.filter((each) => ofDevice(swap, each) === 'old').map(({ close }) => close);
  const last = doc.lastClose;
  if (last === undefined || !swap.closes.includes(last.operationId)) return old;
  return old.some((close) => close.operationId === last.operationId) ? old : [...old, last];
}

/** The batch with the closes still pending, the times of what it counts, and the closes that ended meanwhile. */
function pendingOf(
  batch: OpenBatch,
  others: readonly string[],
  facts: readonly TimedCount[],
  ended: readonly ClosedWhileClosing[],
): OpenBatch {
  if (others.length === 0) return batch;
  return {
    ...batch,
    closing: others,
    countedWhileClosing: facts,
    ...(ended.length > 0 ? { closedWhileClosing: ended } : {}),
  };
}

/**
 * A batch's figures per currency: those it has, or none yet when it has counted nothing. Undefined for a batch a
 * version before this one counted facts into without them: a split of what was counted since would not add up.
 */
function splitOf(figures: BatchFigures & { readonly currencies?: Readonly<Record<string, BatchFigures>> }) {
  if (figures.currencies !== undefined) return figures.currencies;
  return FIELDS.every((field) => figures[field] === 0) ? {} : undefined;
}

/**
 * A capture (`purchase`) or a refund at the terminal (`reversal`) as a batch counts it: its amount in its currency,
 * and whether it is one more purchase or refund (a further capture of a transaction adds money, not a purchase).
 */
export interface Counted {
  readonly kind: 'purchase' | 'reversal';
  readonly amount: number;
  readonly currency: string;
  readonly count: 0 | 1;
}

/**
 * Whether a fact at `when` is after a swap that took out the device of the terminal's last close: a close pending at
 * the swap, dated by Dintero after it (`closedAfterSwap`). The fact is the new device's, not that close's.
 */
function swappedSince(doc: TerminalDoc, when: number): boolean {
  const close = doc.lastClose;
  if (close === undefined || doc.swappedOut === undefined) return false;
  return swappedOutCloses(doc, when).has(close.operationId);
}

/**
 * The closes of devices swapped out before `when` that Dintero dated after their swap (`closedAfterSwap`): a fact at
 * `when` is none of theirs, though their batches seem to hold it.
 */
export function swappedOutCloses(doc: TerminalDoc | undefined, when: number): ReadonlySet<string> {
  const closes = new Set<string>();
  for (const [swappedAt, { closedAfterSwap }] of Object.entries(doc?.swappedOut ?? {}))
    if (Date.parse(swappedAt) < when) for (const id of closedAfterSwap ?? []) closes.add(id);
  return closes;
}

/** Whether a fact at `at` is of the batch of a device swapped out: after its last close, by its swap. */
export function inSwappedOut(doc: TerminalDoc | undefined, at: string): boolean {
  return swappedOutHolding(doc, at) !== undefined;
}

/**
 * The swap (its instant, the key in `swappedOut`) whose swapped-out batch held a fact at `at`, if any. Each batch
 * ran from the close or swap before it to its own swap, so windows do not overlap.
 */
function swappedOutHolding(doc: TerminalDoc | undefined, at: string): string | undefined {
  if (doc?.swappedOut === undefined) return undefined;
  const when = Date.parse(at);
  for (const [swappedAt, batch] of Object.entries(doc.swappedOut))
    if (when <= Date.parse(swappedAt) && (batch.since === undefined || when > Date.parse(batch.since)))
      return swappedAt;
  return undefined;
}

/**
 * Whether a fact at `at` happened before the terminal's last close's batch opened (see `opening`), or while closes
 * pend, before the batch of the earliest close that ended meanwhile opened.
 */
export function beforeLastBatch(doc: TerminalDoc | undefined, at: string): boolean {
  const swap = doc?.openBatch?.swappedWhileClosing;
  const device = factsDevice(swap, Date.parse(at));
  // The new device's batch opened at the swap: a fact after it is before none of its closes.
  if (device === 'new') return false;
  // After a swap that took out the last close's device: the new device's batch opened at its own close, or the swap.
  if (doc !== undefined && swappedSince(doc, Date.parse(at))) {
    const since = doc.openBatch?.since;
    return since !== undefined && Date.parse(at) <= Date.parse(since);
  }
  const [first] = (doc?.openBatch?.closedWhileClosing ?? []).filter((each) => ofDevice(swap, each) !== 'new');
  // The terminal's first close, ended while another pends that may have closed before it: no close of the log is
  // older, and what it holds before its terminal's start of day may be the pending one's (`closeBeforeEnded`).
  if (first !== undefined && first.close.openedAt === undefined) return false;
  const last = first?.close ?? doc?.lastClose;
  const opened = last ? opening(last) : undefined;
  return opened !== undefined && !holds(opened, Date.parse(at));
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
): { day: StoreDayDoc; close: TerminalClose } | undefined {
  const when = Date.parse(at);
  let holding: { day: StoreDayDoc; close: TerminalClose; opened: number } | undefined;
  for (const day of days)
    for (const close of Object.values(day.closes ?? {})) {
      const opened = opening(close);
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

/** The close with a fact of its batch counted in what the log recorded, and compared again. */
export function countInClose(close: TerminalClose, counted: Counted): TerminalClose {
  return compared({
    ...close,
    recorded: add(close.recorded, counted),
    ...(close.currencies ? { currencies: addIn(close.currencies, counted) } : {}),
  });
}

/**
 * When a close's batch opened: just after the close before it (Dintero's time), which is when the open batch the log
 * counts began, so that a fact at the very instant of a close is that close's; at the terminal's start of day only
 * for a first close. The terminal's clock is not Dintero's: a terminal may say its batch opened seconds before the
 * previous close (a fact in those seconds counts in the previous close), or seconds after it (a fact in those seconds
 * counts in this one), wherever the fact comes in the log (before the close, between two, after both), so that where
 * it counts never depends on when it was reported, just as the open batch counts it; if the terminal counted it in
 * the other batch, that close shows it.
 */
function opening(close: TerminalClose): { readonly at: number; readonly after: boolean } | undefined {
  if (close.openedAt !== undefined) return { at: Date.parse(close.openedAt), after: true };
  return close.startOfDayAt === undefined ? undefined : { at: Date.parse(close.startOfDayAt), after: false };
}

/** Whether a batch that opened at `opened` holds a fact at `when` (as far as its opening goes). */
const holds = (opened: { readonly at: number; readonly after: boolean }, when: number): boolean =>
  opened.after ? when > opened.at : when >= opened.at;

/**
 * Another device took the terminal's name (`TerminalEnrolled`, a till swapped): the open batch was the old device's,
 * which no close of the engine compares, and the new device's opens now. (A device that had the name before starts a
 * batch of its own too: its earlier batch stays with the swap that took it out.) While a close of the old device is
 * pending, the swap is kept (`swappedWhileClosing`): that close takes the old device's facts up to its own time or the
 * swap's, and once no close is pending the batch is split at the swap (`closeEnded`).
 */
export function deviceSwapped(doc: TerminalDoc, device: string, at: string): TerminalDoc {
  if (doc.device === device) return doc;
  if (doc.device === undefined) return { ...doc, device };
  if (doc.openBatch?.closing !== undefined) {
    // A second swap while the close still pends: the first one's old device is the one the close is of.
    if (doc.openBatch.swappedWhileClosing !== undefined) return { ...doc, device };
    // The closes that ended while these pend are the old device's too.
    const ended = (doc.openBatch.closedWhileClosing ?? []).map(({ close }) => close.operationId);
    const closes = [...doc.openBatch.closing, ...ended];
    return { ...doc, device, openBatch: { ...doc.openBatch, swappedWhileClosing: { at, device: doc.device, closes } } };
  }
  const { closing: _closing, countedWhileClosing: _counted, since, ...left } = doc.openBatch ?? { ...NONE };
  const leftSince = since ?? doc.lastClose?.closedAt;
  const swapped: SwappedOutBatch = { ...left, device: doc.device, ...(leftSince ? { since: leftSince } : {}) };
  return { ...doc, device, openBatch: { ...NONE, since: at }, swappedOut: { ...doc.swappedOut, [at]: swapped } };
}

/** The terminal's close of its open batch, beside what the log recorded; a new batch opens. */
export function closeBatch(
  doc: TerminalDoc,
  close: { operationId: string; businessDay: string; batch: EndOfDayBatch; closedAt: string },
): TerminalDoc {
  return closing(doc, close).doc;
}

/** `closeBatch`, and the close's record; the terminal's last close stays the newest (see `closeReported`). */
function closing(
  doc: TerminalDoc,
  close: { operationId: string; businessDay: string; batch: EndOfDayBatch; closedAt: string },
): { doc: TerminalDoc; record: TerminalClose } {
  const whole = doc.openBatch ?? { ...NONE };
  const swap = whole.swappedWhileClosing;
  if (swap !== undefined && !swap.closes.includes(close.operationId)) return newDevicesClose(doc, whole, swap, close);
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
  const kept = whole.closing?.includes(close.operationId) ? (whole.countedWhileClosing ?? []) : [];
  const after = kept.filter((fact) => Date.parse(fact.at) > closedAt);
  const open = after.reduce(without, whole);
  const currencies = splitOf(open);
  const record = closeRecord(
    doc.terminalId,
    close,
    { ...pick(open), ...(currencies ? { currencies } : {}) },
    open.since,
  );
  const next = after.reduce(counting, { ...NONE, since: close.closedAt });
  const lastClose = newest ?? record;
  if (!whole.closing) return { doc: { ...doc, lastClose, openBatch: next }, record };
  const pending: OpenBatch = {
    ...next,
    closing: whole.closing,
    countedWhileClosing: after,
    ...(swap ? { swappedWhileClosing: swap } : {}),
    // While another close pends, what this one took, with the facts' times: should that other close turn out to
    // have come first (its outcome later in the log), it takes back what it held (`closeBeforeEnded`).
    closedWhileClosing: withEnded(whole.closedWhileClosing ?? [], {
      close: record,
      counted: kept.filter((fact) => Date.parse(fact.at) <= closedAt),
    }),
  };
  return { doc: closeEnded({ ...doc, lastClose }, pending, close.operationId), record };
}

/**
 * A close of the device swapped in while a close of the old one still pends: its batch is what was counted after the
 * swap, up to its close; the old device's facts stay for the old close, and the batch is split at the swap once that
 * ends (`closeEnded`).
 */
function newDevicesClose(
  doc: TerminalDoc,
  whole: OpenBatch,
  swap: NonNullable<OpenBatch['swappedWhileClosing']>,
  close: { operationId: string; businessDay: string; batch: EndOfDayBatch; closedAt: string },
): { doc: TerminalDoc; record: TerminalClose } {
  const swappedAt = Date.parse(swap.at);
  const closedAt = Date.parse(close.closedAt);
  const kept = whole.closing?.includes(close.operationId) ? (whole.countedWhileClosing ?? []) : [];
  const mine = kept.filter((fact) => Date.parse(fact.at) > swappedAt && Date.parse(fact.at) <= closedAt);
  const figures = mine.reduce(counting, { ...NONE });
  // Its batch opened at the new device's close before it (one ended meanwhile is in the list), or at the swap.
  const before = (whole.closedWhileClosing ?? []).filter((each) => ofDevice(swap, each) === 'new').at(-1);
  const record = closeRecord(
    doc.terminalId,
    close,
    { ...pick(figures), currencies: figures.currencies ?? {} },
    before?.close.closedAt ?? swap.at,
  );
  // Kept in the list, not as the terminal's last close, while the old device's pends: a fact of the old device's
  // heard of late is still compared with the old device's closes (`countInBatch`). The split makes it the last.
  const left: OpenBatch = {
    ...mine.reduce(without, whole),
    countedWhileClosing: kept.filter((f) => !mine.includes(f)),
    closedWhileClosing: withEnded(whole.closedWhileClosing ?? [], { close: record, counted: mine }),
  };
  return { doc: closeEnded(doc, left, close.operationId), record };
}

/**
 * The terminal with an end-of-day close's outcome applied, and the closes to write on their own store days besides the
 * terminal's last (`earlier`): one that closed before the last, heard of after it, and the close it took facts back
 * from. The last close never goes back.
 */
export function closeReported(
  doc: TerminalDoc,
  close: { operationId: string; businessDay: string; batch: EndOfDayBatch; closedAt: string },
): { doc: TerminalDoc; earlier: readonly TerminalClose[] } {
  const late = closeBeforeEnded(doc, close);
  if (late) return late;
  const closed = closing(doc, close);
  return { doc: closed.doc, earlier: closed.doc.lastClose === closed.record ? [] : [closed.record] };
}

/**
 * The closes the terminal holds, to write on their store days when they change: its last, and those that ended while
 * another pends (one of them may be the last).
 */
export function closesHeld(doc: TerminalDoc | undefined): readonly TerminalClose[] {
  const ended = doc?.openBatch?.closedWhileClosing;
  const last = doc?.lastClose;
  // No close ended while another pends (nearly always): the last close alone, with no list made at every capture.
  if (ended === undefined) return last === undefined ? [] : [last];
  const held = ended.map(({ close }) => close);
  return last === undefined || held.some((each) => each.operationId === last.operationId) ? held : [...held, last];
}

/**
 * The terminal with its last close the very object of its entry among the closes that ended while another pends, when
 * it is one of them: as the fold keeps it, where a document read from KV has two equal copies. `closesHeld` gives the
 * entry's; once no close pends the last close stands alone, and a copy of it would be taken for a close that changed.
 */
export function sharingLastClose(doc: TerminalDoc): TerminalDoc {
  const last = doc.lastClose;
  const entry = doc.openBatch?.closedWhileClosing?.find(({ close }) => close.operationId === last?.operationId);
  return entry === undefined || entry.close === last ? doc : { ...doc, lastClose: entry.close };
}

/**
 * A terminal written while a swap waited by the version before this one, read as this one keeps it: that version named
 * only the closes pending at the swap (`swappedWhileClosing.closes`), where the closes that ended before it, in the list,
 * are the old device's too; and it made a close of the new device the terminal's last at once, where this one keeps it
 * in the list until the old device's closes end (`newDevicesClose`). A document of this version is left as it is.
 */
export function withSwapNamingItsCloses(doc: TerminalDoc): TerminalDoc {
  const open = doc.openBatch;
  const swap = open?.swappedWhileClosing;
  if (open === undefined || swap === undefined) return doc;
  const swappedAt = Date.parse(swap.at);
  const ended = open.closedWhileClosing ?? [];
  const unnamed = ended
    .filter(({ close }) => !swap.closes.includes(close.operationId) && Date.parse(close.closedAt) <= swappedAt)
    .map(({ close }) => close.operationId);
  const closes = [...swap.closes, ...unnamed];
  const last = doc.lastClose;
  const newLast =
    last !== undefined &&
    !closes.includes(last.operationId) &&
    Date.parse(last.closedAt) > swappedAt &&
    !ended.some(({ close }) => close.operationId === last.operationId);
  if (unnamed.length === 0 && !newLast) return doc;
  const list = newLast ? withEnded(ended, { close: last, counted: [] }) : ended;
  // The old device's latest close in the list is the last while the swap waits (the one before was not kept).
  const oldLast = list.filter(({ close }) => closes.includes(close.operationId)).at(-1)?.close;
  const { lastClose: _last, ...rest } = doc;
  return {
    ...rest,
    ...(newLast ? (oldLast ? { lastClose: oldLast } : {}) : last ? { lastClose: last } : {}),
    openBatch: { ...open, swappedWhileClosing: { ...swap, closes }, closedWhileClosing: list },
  };
}

/** A close as the terminal reported it, beside what the log recorded for its batch (`recorded`, opened `openedAt`). */
function closeRecord(
  terminalId: string,
  close: { operationId: string; businessDay: string; batch: EndOfDayBatch; closedAt: string },
  recorded: BatchFigures & { readonly currencies?: Readonly<Record<string, BatchFigures>> },
  openedAt: string | undefined,
): TerminalClose {
  const { batch } = close;
  return compared({
    terminalId,
    operationId: close.operationId,
    businessDay: close.businessDay,
    ...(batch.batchId ? { batchId: batch.batchId } : {}),
    closedAt: close.closedAt,
    ...(batch.startOfDayAt ? { startOfDayAt: batch.startOfDayAt } : {}),
    ...(openedAt ? { openedAt } : {}),
    terminal: {
      purchasesCount: batch.purchasesCount ?? 0,
      purchasesAmount: batch.purchasesAmount ?? 0,
      reversalsCount: batch.reversalsCount ?? 0,
      reversalsAmount: batch.reversalsAmount ?? 0,
    },
    ...(batch.saleAmount === undefined ? {} : { saleAmount: batch.saleAmount }),
    ...(batch.tipAmount === undefined ? {} : { tipAmount: batch.tipAmount }),
    recorded: pick(recorded),
    ...(recorded.currencies ? { currencies: recorded.currencies } : {}),
    mismatch: false,
  });
}

/**
 * A close whose outcome reached the log after that of a close the terminal made after it (both pending at once, their
 * outcomes in the other order), the later one having taken the facts it did with their times (`closedWhileClosing`):
 * the earlier close holds what the later took up to its own time, and the later one keeps only what came after, its
 * batch opening at the earlier close. Each close then holds what it would have, had the outcomes come in order, however
 * many pended. Returns the terminal (its last close compared again, when it is the later one) and the closes for their
 * store days; undefined when no close that ended meanwhile is later (`closing` takes it).
 */
function closeBeforeEnded(
  doc: TerminalDoc,
  close: { operationId: string; businessDay: string; batch: EndOfDayBatch; closedAt: string },
): { doc: TerminalDoc; earlier: readonly TerminalClose[] } | undefined {
  const open = doc.openBatch;
  if (!open?.closing?.includes(close.operationId)) return undefined;
  const closedAt = Date.parse(close.closedAt);
  const ended = open.closedWhileClosing ?? [];
  // While a swap waits, only a later close of the same device took what this one held.
  const swap = open.swappedWhileClosing;
  const device = swap === undefined ? 'both' : swap.closes.includes(close.operationId) ? 'old' : 'new';
  const next = ended.findIndex((each) => ofDevice(swap, each) === device && closedAt < Date.parse(each.close.closedAt));
  if (next < 0) return undefined;
  const { close: later, counted } = ended[next]!;
  const after = counted.filter((fact) => Date.parse(fact.at) > closedAt);
  const held = after.reduce(without, {
    ...later.recorded,
    ...(later.currencies ? { currencies: later.currencies } : {}),
  } as OpenBatch);
  const earlier = closeRecord(doc.terminalId, close, held, later.openedAt);
  const kept = after.reduce(counting, { ...NONE });
  const corrected = compared({
    ...later,
    openedAt: close.closedAt,
    recorded: pick(kept),
    ...(later.currencies ? { currencies: kept.currencies ?? {} } : {}),
  });
  const split = replacingEnded(doc, open, next, [
    { close: earlier, counted: counted.filter((fact) => Date.parse(fact.at) <= closedAt) },
    { close: corrected, counted: after },
  ]);
  // The later one is written with the terminal's last close when it stays that (a split at a swap may make the new
  // device's close the last).
  const resolved = closeEnded(split, split.openBatch ?? open, close.operationId);
  return { doc: resolved, earlier: resolved.lastClose === corrected ? [earlier] : [earlier, corrected] };
}

/**
 * The terminal with the close that ended while another pends at `index` of `open` in its new state (`entries`, with
 * its operation id), or split in two: the terminal's last close with it, when it is that one.
 */
function replacingEnded(
  doc: TerminalDoc,
  open: OpenBatch,
  index: number,
  entries: readonly ClosedWhileClosing[],
): TerminalDoc {
  const ended = open.closedWhileClosing ?? [];
  const last = doc.lastClose;
  const same = entries.find(({ close }) => close.operationId === last?.operationId);
  return {
    ...doc,
    lastClose: same ? same.close : last,
    openBatch: { ...open, closedWhileClosing: [...ended.slice(0, index), ...entries, ...ended.slice(index + 1)] },
  };
}

/**
 * The batch without one fact it counted; a currency left with nothing is left out, as if never counted, so that a
 * close's split is the same whichever close took the fact first.
 */
function without(batch: OpenBatch, fact: TimedCount): OpenBatch {
  const less = counting(batch, { ...fact, amount: -fact.amount, count: -fact.count });
  const left = less.currencies?.[fact.currency];
  if (left === undefined || FIELDS.some((field) => left[field] !== 0)) return less;
  const { [fact.currency]: _none, ...currencies } = less.currencies ?? {};
  return { ...less, currencies };
}

/**
 * The store day with the close in it, by its operation: a terminal closed twice in a day (by hand, then at
 * night) keeps both; a later comparison of the same close replaces it.
 */
export function withClose(day: StoreDayDoc, close: TerminalClose): StoreDayDoc {
  const closes = { ...day.closes, [close.operationId]: close };
  return { ...day, closes, closeMismatches: Object.values(closes).filter((each) => each.mismatch).length };
}

/** The log's figures per currency with one more fact counted in its currency. */
function addIn(
  currencies: Readonly<Record<string, BatchFigures>>,
  counted: Change,
): Readonly<Record<string, BatchFigures>> {
  return { ...currencies, [counted.currency]: add(currencies[counted.currency] ?? NONE, counted) };
}

/** A fact counted in (or, with its amount and count negated, out of) a batch's figures. */
type Change = Omit<Counted, 'count'> & { readonly count: number };

function add(figures: BatchFigures, { kind, amount, count }: Change): BatchFigures {
  return kind === 'purchase'
    ? {
        ...pick(figures),
        purchasesCount: figures.purchasesCount + count,
        purchasesAmount: figures.purchasesAmount + amount,
      }
    : {
        ...pick(figures),
        reversalsCount: figures.reversalsCount + count,
        reversalsAmount: figures.reversalsAmount + amount,
      };
}

function pick(figures: BatchFigures): BatchFigures {
  const { purchasesCount, purchasesAmount, reversalsCount, reversalsAmount } = figures;
  return { purchasesCount, purchasesAmount, reversalsCount, reversalsAmount };
}

function compared(close: TerminalClose): TerminalClose {
  const differences: { -readonly [Field in keyof BatchDifferences]: number } = {};
  for (const field of FIELDS) {
    const difference = close.terminal[field] - close.recorded[field];
    if (difference !== 0) differences[field] = difference;
  }
  const { differences: _before, ...rest } = close;
  const mismatch = Object.keys(differences).length > 0;
  return { ...rest, mismatch, ...(mismatch ? { differences } : {}) };
}

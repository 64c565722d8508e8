import type {
  ClosedWhileClosing,
  OpenBatch,
  SwappedOutBatch,
  TerminalClose,
  TerminalDoc,
  TimedCount,
} from '../../read-model.types';
import { counting, FIELDS, NONE, pick, without } from './batch-figures';
import { closesHeld, withEnded } from './closes-ended-meanwhile';
import { countingPastBound } from './past-bound';

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
    const waiting = doc.openBatch.swappedWhileClosing;
    if (waiting !== undefined) return swappedAgain(doc, doc.openBatch, waiting, device, at);
    // The closes that ended while these pend are the old device's too.
    const ended = (doc.openBatch.closedWhileClosing ?? []).map(({ close }) => close.operationId);
    const closes = [...doc.openBatch.closing, ...ended];
    return { ...doc, device, openBatch: { ...doc.openBatch, swappedWhileClosing: { at, device: doc.device, closes } } };
  }
  // What the old device's batch missed (`incomplete`) no close of the engine compares any more.
  const {
    closing: _closing,
    countedWhileClosing: _counted,
    incomplete: _incomplete,
    closingOn: _on,
    since,
    ...left
  } = doc.openBatch ?? { ...NONE };
  const leftSince = since ?? doc.lastClose?.closedAt;
  const closedAfterSwap = lastClosedAfterSwap(doc, doc.device, at);
  const swapped: SwappedOutBatch = {
    ...left,
    device: doc.device,
    ...(leftSince ? { since: leftSince } : {}),
    ...(closedAfterSwap ? { closedAfterSwap } : {}),
  };
  return { ...doc, device, openBatch: { ...NONE, since: at }, swappedOut: { ...doc.swappedOut, [at]: swapped } };
}

/**
 * The terminal's last close, named as one its swapped-out device (`old`) closed after the swap at `at`
 * (`closedAfterSwap`), when it was sent to that device and Dintero dated it after the swap's instant: it ended before
 * the swap reached the log, but the swap's instant is the engine's, taken before the registry spoke to Dintero. A
 * fact after the swap is the new device's, not that close's (`swappedSince`), though its batch seems to hold it; read
 * by the instants alone, a sale of the new device timed between them was counted in the old device's close. A close
 * that names no device (folded before it was kept) is read by the instants, as before.
 */
function lastClosedAfterSwap(doc: TerminalDoc, old: string, at: string): string[] | undefined {
  const last = doc.lastClose;
  if (last?.device !== old || Date.parse(last.closedAt) <= Date.parse(at)) return undefined;
  return [last.operationId];
}

/**
 * A device swapped out while a swap waits for the old device's close, itself swapped in since (`latestSwapAt`): its
 * batch, the facts after it took the name that none of its closes took, is swapped out now, apart from the old
 * device's and from the device that takes the name. Folded into the new device's, its sales were compared with that
 * device's close.
 */
function swappedAgain(doc: TerminalDoc, open: OpenBatch, swap: PendingSwap, device: string, at: string): TerminalDoc {
  // Caveat: a close of the device swapped out pending too would take some of those facts; its batch and the new
  // device's then stay one, as before, until the old device's close ends.
  if (doc.device === undefined || open.closing?.some((id) => !swap.closes.includes(id))) return { ...doc, device };
  const counted = open.countedWhileClosing ?? [];
  const from = Date.parse(swap.latestSwapAt ?? swap.at);
  // The device swapped out now's facts: those sent to it, or naming none, after it took the name.
  const leaving = doc.device;
  const its = counted.filter((fact) =>
    fact.device !== undefined && leaving !== swap.device ? fact.device === leaving : Date.parse(fact.at) > from,
  );
  // Its facts past the bound (`withinKeptBound`) are all its own: they came after it took the name.
  const { pastBound: itsPast, incomplete: _incomplete, ...waiting } = swap;
  const timed = its.reduce(counting, { ...NONE, currencies: {} });
  const figures = itsPast ? countingPastBound(timed, itsPast, 1) : timed;
  const currencies = figures.currencies ?? {};
  const swapped: SwappedOutBatch = {
    ...pick(figures),
    ...(Object.keys(currencies).length > 0 ? { currencies } : {}),
    device: doc.device,
    since: swappedInSince(swap, open.closedWhileClosing ?? []),
  };
  return {
    ...doc,
    device,
    openBatch: {
      ...(itsPast ? countingPastBound(its.reduce(without, open), itsPast, -1) : its.reduce(without, open)),
      countedWhileClosing: counted.filter((fact) => !its.includes(fact)),
      swappedWhileClosing: { ...waiting, latestSwapAt: at },
    },
    swappedOut: { ...doc.swappedOut, [at]: swapped },
  };
}

/**
 * Whether the old device's batch since it took the name back was swapped out again while the swap waits (A, B, A, B:
 * `swappedAgain`), holding facts, and opened before `closedAt`, the old device's close's cut (Dintero's time): its
 * sales up to that close went with it, their times let go of, and which they are is not known. That close's log side
 * is then unknown, where it showed them missing.
 */
export function backSwappedOutBefore(doc: TerminalDoc, swap: PendingSwap, closedAt: string): boolean {
  return Object.entries(doc.swappedOut ?? {}).some(
    ([swappedAt, batch]) =>
      batch.device === swap.device &&
      Date.parse(swappedAt) > Date.parse(swap.at) &&
      (batch.since === undefined || Date.parse(batch.since) < Date.parse(closedAt)) &&
      FIELDS.some((field) => batch[field] !== 0),
  );
}

/**
 * When the batch of the device that has the name opened while a swap waits: at its latest close that ended meanwhile,
 * or when it took the name. After a second swap, the closes before it in the list are the device's swapped out then.
 */
export function swappedInSince(swap: PendingSwap, ended: readonly ClosedWhileClosing[]): string {
  const from = swap.latestSwapAt;
  const own = ended.filter(
    (each) =>
      ofDevice(swap, each) === 'new' && (from === undefined || Date.parse(each.close.closedAt) > Date.parse(from)),
  );
  return own.at(-1)?.close.closedAt ?? from ?? swap.at;
}

/** A device swapped while a close of the old one pends (`OpenBatch.swappedWhileClosing`). */
export type PendingSwap = NonNullable<OpenBatch['swappedWhileClosing']>;

/**
 * Which device's a close that ended while another pends is, while a swap waits for the old device's close: the old
 * device's closes are those the swap names (pending at it, or ended before it), every other the new device's. `both`
 * when no swap waits.
 */
export function ofDevice(swap: PendingSwap | undefined, ended: ClosedWhileClosing): 'old' | 'new' | 'both' {
  if (swap === undefined) return 'both';
  return swap.closes.includes(ended.close.operationId) ? 'old' : 'new';
}

/**
 * Which device's a fact at `when` is while a swap waits: by the device it was sent to (`device`), the old one's when it
 * is the device swapped out, the new one's when another; where it names none, or the old device took the name back
 * since (the device cannot tell them apart), the old one's up to the swap, the new one's after it. By the instants
 * alone, a sale of the new device that Dintero dated before the swap (its clock behind the engine's, whose the swap's
 * instant is) was the old device's, in its close.
 */
export function factsDevice(
  swap: PendingSwap | undefined,
  when: number,
  device: string | undefined,
  holder: string | undefined,
): 'old' | 'new' | 'both' {
  if (swap === undefined) return 'both';
  // `holder` is the device that has the name now (`TerminalDoc.device`): the old device again when it took the name
  // back after a second swap. Its sales since are then the batch that opened when it came back, not the old close's.
  if (device !== undefined && swap.device !== undefined && !(device === swap.device && holder === swap.device))
    return device === swap.device ? 'old' : 'new';
  return when <= Date.parse(swap.at) ? 'old' : 'new';
}

/**
 * Whether a fact at `when` is of the old device's closes by their own times alone, the device the swap waits for
 * (`swap.device`) having taken the name back since (`holder`): sent to it, or naming none and after it came back (the
 * latest swap, `latestSwapAt`: told by its time, it is the device's that had the name then). Its batch held the fact
 * until the first of its closes after it, those the swap names and those asked of it since alike, whatever swaps came
 * between. By its time against the first swap's instant it was the new device's, and went past the old close that
 * held it to the next batch.
 */
export function swappedBackHolds(
  swap: PendingSwap | undefined,
  when: number,
  device: string | undefined,
  holder: string | undefined,
): boolean {
  if (swap?.device === undefined || holder !== swap.device) return false;
  if (device !== undefined) return device === swap.device;
  return swap.latestSwapAt !== undefined && when > Date.parse(swap.latestSwapAt);
}

/** `factsDevice` of a fact a pending close's batch kept with its time (and its device, while a swap waits). */
export function timedDevice(
  swap: PendingSwap | undefined,
  fact: TimedCount,
  holder: string | undefined,
): 'old' | 'new' | 'both' {
  return factsDevice(swap, Date.parse(fact.at), fact.device, holder);
}

/**
 * Whether a fact sent to `device` may be of a batch or close of `of`: unless both are known and differ. Either unknown
 * (a fact or close recorded before the device was kept), the instants tell.
 */
export function sameDevice(of: string | undefined, device: string | undefined): boolean {
  return of === undefined || device === undefined || of === device;
}

/**
 * The old device's closes that ended while the swap waited, when it is split: those in the list, and the terminal's
 * last close when it is one of them.
 */
export function oldCloses(doc: TerminalDoc, swap: PendingSwap, ended: readonly ClosedWhileClosing[]): TerminalClose[] {
  const old = ended.filter((each) => ofDevice(swap, each) === 'old').map(({ close }) => close);
  const last = doc.lastClose;
  if (last === undefined || !swap.closes.includes(last.operationId)) return old;
  return old.some((close) => close.operationId === last.operationId) ? old : [...old, last];
}

/**
 * The batches swapped out again with the old device since it took the name back (A, B, A, B: `swappedAgain`), cut
 * at the latest of its old closes (`closes`, dated after the swap) before their own swap: Dintero's batch of that
 * device held its facts up to that close, and the batch swapped out again opened there, where it stayed opened at the
 * device's return. A sale of the device's dated before that close, heard of after the old closes ended, went to that
 * batch, and the close that held it showed it missing (0 purchases against 1).
 */
export function cutByOldCloses(
  swappedOut: NonNullable<TerminalDoc['swappedOut']>,
  swap: PendingSwap,
  closes: readonly TerminalClose[],
): NonNullable<TerminalDoc['swappedOut']> {
  const cut = Object.entries(swappedOut).map(([swappedAt, batch]): [string, SwappedOutBatch] => {
    const out = Date.parse(swappedAt);
    if (batch.device !== swap.device || out <= Date.parse(swap.at) || batch.since === undefined)
      return [swappedAt, batch];
    const since = Date.parse(batch.since);
    const cuts = closes.map((close) => Date.parse(close.closedAt)).filter((at) => at > since && at < out);
    return cuts.length === 0
      ? [swappedAt, batch]
      : [swappedAt, { ...batch, since: new Date(Math.max(...cuts)).toISOString() }];
  });
  return Object.fromEntries(cut);
}

/**
 * The terminal `after` a change while a swap waits, its swap naming the old device's closes dated after the swap that
 * the terminal held `before` and holds no more (`closedAfterSwapLetGo`): the list of closes ended meanwhile let go of
 * past the bound (`withinKeptBound`), or the last close replaced by a later close of the old device's (the list let go
 * of, the last close is in it no more). They are on their store days alone, and the split names them with those the
 * terminal holds (`closedAfterSwap`): unnamed, a fact of the new device's after the swap heard of late was counted on
 * its store day in one of them whose batch opened after the swap (later than the new device's close that held it),
 * and a close let go of beyond the 50 kept pending, dated after the swap and heard of after the split, did not look
 * among them for the close that may have taken its batch (`letGoTaker`).
 */
export function namingOldClosesLetGo(before: TerminalDoc, after: TerminalDoc): TerminalDoc {
  const open = after.openBatch;
  const swap = open?.swappedWhileClosing;
  if (open === undefined || swap === undefined) return after;
  const swappedAt = Date.parse(swap.at);
  const held = new Set(closesHeld(after).map((close) => close.operationId));
  const letGo = closesHeld(before)
    .filter((close) => swap.closes.includes(close.operationId) && !held.has(close.operationId))
    .filter((close) => Date.parse(close.closedAt) > swappedAt)
    .map((close) => close.operationId);
  if (letGo.length === 0) return after;
  const closedAfterSwapLetGo = [...(swap.closedAfterSwapLetGo ?? []), ...letGo];
  return { ...after, openBatch: { ...open, swappedWhileClosing: { ...swap, closedAfterSwapLetGo } } };
}

/**
 * Whether a fact at `when` is after a swap that took out the device of the terminal's last close: a close pending at
 * the swap, dated by Dintero after it (`closedAfterSwap`). The fact is the new device's, not that close's. Where the
 * fact and the close name their devices (`device`, `TerminalClose.device`), told by them instead.
 */
export function swappedSince(doc: TerminalDoc, when: number, device?: string): boolean {
  const close = doc.lastClose;
  if (close === undefined || doc.swappedOut === undefined) return false;
  if (device !== undefined && close.device !== undefined && swappedOutCloses(doc, Infinity).has(close.operationId))
    return device !== close.device;
  if (!swappedOutCloses(doc, when).has(close.operationId)) return false;
  // One naming no device, at a time the close's device had the name again (swapped out and back since): that device's
  // by its time, in its close's batch up to the close, where it was taken for the device swapped in at the first swap.
  return close.device === undefined || device !== undefined || deviceAt(doc, when) !== close.device;
}

/**
 * The device that had the terminal's name at `when` by the swaps' instants (the engine's): the one the first swap after
 * it took out (`swappedOut`, keyed by the swap's instant, or the swap waiting for the old device's close), or the one
 * that has it now.
 */
function deviceAt(doc: TerminalDoc, when: number): string | undefined {
  let device = doc.device;
  let nextAt = Infinity;
  const swapAt = (at: string, tookOut: string | undefined) => {
    const instant = Date.parse(at);
    if (instant > when && instant < nextAt) [nextAt, device] = [instant, tookOut];
  };
  for (const [at, batch] of Object.entries(doc.swappedOut ?? {})) swapAt(at, batch.device);
  const swap = doc.openBatch?.swappedWhileClosing;
  if (swap !== undefined) swapAt(swap.at, swap.device);
  return device;
}

/**
 * The closes of devices swapped out before `when` that Dintero dated after their swap (`closedAfterSwap`): a fact at
 * `when` is none of theirs, though their batches seem to hold it.
 */
export function swappedOutCloses(doc: TerminalDoc | undefined, when: number, device?: string): ReadonlySet<string> {
  const closes = new Set<string>();
  // A fact sent to the device swapped out (`device`) is of its closes, by its device, whatever Dintero dates it.
  for (const [swappedAt, batch] of Object.entries(doc?.swappedOut ?? {}))
    if (Date.parse(swappedAt) < when && (device === undefined || batch.device !== device))
      for (const id of batch.closedAfterSwap ?? []) closes.add(id);
  return closes;
}

/**
 * The closes on store days whose batches seem to hold a fact at `when` but cannot (`TerminalCloses.countInOlderClose`):
 * those of devices swapped out before it, dated after their swap (`swappedOutCloses`), and while a swap waits, for a
 * fact after it (the new device's), the old device's closes the swap names. Their batches are cut at the swap, but
 * those Dintero dated after it opened after it too, later than the new device's close that held the fact; past the
 * bound (`keptApart`) both are on their store days alone, and the later opened was taken for the one: the old close
 * showed the new device's sale, and the new device's close a difference that was not there.
 */
export function notHoldingFact(doc: TerminalDoc | undefined, when: number, device?: string): ReadonlySet<string> {
  // One naming no device is the device's that had the name then: a device swapped out and back by then holds it in its
  // closes, an old one dated after the swap that took it out among them (`deviceAt`).
  const told = device ?? (doc === undefined ? undefined : deviceAt(doc, when));
  const swappedOut = swappedOutCloses(doc, when, told);
  const swap = doc?.openBatch?.swappedWhileClosing;
  if (swap === undefined || factsDevice(swap, when, device, doc?.device) !== 'new') return swappedOut;
  return new Set([...swappedOut, ...swap.closes]);
}

/**
 * Whether a fact at `at` (sent to `device`, when it names one) is of the batch of a device swapped out: after its last
 * close, by its swap.
 */
export function inSwappedOut(doc: TerminalDoc | undefined, at: string, device?: string): boolean {
  return swappedOutHolding(doc, at, device) !== undefined;
}

/**
 * The swap (its instant, the key in `swappedOut`) whose swapped-out batch held a fact at `at`, if any. Each batch
 * ran from the close or swap before it to its own swap, so windows do not overlap. A fact sent to a device (`device`)
 * is held by a batch of that device alone: a sale of the new device that Dintero dated before the swap (its clock
 * behind the engine's) is not the old device's, though its window holds it.
 */
export function swappedOutHolding(doc: TerminalDoc | undefined, at: string, device?: string): string | undefined {
  if (doc?.swappedOut === undefined) return undefined;
  const when = Date.parse(at);
  for (const [swappedAt, batch] of Object.entries(doc.swappedOut))
    if (
      when <= Date.parse(swappedAt) &&
      (batch.since === undefined || when > Date.parse(cutWhileWaiting(doc, swappedAt, batch))) &&
      sameDevice(batch.device, device)
    )
      return swappedAt;
  return swappedOutAfter(doc, when, device);
}

/**
 * Where a batch swapped out again with the old device (A, B, A, B) opened while the swap still waits: at the latest of
 * the old closes that ended meanwhile before its swap (`cutByOldCloses` once they all ended). A fact of the device's
 * before that close is the close's, kept with its time (a pending old close dated before it takes it back), where
 * counted in the batch by its figures alone, the old close that held it showed it missing.
 */
function cutWhileWaiting(doc: TerminalDoc, swappedAt: string, batch: SwappedOutBatch): string {
  const swap = doc.openBatch?.swappedWhileClosing;
  if (swap === undefined || batch.since === undefined) return batch.since!;
  const old = (doc.openBatch?.closedWhileClosing ?? [])
    .filter((each) => ofDevice(swap, each) === 'old')
    .map(({ close }) => close);
  return cutByOldCloses({ [swappedAt]: batch }, swap, old)[swappedAt]!.since!;
}

/**
 * The batch swapped out with `device` that a fact sent to it holds though Dintero dates the fact after the swap (its
 * clock ahead of the engine's, whose the swap's instant is): the device's latest batch swapped out before the fact, the
 * fact after its last close too. By the instants alone it went to the batch of the device that has the name now, whose
 * next close showed it extra. None while the device has the name (back), or while a swap waits for its close (that
 * close takes its facts, `factsDevice`), or for a fact that names no device.
 */
function swappedOutAfter(doc: TerminalDoc, when: number, device: string | undefined): string | undefined {
  if (device === undefined || doc.device === device || doc.openBatch?.swappedWhileClosing?.device === device)
    return undefined;
  let latest: string | undefined;
  for (const [swappedAt, batch] of Object.entries(doc.swappedOut ?? {}))
    if (
      batch.device === device &&
      when > Date.parse(swappedAt) &&
      (batch.since === undefined || when > Date.parse(batch.since)) &&
      (latest === undefined || Date.parse(swappedAt) > Date.parse(latest))
    )
      latest = swappedAt;
  // Unless the device took the name back since, before the fact (a later batch of its own swapped out: it came back at
  // the swap before that one): the fact is of that later stint, its close's or its batch's, where by the device alone it
  // went to the batch of the stint before, and the close that held it showed it missing.
  if (latest === undefined) return undefined;
  const swaps = Object.keys(doc.swappedOut ?? {}).map(Date.parse);
  const from = Date.parse(latest);
  const later = Object.entries(doc.swappedOut ?? {})
    .filter(([swappedAt, batch]) => batch.device === device && Date.parse(swappedAt) > from)
    .map(([swappedAt]) => Date.parse(swappedAt));
  if (later.length === 0) return latest;
  const out = Math.min(...later);
  const back = Math.max(...swaps.filter((swappedAt) => swappedAt < out));
  return when > back ? undefined : latest;
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
  // A close that names the device it was sent to (fold version 12) is the old device's only if sent to it: one of the
  // new device's that Dintero dated before the swap (its clock behind the engine's) was named the old device's here, on
  // every start from KV, where the fold kept it the new device's, and the two ended with other documents.
  const unnamed = ended
    .filter(
      ({ close }) =>
        !swap.closes.includes(close.operationId) &&
        Date.parse(close.closedAt) <= swappedAt &&
        (close.device === undefined || close.device === swap.device),
    )
    .map(({ close }) => close.operationId);
  const closes = [...swap.closes, ...unnamed];
  const last = doc.lastClose;
  // Nor is a last close sent to the old device the new device's, though Dintero dated it after the swap.
  const newLast =
    last !== undefined &&
    last.device !== swap.device &&
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

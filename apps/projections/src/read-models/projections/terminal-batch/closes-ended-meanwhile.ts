import type { ClosedWhileClosing, OpenBatch, TerminalClose, TerminalDoc, TimedCount } from '../../read-model.types';

/** The list of closes ended while another pends with one more, in its place by cut (the earliest first). */
export function withEnded(ended: readonly ClosedWhileClosing[], entry: ClosedWhileClosing): ClosedWhileClosing[] {
  const at = ended.findIndex(({ close }) => Date.parse(entry.close.closedAt) < Date.parse(close.closedAt));
  return at < 0 ? [...ended, entry] : [...ended.slice(0, at), entry, ...ended.slice(at)];
}

/** Of two closes, the one the terminal made last (the first when made at once). */
export const latest = (a: TerminalClose, b: TerminalClose | undefined): TerminalClose =>
  b !== undefined && Date.parse(b.closedAt) > Date.parse(a.closedAt) ? b : a;

/** The batch with the closes still pending, the times of what it counts, and the closes that ended meanwhile. */
export function pendingOf(
  batch: OpenBatch,
  others: readonly string[],
  facts: readonly TimedCount[],
  ended: readonly ClosedWhileClosing[],
): OpenBatch {
  // No close pends any more: the facts past the bound are the batch's, and the next close is asked for after them.
  if (others.length === 0) {
    const { pastBound: _past, ...rest } = batch;
    return rest;
  }
  return {
    ...batch,
    closing: others,
    countedWhileClosing: facts,
    ...(ended.length > 0 ? { closedWhileClosing: ended } : {}),
  };
}

/**
 * The terminal with the close that ended while another pends at `index` of `open` in its new state (`entries`, with
 * its operation id), or split in two: the terminal's last close with it, when it is that one.
 */
export function replacingEnded(
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

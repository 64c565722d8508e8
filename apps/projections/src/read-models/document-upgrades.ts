import { isUnsplit } from './projections/store-day.projection';
import { withSwapNamingItsCloses } from './projections/terminal-batch';
import { stringField } from './string-field';
import type { Change, OpenBatch, StoreDayDoc, SwappedOutBatch, TerminalDoc, TimedCount } from './read-model.types';

/**
 * A document as this version writes it. Before `deactivated` was its name, a deactivated terminal was
 * `offline` (and a store counted `offline` terminals): documents kept in KV from then are read the new way. A
 * store day kept its terminals' totals whatever the currency: they are its one currency's (`documentProblem`
 * refuses such a day with more). Day counts (a terminal's `today`, a store day's `counts`) folded before fold
 * version 2 had no `voided` and `rejected` (`withEveryEnd`). A terminal kept its swapped-out batches
 * (`withSwapsAsKept`), one close ended while another pended (`withClosedAsKept`), and a swap while closes pended
 * (`withSwapNamingItsCloses`) otherwise. A swap waiting past the bound of what a pending close keeps (its own
 * `pastBound` and `incomplete`, fold version 8) is read as it is: a terminal of an earlier fold never has one (it let go
 * of the swap there), and until a rebuild its batch stays shared by both devices as that fold left it.
 */
export function upgraded(change: Change): Change {
  if (change.model === 'terminal') {
    const kept = withSwapNamingItsCloses(withClosedAsKept(withSwapsAsKept(change.doc)));
    const today = kept.today && withEveryEnd(kept.today);
    const doc = today === kept.today ? kept : { ...kept, today };
    if (stringField(doc, 'status') === 'offline') return { ...change, doc: { ...doc, status: 'deactivated' } };
    return doc === change.doc ? change : { ...change, doc };
  }
  if (change.model === 'store') {
    const counts: object = change.doc.terminals;
    if (!('deactivated' in counts)) {
      const offline = 'offline' in counts ? Reflect.get(counts, 'offline') : 0;
      return {
        ...change,
        doc: {
          ...change.doc,
          terminals: { busy: change.doc.terminals.busy, idle: change.doc.terminals.idle, deactivated: Number(offline) },
        },
      };
    }
  }
  if (change.model === 'store-day') {
    let doc = change.doc;
    if (Object.values(doc.terminals).some(isUnsplit)) {
      const [currency] = Object.keys(doc.currencies);
      const terminals: Record<string, StoreDayDoc['terminals'][string]> = {};
      for (const [terminalId, totals] of Object.entries(doc.terminals))
        terminals[terminalId] =
          isUnsplit(totals) && currency !== undefined ? { currencies: { [currency]: totals as never } } : totals;
      doc = { ...doc, terminals };
    }
    const counts = withEveryEnd(doc.counts);
    if (counts !== doc.counts) doc = { ...doc, counts };
    return doc === change.doc ? change : { ...change, doc };
  }
  return change;
}

/**
 * Day counts folded before fold version 2 (`FOLD_VERSION`), without `voided` and `rejected`: read as 0, since that
 * fold counted none, so that the fold can add to them (a rebuild counts the day's).
 */
function withEveryEnd<Counts extends { readonly voided: number; readonly rejected: number }>(counts: Counts): Counts {
  const { voided, rejected } = counts as Partial<Counts>;
  if (typeof voided === 'number' && typeof rejected === 'number') return counts;
  return { ...counts, voided: voided ?? 0, rejected: rejected ?? 0 };
}

/** A swapped-out batch as earlier versions kept it: with its swap's time (`at`), and with or without its device. */
type KeptBatch = Omit<SwappedOutBatch, 'device'> & { readonly device?: string; readonly at?: string };

/**
 * A terminal's swapped-out batches by the time of their swap, each with its device, as this version keeps them.
 * The first versions with swaps kept one (the last device swapped out, with its swap's time `at`), the next one per
 * device (keyed by the device, with `at`). A swap during a pending close names the closes it waits for; versions
 * before kept none and waited for every close pending, as naming them all does.
 */
function withSwapsAsKept(doc: TerminalDoc): TerminalDoc {
  let next = doc;
  const kept = doc.swappedOut as KeptBatch | Readonly<Record<string, KeptBatch>> | undefined;
  if (kept !== undefined && typeof Reflect.get(kept, 'purchasesCount') === 'number') {
    const { at, ...batch } = kept as KeptBatch;
    next = { ...next, swappedOut: { [at!]: { ...batch, device: batch.device! } } };
  } else if (kept !== undefined) {
    const batches = Object.entries(kept as Readonly<Record<string, KeptBatch>>);
    if (batches.some(([, batch]) => batch.device === undefined)) {
      const swappedOut: Record<string, SwappedOutBatch> = {};
      for (const [key, { at, device, ...batch }] of batches)
        if (device === undefined) swappedOut[at!] = { ...batch, device: key };
        else swappedOut[key] = { ...batch, device };
      next = { ...next, swappedOut };
    }
  }
  const openBatch = next.openBatch;
  const swap = openBatch?.swappedWhileClosing as Partial<NonNullable<OpenBatch['swappedWhileClosing']>> | undefined;
  if (openBatch !== undefined && swap !== undefined && swap.closes === undefined) {
    const swappedWhileClosing = { at: swap.at!, device: swap.device!, closes: openBatch.closing ?? [] };
    next = { ...next, openBatch: { ...openBatch, swappedWhileClosing } };
  }
  return next;
}

/**
 * The closes ended while another pends as this version keeps them, a list with each close's record. Versions before
 * kept one (its id, its time, what it took), whose record is the terminal's last close when it is that one; when it is
 * not, they had no record of it either and a pending close's outcome was compared without it, as it is here.
 */
function withClosedAsKept(doc: TerminalDoc): TerminalDoc {
  const open = doc.openBatch;
  const kept: unknown = open?.closedWhileClosing;
  if (open === undefined || kept === undefined || Array.isArray(kept)) return doc;
  const { operationId, counted } = kept as { readonly operationId: string; readonly counted: readonly TimedCount[] };
  const { closedWhileClosing: _kept, ...rest } = open;
  const close = doc.lastClose;
  return {
    ...doc,
    openBatch: close?.operationId === operationId ? { ...rest, closedWhileClosing: [{ close, counted }] } : rest,
  };
}

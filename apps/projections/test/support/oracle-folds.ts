import type { EventStore, RecordedEvent } from '@app/event-store';
import { daysFirst } from '../../src/projector/read-model.buckets';
import { applyFromLog } from '../../src/read-models/apply-from-log';
import { ReadModelProjector } from '../../src/read-models/read-model.projector';
import type { Change, StoreDayDoc } from '../../src/read-models/read-model.types';
import { daysInWindow } from '../../src/read-models/store-days';
import { emptyDay, nonZero, type Expected } from './oracle-figures';

// The ways of folding a log the oracle probe compares: in one pass, in batches, resumed from KV, killed in a flush.

/** KV as the projector leaves it: each document by `{model}:{key}`. */
type Kv = Map<string, Change>;

export const logStore = (log: readonly RecordedEvent[]) =>
  ({ readStream: async (stream: string) => log.filter((e) => e.streamName === stream) }) as unknown as EventStore;

/** The log folded in batches ending at `cuts`, each batch written to KV and the days out of the window retired. */
export async function folded(log: readonly RecordedEvent[], cuts: readonly number[], kv: Kv = new Map(), from = 0) {
  const projector = new ReadModelProjector();
  const write = (change: Change) => kv.set(`${change.model}:${change.key}`, structuredClone(change));
  const readDay = async (key: string) => kv.get(`store-day:${key}`)?.doc as StoreDayDoc | undefined;
  if (from > 0) {
    // Restarted from KV as `ProjectorService` does: every document, the store days of each store's window.
    const days = new Set(daysInWindow([...kv.values()].filter((c) => c.model === 'store-day').map((c) => c.key)));
    for (const change of kv.values())
      if (change.model !== 'store-day' || days.has(change.key)) projector.load(structuredClone(change));
  }
  let start = from;
  for (const cut of [...cuts.filter((c) => c > from && c < log.length), log.length]) {
    const batch = log.slice(start, cut);
    if (batch.length === 0) continue;
    await applyFromLog(logStore(log), projector, batch, write, readDay);
    projector.retirePastDays(batch.at(-1)!.position);
    start = cut;
  }
  return kv;
}

/**
 * Folded up to `checkpoint` and written; then the batch up to `flushed` folded and its flush cut off after `sent`
 * documents (store days first, as `putFenced` sends them); then restarted from KV at the checkpoint.
 */
export async function killedInFlush(log: readonly RecordedEvent[], checkpoint: number, flushed: number, sent: number) {
  const kv = await folded(log.slice(0, checkpoint), []);
  const projector = new ReadModelProjector();
  const days = new Set(daysInWindow([...kv.values()].filter((c) => c.model === 'store-day').map((c) => c.key)));
  for (const change of kv.values())
    if (change.model !== 'store-day' || days.has(change.key)) projector.load(structuredClone(change));
  const flush = new Map<string, Change>();
  const readDay = async (key: string) => kv.get(`store-day:${key}`)?.doc as StoreDayDoc | undefined;
  await applyFromLog(
    logStore(log),
    projector,
    log.slice(checkpoint, flushed),
    (change) => flush.set(`${change.model}:${change.key}`, structuredClone(change)),
    readDay,
  );
  const ordered = daysFirst(flush.values()).flat();
  for (const change of ordered.slice(0, sent % (ordered.length + 1))) kv.set(`${change.model}:${change.key}`, change);
  return folded(log, [], kv, checkpoint);
}

/** What finance reads of KV, in the oracle's shape. */
export function read(kv: Kv): Expected {
  const days: Expected['days'] = {};
  const terminalDays: Expected['terminalDays'] = {};
  const closes: Expected['closes'] = {};
  const openBatches: Expected['openBatches'] = {};
  const stores: Expected['stores'] = {};
  const swappedOut: Expected['swappedOut'] = {};
  for (const { model, key, doc } of kv.values()) {
    if (model === 'store-day') {
      const day = doc;
      const figures = {
        currencies: day.currencies,
        counts: day.counts,
        cardBrands: day.cardBrands,
        terminals: { ...day.terminals },
        ...(day.refundedElsewhere ? { refundedElsewhere: day.refundedElsewhere } : {}),
        lateCaptures: day.lateCaptures,
        ...(day.lateCaptureRefunds ? { lateCaptureRefunds: day.lateCaptureRefunds } : {}),
      };
      if (JSON.stringify(figures) !== JSON.stringify(emptyDay())) days[key] = structuredClone(figures) as never;
      for (const close of Object.values(day.closes ?? {}))
        closes[close.operationId] = {
          day: key,
          recorded: close.recorded,
          currencies: nonZero(close.currencies),
          mismatch: close.mismatch,
        };
      const mismatches = Object.values(day.closes ?? {}).filter((c) => c.mismatch).length;
      expect([key, day.closeMismatches ?? 0]).toEqual([key, mismatches]);
    } else if (model === 'store') {
      const { today } = doc;
      stores[key] = today && { date: today.date, totals: today.totals };
    } else if (model === 'terminal') {
      const terminal = doc;
      terminalDays[key] = terminal.today && { ...terminal.today };
      const {
        purchasesCount = 0,
        purchasesAmount = 0,
        reversalsCount = 0,
        reversalsAmount = 0,
      } = terminal.openBatch ?? {};
      openBatches[key] = {
        figures: { purchasesCount, purchasesAmount, reversalsCount, reversalsAmount },
        currencies: nonZero(terminal.openBatch?.currencies),
      };
      for (const [at, batch] of Object.entries(terminal.swappedOut ?? {}))
        swappedOut[`${key}@${at}`] = {
          figures: {
            purchasesCount: batch.purchasesCount,
            purchasesAmount: batch.purchasesAmount,
            reversalsCount: batch.reversalsCount,
            reversalsAmount: batch.reversalsAmount,
          },
          currencies: nonZero(batch.currencies),
        };
    }
  }
  return { days, terminalDays, closes, openBatches, swappedOut, stores };
}

import type { EndOfDayBatch } from '@app/payment-domain';
import type { BatchFigures, TerminalClose } from '../../read-model.types';
import { compared, FIELDS, NONE, pick } from './batch-figures';
import type { ReportedClose } from './terminal-close';

/** A close as the terminal reported it, beside what the log recorded for its batch (`recorded`, opened `openedAt`). */
export function closeRecord(
  terminalId: string,
  close: ReportedClose,
  recorded: BatchFigures & { readonly currencies?: Readonly<Record<string, BatchFigures>> },
  openedAt: string | undefined,
  /** The log's figures for the batch are not known (`recordedUnknown`). */
  recordedUnknown = false,
): TerminalClose {
  const { batch = {} } = close;
  const unknown = unknownFigures(batch);
  return compared({
    terminalId,
    operationId: close.operationId,
    ...(close.device === undefined ? {} : { device: close.device }),
    businessDay: close.businessDay,
    ...(batch.batchId ? { batchId: batch.batchId } : {}),
    closedAt: close.closedAt,
    ...(batch.startOfDayAt ? { startOfDayAt: batch.startOfDayAt } : {}),
    ...(openedAt ? { openedAt } : {}),
    ...(close.batch === undefined ? { withoutTotals: true as const } : {}),
    terminal: Object.fromEntries(
      FIELDS.filter((field) => !unknown.includes(field)).map((field) => [field, batch[field] ?? 0]),
    ),
    ...(unknown.length > 0 ? { unknown } : {}),
    ...(batch.saleAmount === undefined ? {} : { saleAmount: batch.saleAmount }),
    ...(batch.tipAmount === undefined ? {} : { tipAmount: batch.tipAmount }),
    recorded: pick(recorded),
    ...(recorded.currencies ? { currencies: recorded.currencies } : {}),
    ...(recordedUnknown ? { recordedUnknown: true as const } : {}),
    mismatch: false,
  });
}

/**
 * The terminal's compared figures that are unknown: named unreadable by the rim, or in the log as no whole number (an
 * event of a version before the rim and the decider refused such a figure, or written by hand), which compared as
 * given would be no number, or as 0 a difference that is not there.
 */
function unknownFigures(batch: EndOfDayBatch): (typeof FIELDS)[number][] {
  return FIELDS.filter(
    (field) =>
      (batch.unreadable?.includes(field) ?? false) ||
      (batch[field] !== undefined && !Number.isSafeInteger(batch[field])),
  );
}

/**
 * A close whose batch a close after it took (`lostBatch`, or found so by `closeBeforeEnded`): nothing of its own, its
 * log side unknown, and no fact's (`batchLost`): by the start of day its terminal gave, it seemed to hold the facts of
 * the close before it or of its taker heard of late, and took them from the close whose batch held them.
 */
export function lostRecord(terminalId: string, close: ReportedClose): TerminalClose {
  return { ...closeRecord(terminalId, close, { ...NONE, currencies: {} }, undefined, true), batchLost: true };
}

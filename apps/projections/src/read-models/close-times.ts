import type { EndOfDayBatch } from '@app/payment-domain';

/** A time the fold can read: a string `Date.parse` takes. Logs of earlier versions hold times in more than one form. */
const readable = (value: unknown): value is string => typeof value === 'string' && !Number.isNaN(Date.parse(value));

/**
 * A completed close's times as the fold reads them: when it closed (Dintero's time, else when the engine heard of it)
 * and its batch without a time the fold cannot read, taken as unknown, with the names of those left out (`unread`).
 * The rim and the decider let no such time into the log since 1c76654, but a log may hold one from before, or from an
 * event written to it by hand: folded as given, it stopped the projector for good (`localDate` throws on it), and a
 * rebuild too. `closedAt` is undefined when the close has no time at all: then it is not folded as a close. A close
 * Dintero reported without the terminal's batch keeps none.
 */
export function closeTimes(
  data: { readonly at: unknown; readonly dinteroAt?: unknown },
  batch: EndOfDayBatch | undefined,
): {
  readonly closedAt: string | undefined;
  readonly batch: EndOfDayBatch | undefined;
  readonly unread: readonly string[];
} {
  const unread: string[] = [];
  const known = (value: unknown, field: string): string | undefined => {
    if (value === undefined || readable(value)) return value;
    unread.push(field);
    return undefined;
  };
  const closedAt = known(data.dinteroAt, 'dinteroAt') ?? known(data.at, 'at');
  if (batch === undefined) return { closedAt, batch, unread };
  const { startOfDayAt, lastEndOfDayAt, ...rest } = batch;
  const opened = known(startOfDayAt, 'batch.startOfDayAt');
  const lastClosed = known(lastEndOfDayAt, 'batch.lastEndOfDayAt');
  if (opened === startOfDayAt && lastClosed === lastEndOfDayAt) return { closedAt, batch, unread };
  return {
    closedAt,
    batch: {
      ...rest,
      ...(opened === undefined ? {} : { startOfDayAt: opened }),
      ...(lastClosed === undefined ? {} : { lastEndOfDayAt: lastClosed }),
    },
    unread,
  };
}

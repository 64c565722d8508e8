import type { RecordedEvent } from '@app/event-store';
import type { StoreDayDoc } from '../src/read-models/read-model.types';
import { closeLog, totals } from './support/close-log';
import { kvAfter } from './support/kv-fold';

/**
 * A projector started again from KV reads a terminal whose swap waits for the old device's close with the swap naming
 * its closes (`withSwapNamingItsCloses`, for documents of folds that named fewer). By the instants alone it named a
 * close of the new device that Dintero dated before the swap (its clock behind the engine's), and took the old device's
 * last close that Dintero dated after the swap (its clock ahead) for the new device's: the fold had kept each the other
 * device's, and the two ended with other documents: the new device's batch opened elsewhere, and a sale of it heard
 * of late went to the old device's close, each close showing a difference that was not there. A close names its
 * device now, and is read by it.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

/**
 * The day's closes in KV after folding `log` (started again from KV after `cut` events): purchases the log recorded
 * for each, and whether it matched.
 */
async function closesAfter(log: readonly RecordedEvent[], cut: number) {
  const day = (await kvAfter(log, cut)).get(`store-day:oslo.${DAY}`) as StoreDayDoc;
  return Object.fromEntries(
    Object.values(day.closes ?? {}).map((close) => [
      close.operationId,
      [close.recorded.purchasesCount, close.mismatch],
    ]),
  );
}

/** Each cut's closes (`closesAfter`), with the cut. */
async function closesAtEachCut(log: readonly RecordedEvent[]) {
  const each = [];
  for (let cut = 1; cut <= log.length; cut++) each.push([cut, await closesAfter(log, cut)]);
  return each;
}

/** The cuts after which a projector started again from KV ends with other documents than one fold. */
async function cutsDiffering(log: readonly RecordedEvent[]) {
  const whole = JSON.stringify([...(await kvAfter(log))]);
  const differing: number[] = [];
  for (let cut = 1; cut < log.length; cut++)
    if (JSON.stringify([...(await kvAfter(log, cut))]) !== whole) differing.push(cut);
  return differing;
}

describe('a terminal whose swap waits for the old device’s close, started again from KV', () => {
  it('keeps the new device’s close that Dintero dated before the swap the new device’s', async () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    sale('old', at('16:30:00'));
    requested('old-1', at('16:59:50'));
    enrolled('D-NEW', at('17:00:00'));
    requested('new-1', at('17:00:01'));
    completed('new-1', at('16:59:58'), totals(0));
    sale('new', at('17:10:00'));
    completed('old-1', at('17:00:05'), totals(1));
    requested('new-2', at('18:00:00'));
    completed('new-2', at('18:00:05'), totals(2));
    // The new device's, by Dintero's clock (a second after its first close), heard of after its next close.
    sale('late', at('16:59:59'));
    const closes = { 'new-1': [0, false], 'old-1': [1, false], 'new-2': [2, false] };
    expect(await closesAtEachCut(log.log)).toEqual(log.log.map((_, i) => [i + 1, closes]));
    expect(await cutsDiffering(log.log)).toEqual([]);
  });

  it('keeps the old device’s last close that Dintero dated after the swap the old device’s', async () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    sale('old', at('16:30:00'));
    requested('old-0', at('16:59:40'));
    completed('old-0', at('17:00:06'), totals(1));
    // Pending at the swap (its hold on the terminal let go of), its outcome after it.
    requested('old-1', at('16:59:57'));
    enrolled('D-NEW', at('17:00:00'));
    sale('new', at('17:00:10'));
    completed('old-1', at('17:00:08'), totals(0));
    requested('new-2', at('18:00:00'));
    completed('new-2', at('18:00:05'), totals(2));
    // The new device's (after the swap, before the old device's last close by Dintero's clock), heard of late.
    sale('late', at('17:00:03'));
    const closes = { 'old-0': [1, false], 'old-1': [0, false], 'new-2': [2, false] };
    expect(await closesAtEachCut(log.log)).toEqual(log.log.map((_, i) => [i + 1, closes]));
    expect(await cutsDiffering(log.log)).toEqual([]);
  });
});

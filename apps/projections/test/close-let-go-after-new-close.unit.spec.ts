import { closeLog, totals } from './support/close-log';
import { documentsWritten } from './support/kv-fold';

/**
 * As in close-let-go-after-split.unit: a close let go of beyond the 50 kept pending, asked for before a device swap and
 * dated by Dintero after it, whose outcome comes after the split at the swap, and the old device's close pending at the
 * swap that closed after it (`old-2`, `closedAfterSwap`). Here a close of the new device completes after `old-2` and
 * before the let-go close's outcome, and becomes the terminal's last: `old-2` is then on its store day alone. Taken for
 * the new device's, the let-go close says the new device's close unknown (its batch taken by it from the swap on); it
 * may have been the old device's, its batch taken by `old-2`, which kept the old device's sale as known, a mismatch
 * (without totals) that may not be there. `old-2` is looked for on its store day among the old device's closes dated
 * after the swap alone (`takerAmong`), and says its log side unknown.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

function fold(newAsked: 'while the swap waits' | 'after the split') {
  const log = closeLog(DAY);
  const { requested, completed, sale } = log;
  const { stuckEnded } = log.letGoBeforeSwap();
  sale('new', at('17:40:00'));
  if (newAsked === 'while the swap waits') requested('new-1', at('17:50:00'));
  // The stuck closes end without closing: the old device's last pending close ends at old-2's outcome.
  stuckEnded();
  completed('old-2', at('18:00:05'));
  if (newAsked === 'after the split') requested('new-1', at('18:10:00'));
  completed('new-1', at('18:10:05'), totals(1));
  completed('let-go', at('18:00:00'));
  return log.fold().storeDay('oslo', DAY)!;
}

describe('a close let go of, dated after a swap, heard of after a new device’s close that came after the old one', () => {
  it.each(['while the swap waits', 'after the split'] as const)(
    'the new close asked for %s, says the old close’s log side unknown on its store day',
    (newAsked) => {
      const day = fold(newAsked);
      expect(day.closes?.['let-go']).toMatchObject({ recordedUnknown: true, mismatch: true });
      expect(day.closes?.['old-2']).toMatchObject({ recordedUnknown: true, mismatch: true });
      expect(day.closes?.['old-2']).not.toHaveProperty('differences');
      expect(day.closes?.['new-1']).toMatchObject({ recorded: totals(1), recordedUnknown: true });
    },
  );
});

/**
 * The same, `old-2` for the next store day, and the let-go close's outcome heard of after a sale eleven days later:
 * `old-2`'s day is out of the memory's window then, and read back from KV for it (`TerminalCloses.losesBatch`):
 * not read back, it was not found there, and `old-2` kept its difference where a fold with every day in memory said
 * it unknown.
 */
describe('a close let go of, its possible taker on a store day out of memory', () => {
  it('reads that day back from KV and says the taker unknown there', async () => {
    const log = closeLog(DAY);
    const { requested, completed, sale } = log;
    const NEXT = '2026-11-25';
    const { stuckEnded } = log.letGoBeforeSwap(NEXT);
    sale('new', at('17:40:00'));
    stuckEnded();
    completed('old-2', at('18:00:05'), undefined, NEXT);
    requested('new-1', at('18:10:00'));
    completed('new-1', at('18:10:05'), totals(1));
    sale('later', Date.parse('2026-12-05T10:00:00Z'));
    completed('let-go', at('18:00:00'));
    const events = log.log.map((e, i) => ({ ...e, position: BigInt(i + 1) }));
    const kept = await documentsWritten(events, false);
    expect(kept[`store-day:oslo.${NEXT}`]).toMatchObject({ closes: { 'old-2': { recordedUnknown: true } } });
    expect(await documentsWritten(events, true)).toEqual(kept);
  });
});

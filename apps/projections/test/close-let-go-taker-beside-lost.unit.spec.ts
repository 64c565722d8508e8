import { closeLog, totals } from './support/close-log';

/**
 * Two closes let go of beyond the 50 kept pending while a device swap waits for the old device's closes, both dated
 * after the swap. The first heard of (`let-go-1`, at 18:12) lost its batch: the old device's `old-2`, dated after it,
 * took it (`lostBatch`), and it is on its store day said unknown with nothing of its own, naming no opening, but the
 * start of day its terminal gave (17:35). The second (`let-go-2`, at 17:45) may have been the new device's, its batch
 * (sale `a`) taken by `new-1`, which the terminal let go of past the bound (`keptApart`): it is looked for on the store
 * day (`takerAmong`). `let-go-1`, already unknown and compared with nothing, is no close's taker; by its start of day
 * it seemed to hold 17:45 too, later opened than `new-1`, and was found in its place: `new-1` kept a difference of
 * -1 purchase that may not be there.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

function twoLetGo(startOfDayAt?: string) {
  const log = closeLog(DAY);
  const { requested, completed, sale, enrolled } = log;
  enrolled('D-OLD', at('00:00:00'));
  sale('old', at('10:00:00'));
  requested('let-go-1', at('16:00:00'));
  requested('let-go-2', at('16:00:00'));
  for (let i = 0; i < 50; i++) requested(`stuck-${i}`, at('16:00:00'));
  requested('old-2', at('17:00:00'));
  enrolled('D-NEW', at('17:30:00'));
  sale('a', at('17:40:00'));
  requested('new-1', at('17:50:00'));
  // As the terminal counted it, sale a was let-go-2's (closed at 17:45): new-1 held none.
  completed('new-1', at('17:55:00'), totals(0));
  requested('new-2', at('18:00:00'));
  sale('b', at('18:05:00'));
  completed('new-2', at('18:10:00'), totals(1));
  for (let i = 0; i < 1_001; i++) sale(`p-${i}`, at('18:20:00') + i * 1_000);
  // The old device closed at 18:15 by Dintero: its batch opens there, after let-go-1's close.
  completed('old-2', at('18:15:00'), totals(1));
  const sod = startOfDayAt === undefined ? {} : { startOfDayAt: new Date(at(startOfDayAt)).toISOString() };
  completed('let-go-1', at('18:12:00'), { ...totals(0), ...sod });
  completed('let-go-2', at('17:45:00'), totals(1));
  return log.fold().storeDay('oslo', DAY)!;
}

describe('a close let go of while a swap waits, beside a close let go of that lost its batch', () => {
  it.each([
    ['with', '17:35:00'],
    ['without', undefined],
  ])(
    'says unknown the new close that may have taken its batch (the lost close %s a start of day)',
    (_, startOfDayAt) => {
      const day = twoLetGo(startOfDayAt);
      expect(day.closes?.['let-go-1']).toMatchObject({ recordedUnknown: true, recorded: totals(0) });
      expect(day.closes?.['let-go-2']).toMatchObject({ recordedUnknown: true, mismatch: true });
      expect(day.closes?.['new-1']).toMatchObject({ recordedUnknown: true, mismatch: true });
      expect(day.closes?.['new-1']).not.toHaveProperty('differences');
      // new-2's batch opened at new-1's close, after let-go-2's: it cannot have taken it.
      expect(day.closes?.['new-2']).toMatchObject({ recorded: totals(1), mismatch: false });
      expect(day.closes?.['new-2']).not.toHaveProperty('recordedUnknown');
    },
  );
});

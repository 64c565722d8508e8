import { closeLog, totals } from './support/close-log';

/**
 * A terminal's first close completed without totals (Dintero gave none), and a sale of its batch heard of only after
 * the next close. With no close before it (`openedAt`) and no start of day from the terminal
 * (`startOfDayAt`), the first close named no window, and the sale was dropped: counted in no close, the first close
 * showing no mismatch where its batch held a sale.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

describe('a sale heard of late, of a terminal’s first close completed without totals', () => {
  it('is counted in that close, which shows a mismatch, not in the next one', () => {
    const { requested, completed, sale, fold } = closeLog(DAY);
    requested('first', at('06:00:31'));
    completed('first', at('06:00:32'));
    requested('second', at('06:00:33'));
    completed('second', at('06:00:34'));
    // Made before the first close closed the batch, heard of after the second close.
    sale('late', at('06:00:00'));
    const day = fold().storeDay('oslo', DAY)!;
    expect(day.closes?.['first']).toMatchObject({ withoutTotals: true, recorded: totals(1), mismatch: true });
    expect(day.closes?.['second']).toMatchObject({ withoutTotals: true, recorded: totals(0), mismatch: false });
  });
});

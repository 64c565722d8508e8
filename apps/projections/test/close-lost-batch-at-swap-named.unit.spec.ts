import { closeLog, totals } from './support/close-log';

/**
 * A close let go of beyond the 50 kept pending while a device swap waits (`let-go`, dated 18:12, after the swap at
 * 17:30) whose outcome comes after the old device's `old-2` (18:15) took its batch: it lost its batch (`lostBatch`),
 * taken for the old device's, and the swap does not name it (`swappedWhileClosing.closes`), as the let-go close that
 * takes its batch is named (`letGoAtSwap`): the split leaves it out of the old device's closes dated after the swap
 * (`swappedOut.closedAfterSwap`). The start of day its terminal gave (17:50:01, a second after the new device's
 * `new-1`) seemed to hold a sale of the new device's at 17:55 heard of after the next close: later opened than the new
 * device's `new-2` (17:50), whose batch held it, it took it: `new-2` recorded one purchase fewer than its batch held,
 * and the lost close one of a batch it does not have.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

describe('a close let go of that lost its batch while a swap waits, dated after the swap', () => {
  it('takes no sale of the new device heard of after the split: the new close whose batch held it does', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale } = log;
    const { stuckEnded } = log.letGoBeforeSwap();
    requested('new-1', at('17:40:00'));
    completed('new-1', at('17:50:00'), totals(0));
    requested('new-2', at('18:00:00'));
    sale('b', at('18:05:00'));
    // new-2 closed with b and the sale at 17:55 heard of at the end.
    completed('new-2', at('18:25:00'), totals(2));
    completed('old-2', at('18:15:00'), totals(1));
    const startOfDayAt = new Date(at('17:50:01')).toISOString();
    completed('let-go', at('18:12:00'), { ...totals(0), startOfDayAt });
    stuckEnded();
    requested('new-3', at('19:00:00'));
    completed('new-3', at('19:05:00'), totals(0));
    sale('late', at('17:55:00'));
    const { close } = log.foldedDay();
    expect(close('let-go')).toMatchObject({ recordedUnknown: true, recorded: totals(0) });
    // new-2 is said unknown all the same: the let-go close may have been the new device's, its batch taken by new-2.
    expect(close('new-2')).toMatchObject({ recorded: totals(2), recordedUnknown: true });
  });
});

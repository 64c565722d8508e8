import { closeLog, totals } from './support/close-log';

/**
 * A close let go of beyond the 50 kept pending (`let-go`, closed at 16:30) whose outcome comes after a later close
 * (`c2`, at 17:05) took its batch: it lost its batch (`lostBatch`), on its store day said unknown with nothing of its
 * own, and names no opening, but the start of day its terminal gave: 11:59:58, two seconds before the close before it
 * (`x`, at 12:00) by Dintero's time, as a terminal's clock may be. A sale at 11:59:59 heard of after the next close
 * (`c3`) is x's: x opened earlier (00:05), and its terminal counted it. By its start of day the lost close seemed to
 * hold it too, later opened than x, and took it: x showed a difference of one purchase that is not there, and the lost
 * close a purchase of a batch it does not have.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

describe('a close that lost its batch, with a start of day', () => {
  it('takes no sale heard of late: the close whose batch held it does', () => {
    const log = closeLog(DAY);
    const { requested, completed, failed, sale } = log;
    requested('night-before', at('00:01:00'));
    completed('night-before', at('00:05:00'), totals(0));
    requested('let-go', at('11:00:00'));
    for (let i = 0; i < 50; i++) requested(`stuck-${i}`, at('11:00:00'));
    requested('x', at('11:55:00'));
    sale('a', at('11:30:00'));
    // x closed with a and the sale at 11:59:59 heard of at the end.
    completed('x', at('12:00:00'), totals(2));
    sale('b', at('13:00:00'));
    requested('c2', at('17:00:00'));
    completed('c2', at('17:05:00'), totals(0));
    const startOfDayAt = new Date(at('11:59:58')).toISOString();
    completed('let-go', at('16:30:00'), { ...totals(1), startOfDayAt });
    for (let i = 0; i < 50; i++) failed(`stuck-${i}`, at('17:10:00'));
    requested('c3', at('18:00:00'));
    completed('c3', at('18:05:00'), totals(0));
    sale('late', at('11:59:59'));
    const { close } = log.foldedDay();
    expect(close('x')).toMatchObject({ recorded: totals(2), mismatch: false });
    expect(close('x')).not.toHaveProperty('differences');
    expect(close('let-go')).toMatchObject({ recordedUnknown: true, recorded: totals(0) });
    expect(close('c2')).toMatchObject({ recordedUnknown: true, recorded: totals(1) });
  });
});

import { closeLog, totals } from './support/close-log';

/**
 * Found by close-past-bound-oracle (seed 3, 1,000 runs), reduced. A device swap waits for the old device's close; the
 * new device's first close is let go of beyond the 50 kept pending, and its second close, ended meanwhile, took its
 * batch from the swap on (its own and the first's sales). The first's outcome then comes, dated after the swap: taken
 * for the old device's (it may be either's), it took nothing back from the second close, which kept the first's sale
 * as known: 2 purchases against the terminal's 1, a difference that is not there.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

describe('a close let go of while a swap waits, dated after it, before a close of the new device', () => {
  it('says that close’s log side unknown, which may have taken its batch', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    requested('old-1', at('06:00:31'));
    enrolled('D-NEW', at('06:00:32'));
    requested('new-1', at('06:00:32'));
    sale('a', at('06:00:33'));
    requested('new-2', at('06:00:33'));
    sale('b', at('06:00:34'));
    completed('new-2', at('06:00:34'), totals(1));
    // 50 closes that never end: old-1 and new-1 are let go of.
    for (let i = 0; i < 50; i++) requested(`stuck-${i}`, at('06:00:35'));
    completed('new-1', at('06:00:33'));
    const day = log.fold().storeDay('oslo', DAY)!;
    expect(day.closes?.['new-1']).toMatchObject({ recordedUnknown: true, mismatch: true });
    expect(day.closes?.['new-2']).toMatchObject({ recordedUnknown: true, mismatch: true });
    expect(day.closes?.['new-2']).not.toHaveProperty('differences');
  });
});

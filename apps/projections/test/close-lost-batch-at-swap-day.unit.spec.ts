import { closeLog, totals } from './support/close-log';

/**
 * Found in review of the taker's search (close-lost-batch-at-swap.unit). Three closes of the old device pending at a
 * device swap, all dated by Dintero after it (cut at the swap), the earliest one's outcome last; the new device's close
 * ended meanwhile. Past the 1,000 facts kept with their times, the closes ended meanwhile are let go of but for the old
 * device's latest (`old-b`, the last close) and the new device's (`new-1`); the earliest old close's outcome then finds
 * its batch taken (`lostBatch`), and its taker (`old-a`, which the terminal no longer holds) is looked for on its store
 * day (`lostAt`, `TerminalCloses.countInOlderClose`). There it was looked for by time alone: the old device's closes
 * dated after the swap were left out (`swappedOutCloses`, meant for a fact after the swap), and of those left the new
 * device's close opened latest, so it was said unknown, where its record is its own sale, and `old-a` kept the old
 * device's sale of `old-c`'s batch as known, a mismatch (without totals) that is not there. It is looked for among the
 * lost close's device's closes there too (`LostSwap`, `notTakers`).
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

describe('the earliest of three old closes cut at a swap, heard of last, past the bound, its taker let go of', () => {
  it('says the old close that took its batch unknown on its store day, not the new device’s close', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    sale('old', at('10:00:00'));
    requested('old-a', at('17:00:00'));
    requested('old-b', at('17:01:00'));
    requested('old-c', at('17:02:00'));
    enrolled('D-NEW', at('17:30:00'));
    sale('new', at('17:40:00'));
    requested('new-1', at('17:50:00'));
    completed('old-a', at('18:00:02'));
    completed('old-b', at('18:00:03'));
    completed('new-1', at('18:00:05'), totals(1));
    for (let i = 0; i < 1_001; i++) sale(`p-${i}`, at('18:10:00') + i * 1_000);
    completed('old-c', at('18:00:00'));
    const day = log.fold().storeDay('oslo', DAY)!;
    expect(day.closes?.['old-c']).toMatchObject({ recordedUnknown: true, mismatch: true });
    expect(day.closes?.['old-a']).toMatchObject({ recordedUnknown: true, mismatch: true });
    expect(day.closes?.['old-b']).toMatchObject({ recorded: totals(0), mismatch: false });
    expect(day.closes?.['new-1']).toMatchObject({ recorded: totals(1), mismatch: false });
    expect(day.closes?.['new-1']).not.toHaveProperty('recordedUnknown');
  });
});

import { closeLog, totals } from './support/close-log';

/**
 * Found by close-past-bound-oracle (seed 1, 1,000 runs). Two closes of the old device pending at a device swap, both
 * dated by Dintero after it (so both cut at the swap), the later one's outcome first, and the new device's close ended
 * meanwhile at the same instant. Past the 1,000 facts kept with their times, the closes ended meanwhile are let go
 * of; the earlier old close's outcome then finds its batch taken (`lostBatch`). The taker is the later old close
 * (`old-2`). Looked for after the split at the swap (`closeEnded`), by time alone among closes of both devices, it was
 * the new device's close, said unknown (whose record was its own sale), and `old-2` kept the old device's sale of
 * `old-1`'s batch as known, a mismatch (without totals) that is not there. `takerUnknown` looks for it before the split,
 * among the lost close's device's closes (`ofDevice`).
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

describe('the earlier of two old closes cut at a swap, heard of last, past the bound', () => {
  it('says the later old close’s log side unknown, not the new device’s close', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    sale('old', at('10:00:00'));
    requested('old-1', at('17:00:00'));
    requested('old-2', at('17:01:00'));
    enrolled('D-NEW', at('17:30:00'));
    sale('new', at('17:40:00'));
    requested('new-1', at('17:50:00'));
    // Both old closes dated after the swap, old-2 after old-1; old-2's outcome and the new device's come first.
    completed('old-2', at('18:00:01'));
    completed('new-1', at('18:00:01'), totals(1));
    for (let i = 0; i < 1_001; i++) sale(`p-${i}`, at('18:10:00') + i * 1_000);
    completed('old-1', at('18:00:00'));
    const day = log.fold().storeDay('oslo', DAY)!;
    expect(day.closes?.['old-1']).toMatchObject({ recordedUnknown: true, mismatch: true });
    expect(day.closes?.['old-2']).toMatchObject({ recordedUnknown: true, mismatch: true });
    expect(day.closes?.['new-1']).toMatchObject({ recorded: totals(1), mismatch: false });
    expect(day.closes?.['new-1']).not.toHaveProperty('recordedUnknown');
  });
});

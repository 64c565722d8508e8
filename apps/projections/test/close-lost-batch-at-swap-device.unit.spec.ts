import { closeLog, totals } from './support/close-log';

/**
 * As close-lost-batch-at-swap-day, Dintero's clock some seconds behind the engine's: three closes of the old device
 * pending at the swap (17:30:00 by the engine's clock), all dated before it, the earliest one's outcome last; two
 * closes of the new device, asked for after the swap, are dated before it too (17:29:50, 17:29:59), the second's batch
 * opened at the first. Past the 1,000 facts kept with their times, `old-a` is let go of; the earliest old close
 * (`old-c`, 17:29:55) then finds its batch taken, and its taker is looked for on its store day (`notTakers`). By the
 * instants alone the new device's closes were those dated after the swap: `new-2`, dated before it, whose batch held
 * the cut by its window, was taken for the taker and said unknown (its own sale, a match), where `old-a` kept the old
 * device's sale of `old-c`'s batch as known. `new-2` was sent to the new device: it is not the old close's taker.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

describe('an old close cut before a swap, heard of last, past the bound, the new device’s closes dated before the swap', () => {
  it('says the old close that took its batch unknown on its store day, not the new device’s close', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    sale('old', at('10:00:00'), 'D-OLD');
    requested('old-a', at('17:00:00'));
    requested('old-b', at('17:01:00'));
    requested('old-c', at('17:02:00'));
    enrolled('D-NEW', at('17:30:00'));
    requested('new-1', at('17:30:10'));
    requested('new-2', at('17:30:20'));
    completed('old-a', at('17:29:56'));
    completed('old-b', at('17:29:57'));
    completed('new-1', at('17:29:50'), totals(0));
    sale('new', at('17:29:52'), 'D-NEW');
    completed('new-2', at('17:29:59'), totals(1));
    for (let i = 0; i < 1_001; i++) sale(`p-${i}`, at('18:10:00') + i * 1_000, 'D-NEW');
    completed('old-c', at('17:29:55'));
    const day = log.fold().storeDay('oslo', DAY)!;
    expect(day.closes?.['old-c']).toMatchObject({ recordedUnknown: true, batchLost: true });
    expect(day.closes?.['old-a']).toMatchObject({ recordedUnknown: true, mismatch: true });
    expect(day.closes?.['new-2']).toMatchObject({ device: 'D-NEW', recorded: totals(1), mismatch: false });
    expect(day.closes?.['new-2']).not.toHaveProperty('recordedUnknown');
    expect(day.closes?.['new-1']).toMatchObject({ recorded: totals(0), mismatch: false });
  });
});

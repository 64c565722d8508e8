import { closeLog, totals } from './support/close-log';

/**
 * The old device's closes pending at a device swap, dated by Dintero after it, that ended while another close of the
 * old device still pended, and were let go of from the list of closes ended meanwhile when the batch passed the bound
 * of what it keeps while closes pend (`withinKeptBound`): the latest stays the terminal's last close, the others are
 * on their store days alone. When the swap is split, all of them are the swapped-out device's closes dated after the
 * swap (`closedAfterSwap`): a fact after the swap is none of theirs, and a close let go of beyond the 50 kept pending,
 * dated after the swap and taken for the new device's, may have had its batch taken by one of them
 * (`letGoTaker`). The split named only the one the terminal still held (its last close): the new device's sale was
 * counted in old-1 on its store day, and old-1 kept a difference made of a sale a let-go close may have taken.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

describe('the old device’s closes dated after a swap, let go of past the bound before the split', () => {
  it.each(['before', 'after'] as const)(
    'leaves a new device’s sale heard of late to the new device’s close (old-2 closed %s the bound)',
    (old2) => {
      const log = closeLog(DAY);
      const { requested, completed, failed, sale, sales, enrolled } = log;
      enrolled('D-OLD', at('00:00:00'));
      sale('old', at('10:00:00'));
      for (const id of ['old-0', 'old-1', 'old-2', 'old-3']) requested(id, at('17:00:00'));
      enrolled('D-NEW', at('17:30:00'));
      // The old device closes three times after the swap (by Dintero), its sale in the first; old-3 still pends.
      completed('old-0', at('17:35:00'), totals(1));
      completed('old-1', at('17:45:00'), totals(0));
      // The new device's sales pass the bound: the old closes ended until then are let go of from the list, the latest
      // the last close. After the bound, old-2 then takes the last close's place from old-1, which is held no more.
      if (old2 === 'before') completed('old-2', at('17:50:00'), totals(0));
      sales('new', at('18:00:00'), 1_000);
      if (old2 === 'after') completed('old-2', at('17:50:00'), totals(0));
      failed('old-3', at('19:00:00'));
      requested('new-1', at('19:30:00'));
      completed('new-1', at('19:30:05'), totals(1_001));
      requested('new-2', at('20:00:00'));
      completed('new-2', at('20:00:05'), totals(0));
      // A sale of the new device at 17:40 (between old-0 and old-1, after the swap), heard of after both its closes.
      sale('late', at('17:40:00'));
      const { terminal, close } = log.foldedDay();
      expect(close('old-1')).toMatchObject({ recorded: totals(0), mismatch: false });
      expect(close('new-1')).toMatchObject({ recorded: totals(1_001), mismatch: false });
      expect(close('old-1')).not.toHaveProperty('differences');
      expect(close('new-1')).not.toHaveProperty('differences');
      // The swapped-out device's closes dated after the swap: all three, not only the last close.
      expect(terminal.swappedOut?.[new Date(at('17:30:00')).toISOString()]?.closedAfterSwap?.slice().sort()).toEqual([
        'old-0',
        'old-1',
        'old-2',
      ]);
    },
  );

  it('says unknown the old close that may have taken the batch of a let-go close heard of after the split', () => {
    const log = closeLog(DAY);
    const { requested, completed, failed, sale, sales, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    sale('old', at('10:00:00'));
    // 51 closes pending: let-go is let go of beyond the 50 kept; then the old device's closes, pending at the swap.
    requested('let-go', at('16:00:00'));
    for (let i = 0; i < 50; i++) requested(`stuck-${i}`, at('16:00:00'));
    requested('old-1', at('17:00:00'));
    requested('old-2', at('17:00:00'));
    enrolled('D-NEW', at('17:30:00'));
    // Had let-go been the old device's close (at 17:40, by Dintero), it took the old device's sale: old-1 held none.
    completed('old-1', at('17:45:00'), totals(0));
    completed('old-2', at('17:50:00'), totals(0));
    // The new device's sales pass the bound: old-1 is let go of from the list, old-2 is the last close.
    sales('new', at('18:00:00'), 1_000);
    for (let i = 0; i < 50; i++) failed(`stuck-${i}`, at('19:00:00'));
    completed('let-go', at('17:40:00'), totals(1));
    const { close } = log.foldedDay();
    expect(close('let-go')).toMatchObject({ recordedUnknown: true, mismatch: true });
    // It may have taken old-1's batch: old-1 was compared with the old device's sale, a difference that may not be.
    expect(close('old-1')).toMatchObject({ recordedUnknown: true, mismatch: true });
    expect(close('old-1')).not.toHaveProperty('differences');
    // old-2's batch opened at old-1's close, after let-go's: it cannot have taken it.
    expect(close('old-2')).toMatchObject({ recorded: totals(0), mismatch: false });
    expect(close('old-2')).not.toHaveProperty('recordedUnknown');
  });
});

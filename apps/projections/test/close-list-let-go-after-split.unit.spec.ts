import { documentProblem } from '../src/read-models/document-schemas';
import { closeLog, totals } from './support/close-log';

/**
 * A device swap split once the old device's close ended, the new device's closes still pending; two of them end while
 * another pends (`closedWhileClosing`), and the new device's sales then pass the bound of what the batch keeps while
 * closes pend (`withinKeptBound`): the list is let go of, the latest close the terminal's last, the other on its store
 * day alone. Each close's figures, on its store day and on the terminal, as a person reading the events would give
 * them: each close holds the sales between the close before it and itself, the old device's none after the swap, and
 * where the fold cannot tell (a close whose batch a close after it took, their sales' times let go of) it says so.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);
const iso = (time: string) => new Date(at(time)).toISOString();

/**
 * That log folded, its documents valid by the schema; with `letGo`, a close asked for at 16:00 and let go of beyond
 * the 50 kept pending (`let-go`, 50 closes that never close asked for after it, failing after the swap), dated 17:47
 * and heard of last.
 */
function folded(letGo: boolean) {
  const log = closeLog(DAY);
  const { requested, completed, failed, sale, sales, enrolled } = log;
  enrolled('D-OLD', at('00:00:00'));
  sale('old', at('10:00:00'));
  if (letGo) {
    requested('let-go', at('16:00:00'));
    for (let i = 0; i < 50; i++) requested(`stuck-${i}`, at('16:00:00'));
  }
  requested('old-1', at('17:00:00'));
  enrolled('D-NEW', at('17:30:00'));
  for (const id of ['new-1', 'new-2', 'new-3']) requested(id, at('17:40:00'));
  if (letGo) for (let i = 0; i < 50; i++) failed(`stuck-${i}`, at('17:41:00'));
  sale('a', at('17:45:00'));
  // The old device's close, dated after the swap, takes its sale: the swap is split, the new device's closes pend.
  completed('old-1', at('17:50:00'), totals(1));
  // new-1 closed at 17:55 (with `a`, and `late-new` heard of at the end), new-2 at 18:00 with nothing; new-2's
  // outcome comes first, and it is compared with `a` until new-1's comes.
  completed('new-2', at('18:00:00'), totals(0));
  sale('b', at('18:05:00'));
  completed('new-3', at('18:10:00'), totals(2));
  // Past the bound: new-2 is let go of from the list, new-3 (the latest) is the terminal's last close.
  sales('bulk', at('18:20:00'), 1_000);
  // new-3's sale heard of late: in its batch, from new-2's close to its own.
  sale('late', at('18:07:00'));
  completed('new-1', at('17:55:00'), totals(2));
  requested('new-4', at('19:00:00'));
  completed('new-4', at('19:00:05'), totals(1_000));
  // A sale of the new device after the swap, before old-1's close: new-1's, never the old device's close.
  sale('late-new', at('17:48:00'));
  if (letGo) completed('let-go', at('17:47:00'), totals(1));
  const projector = log.fold();
  const terminal = projector.terminal('oslo', 'T-1')!;
  expect(documentProblem('terminal', terminal)).toBeUndefined();
  const day = projector.storeDay('oslo', DAY)!;
  expect(documentProblem('store-day', day)).toBeUndefined();
  return { terminal, day, close: (id: string) => day.closes?.[id] };
}

describe('the list of closes ended meanwhile let go of past the bound after the split at a swap', () => {
  it('gives each close its own sales, and says unknown the one whose batch a close after it took', () => {
    const { terminal, day, close } = folded(false);
    expect(close('old-1')).toMatchObject({ recorded: totals(1), mismatch: false });
    expect(close('old-1')).not.toHaveProperty('recordedUnknown');
    // new-1 finds its batch taken (new-2's list entry, with the times, let go of): nothing of its own, unknown; and
    // new-2, its taker, compared with `a`, says it cannot tell (it is -1 on the terminal's figures, or it is not).
    for (const id of ['new-1', 'new-2']) {
      expect(close(id)).toMatchObject({ recordedUnknown: true, mismatch: true });
      expect(close(id)).not.toHaveProperty('differences');
    }
    expect(close('new-1')).toMatchObject({ recorded: totals(0) });
    expect(close('new-3')).toMatchObject({ recorded: totals(2), openedAt: iso('18:00:00'), mismatch: false });
    expect(close('new-3')).not.toHaveProperty('recordedUnknown');
    expect(close('new-4')).toMatchObject({ recorded: totals(1_000), openedAt: iso('18:10:00'), mismatch: false });
    expect(close('new-4')).not.toHaveProperty('recordedUnknown');
    expect(day.closeMismatches).toBe(2);

    // The terminal: new-4 its last close, its batch empty and closing nothing, the old device's batch swapped out empty
    // from old-1's close, which alone of its closes Dintero dated after the swap.
    expect(terminal.lastClose).toEqual(close('new-4'));
    expect(terminal.openBatch).toEqual({ ...totals(0), since: iso('19:00:05') });
    expect(terminal.swappedOut).toEqual({
      [iso('17:30:00')]: { ...totals(0), device: 'D-OLD', since: iso('17:50:00'), closedAfterSwap: ['old-1'] },
    });
    expect(terminal).not.toHaveProperty('closesLetGo');
  });

  it('says unknown the closes a let-go close heard of last may have taken from, the others as they were', () => {
    const { terminal, day, close } = folded(true);
    // Dated 17:47, after the swap: the old device's (old-1's batch then taken by it) or the new device's (new-1's or
    // new-2's); which, and what it held, the fold cannot tell. Its own sale is in no batch the fold knows.
    expect(close('let-go')).toMatchObject({ recordedUnknown: true, mismatch: true });
    for (const id of ['old-1', 'new-1', 'new-2']) {
      expect(close(id)).toMatchObject({ recordedUnknown: true, mismatch: true });
      expect(close(id)).not.toHaveProperty('differences');
    }
    // The closes after it held none of its batch: as without it.
    expect(close('new-3')).toMatchObject({ recorded: totals(2), mismatch: false });
    expect(close('new-3')).not.toHaveProperty('recordedUnknown');
    expect(close('new-4')).toMatchObject({ recorded: totals(1_000), mismatch: false });
    expect(close('new-4')).not.toHaveProperty('recordedUnknown');
    expect(day.closeMismatches).toBe(4);
    expect(terminal.lastClose).toEqual(close('new-4'));
    expect(terminal.openBatch).toEqual({ ...totals(0), since: iso('19:00:05') });
    expect(terminal.closesLetGo).toBe(true);
  });
});

import { documentProblem } from '../src/read-models/document-schemas';
import { closeLog, totals } from './support/close-log';

/**
 * A device swap waits for the old device's close (`old-3`); the old device closes three times meanwhile, Dintero dating
 * each after the swap, and the new device twice (`new-1`, with the 1,000 sales after the swap, then `new-2`). Past the
 * 1,000 facts kept while closing (`keptApart`), the terminal keeps the old device's latest close (`old-2`, its last)
 * and the new device's latest (`new-2`): `old-0`, `old-1` and `new-1` are on their store days alone. A sale of the new
 * device after the swap, heard of late while the swap still waits, is counted on its store day in the close whose
 * batch held it (`countInOlderClose`): the new device's `new-1`, never an old close whose batch Dintero dated after the
 * swap (those are cut at the swap). Unexcluded, the old close's window (opened after the swap, later than `new-1`'s)
 * won: it was counted in `old-1` or `old-2` on the store day (where the terminal's copy of `old-2` said otherwise), and
 * `new-1` showed a difference that was not there, before the split and after it.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

/** `count` sales of `prefix`, a second apart from `from`. */
function sales(sale: (id: string, when: number) => void, prefix: string, from: number, count: number): void {
  for (let i = 0; i < count; i++) sale(`${prefix}-${i}`, from + i * 1_000);
}

/** The log up to the late sale at `lateAt`, the swap still waiting for `old-3`. */
function waitingLog(lateAt: string) {
  const log = closeLog(DAY);
  const { requested, completed, sale, enrolled } = log;
  enrolled('D-OLD', at('00:00:00'));
  sale('old', at('10:00:00'));
  for (const id of ['old-0', 'old-1', 'old-2', 'old-3']) requested(id, at('17:00:00'));
  enrolled('D-NEW', at('17:30:00'));
  completed('old-0', at('17:35:00'), totals(1));
  completed('old-1', at('17:45:00'), totals(0));
  completed('old-2', at('17:50:00'), totals(0));
  sales(sale, 'new', at('18:00:00'), 1_000);
  requested('new-1', at('19:30:00'));
  completed('new-1', at('19:30:05'), totals(1_001));
  requested('new-2', at('20:00:00'));
  completed('new-2', at('20:00:05'), totals(0));
  // Past the bound again: the old device's closes but its latest, and the new device's but its latest, let go of.
  sales(sale, 'more', at('20:10:00'), 1_000);
  sale('late', at(lateAt));
  return log;
}

/** The log folded, its documents valid by the schema: the terminal, and the store day's close `id`. */
function folded(log: ReturnType<typeof closeLog>) {
  const projector = log.fold();
  const terminal = projector.terminal('oslo', 'T-1')!;
  expect(documentProblem('terminal', terminal)).toBeUndefined();
  const day = projector.storeDay('oslo', DAY)!;
  expect(documentProblem('store-day', day)).toBeUndefined();
  return { terminal, close: (id: string) => day.closes?.[id] };
}

describe('a new device’s sale heard of late while a swap waits, the closes that held it let go of past the bound', () => {
  it.each([
    ['17:40:00', 'old-1', 'let go of'],
    ['17:47:00', 'old-2', 'the terminal’s last close'],
  ])('counts a sale at %s in new-1, not in %s (%s)', (lateAt, old) => {
    const log = waitingLog(lateAt);
    const waiting = folded(log);
    expect(waiting.terminal.openBatch?.swappedWhileClosing).toBeDefined();
    expect(waiting.close(old)).toMatchObject({ recorded: totals(0), mismatch: false });
    expect(waiting.close(old)).not.toHaveProperty('differences');
    expect(waiting.close('new-1')).toMatchObject({ recorded: totals(1_001), mismatch: false });
    expect(waiting.close('new-1')).not.toHaveProperty('differences');
    // The store day and the terminal give old-2 the same figures.
    expect(waiting.terminal.lastClose).toEqual(waiting.close('old-2'));

    // The swap split: as it was.
    log.failed('old-3', at('21:00:00'));
    const split = folded(log);
    expect(split.terminal.openBatch?.swappedWhileClosing).toBeUndefined();
    expect(split.close(old)).toMatchObject({ recorded: totals(0), mismatch: false });
    expect(split.close('new-1')).toMatchObject({ recorded: totals(1_001), mismatch: false });
    expect(split.close('new-1')).not.toHaveProperty('differences');
  });
});

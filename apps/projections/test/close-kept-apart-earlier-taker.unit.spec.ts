import { closeLog, totals } from './support/close-log';
import { kvFold } from './support/kv-fold';

/**
 * A device swap waits for the old device's close (`old-2`, `letGoBeforeSwap`); the new device closes twice meanwhile
 * (`new-1`, which took sale `a`, then `new-2`), and past the 1,000 facts kept with their times (`keptApart`) the
 * terminal keeps the new device's latest close (`new-2`) alone: `new-1` is then on its store day only. A close let go
 * of beyond the 50 kept pending, dated after the swap and before `new-1` (`let-go`), may have been the new device's,
 * its batch (sale `a`) taken by `new-1`, which kept that sale as its own: a difference that may not be there. Looked
 * for among the closes the terminal holds alone, no taker was found and `new-1` kept it. It is looked for on its store
 * day among the new device's closes (`takerAmong` with the swap, `notTakers`), as when its taker was the old device's
 * close after the split (close-let-go-after-new-close.unit).
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

function letGoLog(new1Day = DAY) {
  const log = closeLog(DAY);
  const { requested, completed, sale } = log;
  log.letGoBeforeSwap();
  sale('a', at('17:40:00'));
  requested('new-1', at('17:50:00'));
  // As the terminal counted it, sale a was the let-go close's (closed at 17:45): new-1 held none.
  completed('new-1', at('17:55:00'), totals(0), new1Day);
  requested('new-2', at('18:00:00'));
  sale('b', at('18:05:00'));
  completed('new-2', at('18:10:00'), totals(1));
  for (let i = 0; i < 1_001; i++) sale(`p-${i}`, at('18:20:00') + i * 1_000);
  return log;
}

describe('a close let go of while a swap waits, dated after it, its taker an earlier new close let go of past the bound', () => {
  it('says that new close’s log side unknown on its store day', () => {
    const log = letGoLog();
    log.completed('let-go', at('17:45:00'));
    const day = log.fold().storeDay('oslo', DAY)!;
    expect(day.closes?.['let-go']).toMatchObject({ recordedUnknown: true, mismatch: true });
    expect(day.closes?.['new-1']).toMatchObject({ recordedUnknown: true, mismatch: true });
    expect(day.closes?.['new-1']).not.toHaveProperty('differences');
    expect(day.closes?.['new-2']).toMatchObject({ recorded: totals(1), mismatch: false });
    expect(day.closes?.['new-2']).not.toHaveProperty('recordedUnknown');
  });

  it('reads new-1’s store day back from KV when it is out of memory', async () => {
    const NEXT = '2026-11-25';
    const log = letGoLog(NEXT);
    // Eleven days on: NEXT leaves the projector's memory (`DAYS_KEPT`).
    log.sale('later', Date.parse('2026-12-05T10:00:00Z'));
    log.completed('let-go', at('17:45:00'));
    const events = log.log.map((e, i) => ({ ...e, position: BigInt(i + 1) }));
    const { projector, apply, day } = kvFold(events);
    await apply(events.slice(0, -1));
    projector.retirePastDays(events.at(-2)!.position);
    expect(projector.storeDay('oslo', NEXT)).toBeUndefined();
    await apply(events.slice(-1));
    expect(day('oslo', NEXT)?.closes?.['new-1']).toMatchObject({ recordedUnknown: true, mismatch: true });
    expect(day('oslo', NEXT)).toEqual(log.fold().storeDay('oslo', NEXT));
    // Some 3 s: KV takes a copy of the terminal, its 1,000 facts kept with their times, at each event.
  }, 30_000);
});

/**
 * The same past the bound, the new device's close that lost its batch pending, not let go of (`new-0`, closed before
 * `new-1`, its outcome heard of last): `new-1` took its sale, and is looked for on its store day (`lostSwap`).
 */
describe('a new close pending while a swap waits, its batch taken by an earlier new close let go of past the bound', () => {
  it('says that new close’s log side unknown on its store day', () => {
    const log = closeLog(DAY);
    const { requested, completed, sale, enrolled } = log;
    enrolled('D-OLD', at('00:00:00'));
    sale('old', at('10:00:00'));
    requested('old-1', at('17:00:00'));
    enrolled('D-NEW', at('17:30:00'));
    sale('a', at('17:40:00'));
    requested('new-0', at('17:41:00'));
    requested('new-1', at('17:50:00'));
    completed('new-1', at('17:55:00'), totals(0));
    requested('new-2', at('18:00:00'));
    sale('b', at('18:05:00'));
    completed('new-2', at('18:10:00'), totals(1));
    for (let i = 0; i < 1_001; i++) sale(`p-${i}`, at('18:20:00') + i * 1_000);
    completed('new-0', at('17:45:00'), totals(1));
    const day = log.fold().storeDay('oslo', DAY)!;
    expect(day.closes?.['new-0']).toMatchObject({ recordedUnknown: true, mismatch: true });
    expect(day.closes?.['new-1']).toMatchObject({ recordedUnknown: true, mismatch: true });
    expect(day.closes?.['new-1']).not.toHaveProperty('differences');
    expect(day.closes?.['new-2']).toMatchObject({ recorded: totals(1), mismatch: false });
  });
});

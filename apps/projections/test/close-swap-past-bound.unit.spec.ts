import { closeLog, totals } from './support/close-log';

/**
 * The bound of what a batch keeps while closes pend (1,000 facts with times) reached while a device swap waits for the
 * old device's close: `withinKeptBound` forgets the swap, and both devices share the batch. The old device's close
 * failing then leaves its sales in the batch the new device's close is compared with. With 900 sales (the swap kept) the
 * same scenario compares the new device's close exactly.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

describe('the bound reached while a device swap waits for the old device’s close, which then fails', () => {
  // A known open case, not fixed: the new device's close is compared with the old device's sale too (differences
  // {purchasesCount: -1, purchasesAmount: -100}, made up). `it.failing` until it is; then jest fails it here: make it `it`.
  it.failing('compares the new device’s close with the new device’s sales alone', () => {
    const { requested, completed, failed, sale, enrolled, fold } = closeLog(DAY);
    enrolled('D-OLD', at('00:00'));
    sale('old', at('10:00'));
    requested('old-close', at('17:00'));
    // The old device is swapped out while its close pends; the new one sells more than the batch keeps with times.
    enrolled('D-NEW', at('17:30'));
    for (let i = 0; i < 1_001; i++) sale(`new-${i}`, at('17:40') + i * 1_000);
    // The old device's close never closed its batch: the sale at 10:00 is the old device's, in no close of the engine.
    failed('old-close', at('18:00'));
    requested('new-close', at('19:00'));
    completed('new-close', at('19:00') + 30_000, totals(1_001));
    const close = fold().storeDay('oslo', DAY)!.closes?.['new-close'];
    expect(close).not.toHaveProperty('differences');
    expect(close).toMatchObject({ recorded: totals(1_001), mismatch: false });
  });
});

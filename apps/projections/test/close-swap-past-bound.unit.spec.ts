import type { RecordedEvent } from '@app/event-store';
import { logOfEvents } from '../../../test/support/recorded-events';
import { terminalCloseEvents } from '../../../test/support/terminal-close-events';
import { ReadModelProjector } from '../src/read-models/read-model.projector';

/**
 * The bound of what a batch keeps while closes pend (1,000 facts with times) reached while a device swap waits for the
 * old device's close: `withinKeptBound` forgets the swap, and both devices share the batch. The old device's close
 * failing then leaves its sales in the batch the new device's close is compared with. With 900 sales (the swap kept) the
 * same scenario compares the new device's close exactly.
 */
const DAY = '2026-11-24';
const iso = (ms: number) => new Date(ms).toISOString();
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);
const totals = (purchasesCount: number) => ({
  purchasesCount,
  purchasesAmount: purchasesCount * 100,
  reversalsCount: 0,
  reversalsAmount: 0,
});

function aLog() {
  const close = terminalCloseEvents(logOfEvents());
  const log: RecordedEvent[] = [close.storeRegistered(iso(at('00:00'))), close.terminalRegistered(iso(at('00:00')))];
  const requested = (operationId: string, when: number) =>
    log.push(
      close.requested(operationId, {
        requestedBy: 'operator',
        requestedAt: iso(when),
        expiresAt: iso(when + 900_000),
        businessDay: DAY,
      }),
    );
  const completed = (operationId: string, closedAt: number, purchases: number) =>
    log.push(
      close.completed(operationId, {
        at: iso(closedAt + 1_000),
        dinteroAt: iso(closedAt),
        batch: { batchId: operationId, ...totals(purchases) },
        businessDay: DAY,
      }),
    );
  const failed = (operationId: string, when: number) =>
    log.push(close.failed(operationId, { at: iso(when), businessDay: DAY }));
  const sale = (paymentId: string, when: number) => log.push(...close.sale(paymentId, iso(when)));
  const enrolled = (device: string, when: number) => log.push(close.enrolled(device, iso(when)));
  const fold = () => {
    const projector = new ReadModelProjector();
    for (const each of log) projector.apply(each);
    return projector;
  };
  return { requested, completed, failed, sale, enrolled, fold };
}

describe('the bound reached while a device swap waits for the old device’s close, which then fails', () => {
  // A known open case, not fixed: the new device's close is compared with the old device's sale too (differences
  // {purchasesCount: -1, purchasesAmount: -100}, made up). `it.failing` until it is; then jest fails it here: make it `it`.
  it.failing('compares the new device’s close with the new device’s sales alone', () => {
    const { requested, completed, failed, sale, enrolled, fold } = aLog();
    enrolled('D-OLD', at('00:00'));
    sale('old', at('10:00'));
    requested('old-close', at('17:00'));
    // The old device is swapped out while its close pends; the new one sells more than the batch keeps with times.
    enrolled('D-NEW', at('17:30'));
    for (let i = 0; i < 1_001; i++) sale(`new-${i}`, at('17:40') + i * 1_000);
    // The old device's close never closed its batch: the sale at 10:00 is the old device's, in no close of the engine.
    failed('old-close', at('18:00'));
    requested('new-close', at('19:00'));
    completed('new-close', at('19:00') + 30_000, 1_001);
    const close = fold().storeDay('oslo', DAY)!.closes?.['new-close'];
    expect(close).not.toHaveProperty('differences');
    expect(close).toMatchObject({ recorded: totals(1_001), mismatch: false });
  });
});

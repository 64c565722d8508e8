import type { RecordedEvent } from '@app/event-store';
import { logOfEvents } from '../../../test/support/recorded-events';
import { terminalCloseEvents } from '../../../test/support/terminal-close-events';
import { ReadModelProjector } from '../src/read-models/read-model.projector';

/**
 * Two end-of-day closes of a terminal pending at once (the nightly close, and one by hand a minute later), their
 * outcomes slow to come while the terminal takes more sales than the batch keeps with their times while closes pend
 * (1,000: `MAX_COUNTED_WHILE_CLOSING`). The first completes with the terminal's totals, the second without (Dintero gave
 * no result): the second closed the batch all the same, and is listed on its store day as a close without totals, the
 * terminal pending on it no more. Where, past the bound, the batch forgot which closes pended, and the second close,
 * with no totals to take it for a close by, was dropped: on no store day, and the batch still open to the next close.
 */
const DAY = '2026-11-24';
const iso = (ms: number) => new Date(ms).toISOString();
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);
const SALES = 1_001;

function theLog(): RecordedEvent[] {
  const close = terminalCloseEvents(logOfEvents());
  const requested = (operationId: string, requestedAt: number, requestedBy: string) =>
    close.requested(operationId, {
      requestedBy,
      requestedAt: iso(requestedAt),
      expiresAt: iso(requestedAt + 900_000),
      businessDay: DAY,
    });
  // Every outcome reaches the log at 23:59, long after the terminal closed (`dinteroAt`).
  const completed = (operationId: string, closedAt: number, batch?: Record<string, unknown>) =>
    close.completed(operationId, { at: iso(at('23:59')), dinteroAt: iso(closedAt), batch, businessDay: DAY });
  const sale = (paymentId: string, when: number) => close.sale(paymentId, iso(when));
  const log: RecordedEvent[] = [
    close.storeRegistered(iso(at('00:00'))),
    close.terminalRegistered(iso(at('00:00'))),
    ...sale('before', at('10:00')),
    requested('nightly', at('17:00'), 'nightly-close'),
    requested('by-hand', at('17:01'), 'operator'),
  ];
  // After both closes closed the terminal's batch (17:00:30 and 17:01:30 by the terminal), before their outcomes came.
  for (let i = 0; i < SALES; i++) log.push(...sale(`p-${i}`, at('17:02') + i * 1_000));
  log.push(
    completed('nightly', at('17:00') + 30_000, {
      batchId: 'nightly',
      purchasesCount: 1,
      purchasesAmount: 100,
      reversalsCount: 0,
      reversalsAmount: 0,
    }),
    completed('by-hand', at('17:01') + 30_000),
  );
  return log;
}

describe('a second close without totals, after more sales than are kept while closes pend', () => {
  it('is listed on its store day and closes the batch', () => {
    const projector = new ReadModelProjector();
    for (const each of theLog()) projector.apply(each);
    const day = projector.storeDay('oslo', DAY)!;
    expect(day.closes?.['by-hand']).toMatchObject({ withoutTotals: true, closedAt: iso(at('17:01') + 30_000) });
    // The sales counted past the bound, summed with the span of their times, all came after the first close: not its.
    expect(day.closes?.['nightly']).toMatchObject({ recorded: { purchasesCount: 1 }, mismatch: false });
    // They and the sale counted after the bound, with its time again, after both closes: the next batch's.
    const open = projector.terminal('oslo', 'T-1')!.openBatch;
    expect(open).toMatchObject({ purchasesCount: SALES, since: iso(at('17:01') + 30_000) });
    expect(open).not.toHaveProperty('pastBound');
    expect(open).not.toHaveProperty('closing');
    expect(open).not.toHaveProperty('countedWhileClosing');
  });
});

import type { RecordedEvent } from '@app/event-store';
import { logOfEvents } from '../../../test/support/recorded-events';
import { terminalCloseEvents } from '../../../test/support/terminal-close-events';
import { kvFold } from './support/kv-fold';

/**
 * Closes by hand recorded before a close's events carried its store day (`businessDay`), 51 of them pending (the oldest
 * let go of beyond the 50 kept), the first completing without totals after all. Its completion alone cannot tell an end
 * of day from `send_logs`: its request, read back from the log, does. Taken for no close, it was dropped (on no store
 * day, its batch left open), and the next close held both batches' sales and showed a difference that was not there.
 */
const DAY = '2026-11-24';
const at = (time: string) => `${DAY}T${time}Z`;
const totals = (purchasesCount: number) => ({
  purchasesCount,
  purchasesAmount: purchasesCount * 100,
  reversalsCount: 0,
  reversalsAmount: 0,
});

function history(firstOperation: 'end_of_day' | 'send_logs') {
  const close = terminalCloseEvents(logOfEvents());
  const requested = (operationId: string, requestedAt: string): RecordedEvent =>
    close.requested(operationId, { requestedBy: 'operator', requestedAt, expiresAt: requestedAt });
  const first = requested('hand-0', at('17:00:00'));
  const log: RecordedEvent[] = [
    close.storeRegistered(at('00:00:00')),
    close.terminalRegistered(at('00:00:00')),
    ...close.sale('before', at('10:00:00')),
    { ...first, data: { ...(first.data as Record<string, unknown>), operation: firstOperation } },
  ];
  for (let i = 1; i <= 51; i++) log.push(requested(`hand-${i}`, at(`17:${String(i).padStart(2, '0')}:00`)));
  log.push(...close.sale('after', at('18:00:00')));
  // hand-0 (let go of) completed: the terminal closed its batch at 17:00:30, Dintero giving no totals.
  log.push(close.completed('hand-0', { at: at('18:30:00'), dinteroAt: at('17:00:30') }));
  log.push(requested('next', at('19:00:00')));
  return { log, close };
}

async function fold(log: readonly RecordedEvent[]) {
  const { projector, apply } = kvFold(log);
  await apply(log);
  return projector;
}

describe('a close by hand without a store day in its events, let go of beyond the 50 kept pending', () => {
  it('completed without totals, closes the batch on its day: the next close shows no difference of its sales', async () => {
    const { log, close } = history('end_of_day');
    // The next close's batch is the sale after hand-0 closed.
    log.push(close.completed('next', { at: at('19:00:40'), dinteroAt: at('19:00:30'), batch: totals(1) }));
    const day = (await fold(log)).storeDay('oslo', DAY)!;
    // Which of the sales counted since hand-0 was let go of are the next close's is not known: said so, not made up.
    expect(day.closes?.['next']).not.toHaveProperty('differences');
    expect(day.closes?.['next']).toMatchObject({ recordedUnknown: true, mismatch: true });
    expect(day.closes?.['hand-0']).toMatchObject({ withoutTotals: true, recordedUnknown: true, mismatch: true });
  });

  it('is not taken for one when its request was another operation (send_logs): the next close holds both sales', async () => {
    const { log, close } = history('send_logs');
    log.push(close.completed('next', { at: at('19:00:40'), dinteroAt: at('19:00:30'), batch: totals(2) }));
    const day = (await fold(log)).storeDay('oslo', DAY)!;
    expect(day.closes?.['hand-0']).toBeUndefined();
    expect(day.closes?.['next']).toMatchObject({ recorded: totals(2), mismatch: false });
    expect(day.closes?.['next']).not.toHaveProperty('recordedUnknown');
  });
});

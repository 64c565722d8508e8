import type { RecordedEvent } from '@app/event-store';
import { addDays } from '@app/payment-domain';
import { capturedPaymentEvents, logOfEvents } from '../../../test/support/recorded-events';
import { terminalCloseEvents } from '../../../test/support/terminal-close-events';
import { kvFold } from './support/kv-fold';

/**
 * An end-of-day close let go of beyond the 50 a terminal keeps pending (its outcome lost night after night) whose
 * outcome comes after all, without totals: it closes the batch and goes on its store day, weeks back, out of the
 * projector's memory by then (`DAYS_KEPT`). That day is read back from KV first, as for every other close: written
 * from an empty day, it lost the day's sales.
 */
describe('a close without totals let go of beyond the 50 kept pending, its outcome weeks later', () => {
  const FIRST = '2026-10-01';
  const noon = (day: number) => `${addDays(FIRST, day)}T12:00:00.000Z`;
  const evening = (day: number) => `${addDays(FIRST, day)}T20:00:00.000Z`;

  function history() {
    const event = logOfEvents();
    const close = terminalCloseEvents(event);
    const requested = (operationId: string, day: number): RecordedEvent =>
      close.requested(operationId, {
        requestedBy: 'nightly-close',
        requestedAt: evening(day),
        expiresAt: evening(day),
        businessDay: addDays(FIRST, day),
      });
    const log: RecordedEvent[] = [close.storeRegistered(noon(0)), close.terminalRegistered(noon(0))];
    // A sale a day, and the nightly close, whose outcome never reaches the log: 51 nights.
    for (let day = 0; day <= 50; day++) {
      log.push(...capturedPaymentEvents(event, `p-${day}`, 'T-1', noon(day), { amount: 100 }));
      log.push(requested(`nightly-${day}`, day));
    }
    // The first night's close completed after all, Dintero giving no totals.
    const outcome = close.completed('nightly-0', {
      at: noon(51),
      dinteroAt: `${FIRST}T20:00:30.000Z`,
      businessDay: FIRST,
    });
    return { log, outcome };
  }

  it('keeps the sales of its store day, read back from KV', async () => {
    const { log, outcome } = history();
    const { projector, apply, day: inKv } = kvFold([...log, outcome]);
    await apply(log);
    // The first day is weeks behind the store's latest: KV holds it, memory no longer does.
    projector.retirePastDays(log.at(-1)!.position);
    const before = inKv('oslo', FIRST)!;
    expect(before.currencies['NOK']).toMatchObject({ capturedCount: 1 });
    await apply([outcome]);
    const day = inKv('oslo', FIRST)!;
    expect(day.closes?.['nightly-0']).toMatchObject({ withoutTotals: true, recordedUnknown: true });
    expect(day.currencies).toEqual(before.currencies);
    expect(day.terminals).toEqual(before.terminals);
  });
});

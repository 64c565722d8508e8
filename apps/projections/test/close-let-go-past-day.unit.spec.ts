import type { RecordedEvent } from '@app/event-store';
import { addDays } from '@app/payment-domain';
import { capturedPaymentEvents, logOfEvents } from '../../../test/support/recorded-events';
import { terminalCloseEvents } from '../../../test/support/terminal-close-events';
import { applyFromLog } from '../src/read-models/apply-from-log';
import { ReadModelProjector } from '../src/read-models/read-model.projector';
import type { Change, StoreDayDoc } from '../src/read-models/read-model.types';

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
    const all = [...log, outcome];
    const store = { readStream: async (stream: string) => all.filter((e) => e.streamName === stream) } as never;
    const kv = new Map<string, Change>();
    const readDay = async (key: string) => kv.get(`store-day:${key}`)?.doc as StoreDayDoc | undefined;
    const write = (change: Change) => kv.set(`${change.model}:${change.key}`, structuredClone(change));
    const projector = new ReadModelProjector();
    await applyFromLog(store, projector, log, write, readDay);
    // The first day is weeks behind the store's latest: KV holds it, memory no longer does.
    projector.retirePastDays(log.at(-1)!.position);
    const before = kv.get(`store-day:oslo.${FIRST}`)?.doc as StoreDayDoc;
    expect(before.currencies['NOK']).toMatchObject({ capturedCount: 1 });
    await applyFromLog(store, projector, [outcome], write, readDay);
    const day = kv.get(`store-day:oslo.${FIRST}`)?.doc as StoreDayDoc;
    expect(day.closes?.['nightly-0']).toMatchObject({ withoutTotals: true, recordedUnknown: true });
    expect(day.currencies).toEqual(before.currencies);
    expect(day.terminals).toEqual(before.terminals);
  });
});

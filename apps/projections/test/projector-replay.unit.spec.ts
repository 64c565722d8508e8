import type { RecordedEvent } from '@app/event-store';
import { addDays } from '@app/payment-domain';
import { capturedPaymentEvents, logOfEvents } from '../../../test/support/recorded-events';
import { daysFirst } from '../src/projector/read-model.buckets';
import { applyFromLog } from '../src/read-models/apply-from-log';
import { ReadModelProjector } from '../src/read-models/read-model.projector';
import type { Change, StoreDayDoc } from '../src/read-models/read-model.types';
import { daysInWindow } from '../src/read-models/store-days';
import { logStore } from './support/oracle-folds';

/**
 * A projector killed while it writes a flush, then restarted from KV as `ProjectorService` does (the documents,
 * the store days of the window) and fed the flush's events again: KV must end as it would have without the kill,
 * wherever in the flush the kill came (after each of the documents `putFenced` sends, in its order).
 */
describe('a flush cut off by a kill and folded again from KV', () => {
  const noon = (day: number) => `${addDays('2026-11-01', day)}T11:00:00.000Z`;

  function world() {
    const event = logOfEvents();
    const payment = (id: string, terminalId: string, at: string) =>
      capturedPaymentEvents(event, id, terminalId, at, { amount: 100 });
    const close = (operationId: string, businessDay: string, at: string): RecordedEvent => ({
      ...event(`operation-${operationId}`, 'OperationCompleted', {
        operationId,
        dinteroOperationId: `d-${operationId}`,
        batch: { purchasesCount: 1, purchasesAmount: 100 },
        at,
      }),
      metadata: { storeId: 'oslo', terminalId: 'T-1', businessDay },
    });
    const requested = (operationId: string, at: string) =>
      event(`operation-${operationId}`, 'OperationRequested', {
        operationId,
        storeId: 'oslo',
        terminalId: 'T-1',
        operation: 'end_of_day',
        at,
      });
    const store = [
      event('store-oslo', 'StoreRegistered', {
        storeId: 'oslo',
        name: 'Oslo',
        payoutDestinationId: 'p',
        timeZone: 'Europe/Oslo',
        at: noon(0),
      }),
      event('store-oslo', 'TerminalRegistered', { storeId: 'oslo', terminalId: 'T-1', at: noon(0) }),
      event('store-oslo', 'TerminalRegistered', { storeId: 'oslo', terminalId: 'T-2', at: noon(0) }),
    ];
    return { payment, close, requested, store };
  }

  /**
   * KV after `history` was written and checkpointed, then `batch` folded and its flush cut off after `sent`
   * documents, and the projector restarted from KV and fed the batch again ('all': the flush not cut off).
   */
  async function killedAfter(history: RecordedEvent[], batch: RecordedEvent[], sent: number | 'all') {
    const log = [...history, ...batch];
    const store = logStore(log);
    const kv = new Map<string, Change>();
    const readDay = async (key: string) => kv.get(`store-day:${key}`)?.doc as StoreDayDoc | undefined;
    const write = (change: Change) => kv.set(`${change.model}:${change.key}`, structuredClone(change));
    const live = new ReadModelProjector();
    await applyFromLog(store, live, history, write, readDay);
    live.retirePastDays(history.at(-1)!.position);
    const flush = new Map<string, Change>();
    await applyFromLog(store, live, batch, (change) => flush.set(`${change.model}:${change.key}`, change), readDay);
    const ordered = daysFirst(flush.values()).flat();
    ordered.slice(0, sent === 'all' ? ordered.length : sent).forEach(write);
    if (sent === 'all') return { kv, flushed: ordered.length };
    // Restarted from KV: the documents, with the store days of the window; then the batch again, from the checkpoint.
    const restarted = new ReadModelProjector();
    const days = new Set(daysInWindow([...kv.values()].filter((c) => c.model === 'store-day').map((c) => c.key)));
    for (const change of kv.values())
      if (change.model !== 'store-day' || days.has(change.key)) restarted.load(structuredClone(change));
    await applyFromLog(store, restarted, batch, write, readDay);
    return { kv, flushed: ordered.length };
  }

  async function expectSameAfterEveryKill(history: RecordedEvent[], batch: RecordedEvent[]) {
    const { kv: whole, flushed } = await killedAfter(history, batch, 'all');
    for (let sent = 0; sent < flushed; sent++) {
      const { kv } = await killedAfter(history, batch, sent);
      const days = (map: Map<string, Change>) =>
        Object.fromEntries([...map].filter(([key]) => key.startsWith('store-day:')).map(([key, c]) => [key, c.doc]));
      expect({ sent, days: days(kv) }).toEqual({ sent, days: days(whole) });
    }
  }

  it('keeps an old store day whole when a terminal closed long ago takes a payment', async () => {
    const { payment, close, store } = world();
    const history = [
      ...store,
      ...payment('p-a', 'T-1', noon(1)),
      ...payment('p-b', 'T-2', noon(1)),
      close('c1', '2026-11-02', '2026-11-02T21:30:00.000Z'),
      // T-2 takes payments for twelve more days; T-1 is not closed again.
      ...Array.from({ length: 12 }, (_, day) => payment(`p-${day}`, 'T-2', noon(day + 2))).flat(),
    ];
    await expectSameAfterEveryKill(history, payment('p-late', 'T-1', noon(14)));
  });

  it("keeps the totals of a close's day when its flush also took the store ten days on", async () => {
    const { payment, close, requested, store } = world();
    const history = [...store, ...payment('p-1', 'T-1', noon(0))];
    // The close asked for and made, then the store's next sale after ten days shut: the close's day leaves the window.
    const batch = [
      requested('c1', '2026-11-01T20:00:00.000Z'),
      close('c1', '2026-11-01', '2026-11-01T20:00:01.000Z'),
      ...payment('p-2', 'T-1', noon(10)),
    ];
    await expectSameAfterEveryKill(history, batch);
  });

  it('keeps both closes of one terminal that came in one flush', async () => {
    const { payment, close, store } = world();
    const history = [...store, ...payment('p-1', 'T-1', noon(1))];
    // The flush changes the terminal first (a sale), so that it would be the first document sent in the fold's order.
    const batch = [
      ...payment('p-0', 'T-1', '2026-11-02T12:00:00.000Z'),
      close('c1', '2026-11-02', '2026-11-02T21:30:00.000Z'),
      ...payment('p-2', 'T-1', noon(2)),
      close('c2', '2026-11-03', '2026-11-03T21:30:00.000Z'),
    ];
    await expectSameAfterEveryKill(history, batch);
  });
});

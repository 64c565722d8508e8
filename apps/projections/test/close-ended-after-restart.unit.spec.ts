import type { EventStore, RecordedEvent } from '@app/event-store';
import { logOfEvents } from '../../../test/support/recorded-events';
import { applyFromLog } from '../src/read-models/apply-from-log';
import { ReadModelProjector } from '../src/read-models/read-model.projector';
import type { Change, StoreDayDoc } from '../src/read-models/read-model.types';

/**
 * Two closes pending at once, the later-asked one ending first (kept in `closedWhileClosing`, and the
 * terminal's last close); the projector restarts from KV more than ten days later, with that close's day out of its
 * window; then the other close ends without closing. The day of the close that ended must keep its takings.
 */
const meta = { storeId: 'oslo', terminalId: 'T-1' };
const D0 = '2026-11-10';
const D11 = '2026-11-21';

function theLog(): RecordedEvent[] {
  const event = logOfEvents();
  const withMeta = (e: RecordedEvent, extra: Record<string, string> = {}) => ({
    ...e,
    metadata: { ...meta, ...extra },
  });
  const sale = (paymentId: string, at: string) => [
    event(`payment-${paymentId}`, 'PaymentRequested', {
      paymentId,
      storeId: 'oslo',
      terminalId: 'T-1',
      amount: 100,
      currency: 'NOK',
      requestedAt: at,
    }),
    event(`payment-${paymentId}`, 'PaymentCaptured', {
      transactionId: `tx-${paymentId}`,
      amount: 100,
      currency: 'NOK',
      card: { brand: 'VISA', entryMethod: 'contactless' },
      source: 'callback',
      at,
    }),
  ];
  const requested = (operationId: string, at: string) =>
    withMeta(
      event(`operation-${operationId}`, 'OperationRequested', {
        operationId,
        ...meta,
        dinteroTerminalId: 'd-T-1',
        operation: 'end_of_day',
        claimId: operationId,
        requestedBy: 'nightly-close',
        requestedAt: at,
        expiresAt: at,
      }),
    );
  return [
    event('store-oslo', 'StoreRegistered', {
      storeId: 'oslo',
      name: 'Oslo',
      payoutDestinationId: 'p',
      timeZone: 'UTC',
      at: `${D0}T06:00:00.000Z`,
    }),
    event('store-oslo', 'TerminalRegistered', { storeId: 'oslo', terminalId: 'T-1', at: `${D0}T06:00:00.000Z` }),
    ...sale('p-0', `${D0}T08:00:00.000Z`),
    requested('c-1', `${D0}T21:00:00.000Z`),
    requested('c-2', `${D0}T21:05:00.000Z`),
    withMeta(
      event('operation-c-2', 'OperationCompleted', {
        operationId: 'c-2',
        dinteroOperationId: 'd-c-2',
        batch: {
          batchId: 'c-2',
          startOfDayAt: `${D0}T05:00:00.000Z`,
          purchasesCount: 1,
          purchasesAmount: 100,
          reversalsCount: 0,
          reversalsAmount: 0,
        },
        at: `${D0}T21:06:00.000Z`,
        dinteroAt: `${D0}T21:06:00.000Z`,
      }),
      { businessDay: D0 },
    ),
    ...sale('p-1', `${D11}T08:00:00.000Z`),
    // The restart is here.
    withMeta(
      event('operation-c-1', 'OperationEnded', {
        operationId: 'c-1',
        outcome: 'failed',
        reason: 'FAILED',
        at: `${D11}T09:00:00.000Z`,
      }),
    ),
  ];
}

async function kvAfter(log: readonly RecordedEvent[], restartAt: number | undefined) {
  const kv = new Map<string, Change>();
  const store = {
    readStream: (name: string) => Promise.resolve(log.filter((e) => e.streamName === name)),
  } as unknown as EventStore;
  const readDay = (key: string) => Promise.resolve(kv.get(`store-day:${key}`)?.doc as StoreDayDoc | undefined);
  const put = (c: Change) => kv.set(`${c.model}:${c.key}`, c);
  const cut = restartAt ?? log.length;
  await applyFromLog(store, new ReadModelProjector(), log.slice(0, cut), put, readDay);
  if (cut < log.length) {
    // From KV, as `loadAll`: the store's days within its window only (D0 is out of it).
    const resumed = new ReadModelProjector();
    for (const change of kv.values())
      if (!(change.model === 'store-day' && change.doc.date === D0))
        resumed.load(JSON.parse(JSON.stringify(change)) as Change);
    await applyFromLog(store, resumed, log.slice(cut), put, readDay);
  }
  return kv;
}

describe('a day out of the window, a close that ended while another pended, a restart from KV', () => {
  it('keeps the takings of the day of the close that ended, when the other close ends after a restart', async () => {
    const log = theLog();
    const live = await kvAfter(log, undefined);
    const resumed = await kvAfter(log, log.length - 1);
    const day = (kv: Map<string, Change>) => kv.get(`store-day:oslo.${D0}`)?.doc as StoreDayDoc;
    expect(day(live).currencies).toEqual({ NOK: expect.objectContaining({ capturedAmount: 100 }) });
    expect(day(resumed).currencies).toEqual(day(live).currencies);
    expect(day(resumed)).toEqual(day(live));
  });
});

import type { RecordedEvent } from '@app/event-store';
import { addDays } from '@app/payment-domain';
import { capturedPaymentEvents, logOfEvents } from '../../../test/support/recorded-events';
import { emptyStoreDay } from '../src/read-models/projections/store-day.projection';
import { ReadModelProjector } from '../src/read-models/read-model.projector';
import type { Change, StoreDayDoc } from '../src/read-models/read-model.types';
import { DAYS_KEPT, StoreDays, daysInWindow } from '../src/read-models/store-days';

const day = (date: string, position = 1): StoreDayDoc => ({
  ...emptyStoreDay('oslo', date, 'Europe/Oslo'),
  position: String(position),
});

describe('store days in memory: a window of each store’s last days', () => {
  it(`keeps a store's latest ${DAYS_KEPT} days, and retires older ones only once KV has them`, () => {
    const days = new StoreDays();
    for (let d = 0; d < 12; d++) {
      const date = addDays('2026-11-01', d);
      days.set(`oslo.${date}`, day(date, d + 1));
    }
    // Days 1 and 2 are out of the window; day 2 was written at position 2, and KV is only at 1.
    expect(days.isPast('oslo', '2026-11-02')).toBe(true);
    expect(days.isPast('oslo', '2026-11-03')).toBe(false);
    expect(days.retire(1n).map((doc) => doc.date)).toEqual(['2026-11-01']);
    expect(days.has('oslo.2026-11-02')).toBe(true);
    expect(days.retire(2n).map((doc) => doc.date)).toEqual(['2026-11-02']);
    expect(days.retire(100n)).toEqual([]);
    expect([...days.values()]).toHaveLength(DAYS_KEPT);
    // A past day read back is retired again at the next chance.
    days.set('oslo.2026-11-01', day('2026-11-01', 13));
    expect(days.retire(13n).map((doc) => doc.date)).toEqual(['2026-11-01']);
  });

  it('picks, from KV keys, each store’s days within its own window', () => {
    const keys = [
      ...Array.from({ length: 12 }, (_, d) => `oslo.${addDays('2026-11-01', d)}`),
      'bergen.2026-10-01',
      'bergen.2026-09-30',
    ];
    const kept = daysInWindow(keys);
    expect(kept).toHaveLength(DAYS_KEPT + 2);
    expect(kept).not.toContain('oslo.2026-11-02');
    expect(kept).toContain('oslo.2026-11-03');
    expect(kept).toContain('bergen.2026-09-30');
  });
});

describe('a projector with past days out of memory', () => {
  const event = logOfEvents();
  const withMetadata = (recorded: RecordedEvent, metadata: Record<string, string>): RecordedEvent => ({
    ...recorded,
    metadata,
  });
  const payment = (id: string, terminalId: string, at: string, dinteroAt = at) =>
    capturedPaymentEvents(event, id, terminalId, at, { amount: 10_000, dinteroAt });
  const noon = (d: number) => `${addDays('2026-11-01', d)}T11:00:00.000Z`;
  const history: RecordedEvent[] = [
    event('store-oslo', 'StoreRegistered', {
      storeId: 'oslo',
      name: 'Oslo',
      payoutDestinationId: 'p',
      timeZone: 'Europe/Oslo',
      at: '2026-10-31T00:00:00.000Z',
    }),
    event('store-oslo', 'TerminalRegistered', { storeId: 'oslo', terminalId: 'T-1', at: '2026-10-31T00:00:00.000Z' }),
    event('store-oslo', 'TerminalRegistered', { storeId: 'oslo', terminalId: 'T-2', at: '2026-10-31T00:00:00.000Z' }),
    ...payment('p-t2', 'T-2', noon(1)),
    // T-2 closes its day 2026-11-02 the next morning, and then never again.
    withMetadata(
      event('operation-c-1', 'OperationCompleted', {
        operationId: 'c-1',
        dinteroOperationId: 'd-1',
        batch: { batchId: '000001', purchasesCount: 2, purchasesAmount: 20_000 },
        at: '2026-11-03T05:00:00.000Z',
      }),
      { storeId: 'oslo', terminalId: 'T-2', businessDay: '2026-11-02' },
    ),
    ...Array.from({ length: 25 }, (_, d) => payment(`p-${d}`, 'T-1', noon(d))).flat(),
    // Another transaction of p-0 captured late on its day (2026-11-01), given back in Dintero's Backoffice weeks later
    // (below).
    event('payment-p-0', 'LateCaptureRecorded', {
      transactionId: 'tx-late',
      amount: 500,
      currency: 'NOK',
      endedAs: 'captured',
      flaggedForReversal: true,
      source: 'webhook',
      at: noon(0),
    }),
    // Weeks later, Dintero reports a capture on T-2 at 02:00 on 2026-11-03 (Oslo), before that close: its day
    // (the 3rd) and the close's day (the 2nd) are both far out of memory.
    ...payment('p-late', 'T-2', noon(25), '2026-11-03T01:00:00.000Z'),
    event('payment-p-0', 'ExternalRefundRecorded', {
      transactionId: 'tx-late',
      amount: 500,
      refundedElsewhere: 500,
      lateCapture: true,
      source: 'webhook',
      at: noon(25),
    }),
  ];

  const documents = (changes: Iterable<Change>) =>
    Object.fromEntries([...changes].map((change) => [`${change.model}:${change.key}`, change.doc]));

  it('gives the documents of a fold that keeps everything, reading past days back from KV', () => {
    // As the rim does: a payment the projector has let go is taken back (from memory, or read back from the log).
    const recall = (projector: ReadModelProjector, recorded: RecordedEvent) => {
      const missing = projector.missingPayment(recorded);
      if (missing !== undefined)
        projector.rememberPayment(
          history.filter((other) => other.streamName === `payment-${missing}`),
          recorded.position,
        );
    };
    const everything = new ReadModelProjector();
    for (const recorded of history) {
      recall(everything, recorded);
      everything.apply(recorded);
    }

    const kv = new Map<string, Change>();
    const windowed = new ReadModelProjector();
    let mostDays = 0;
    for (const recorded of history) {
      recall(windowed, recorded);
      for (const key of windowed.missingDays(recorded)) {
        const held = kv.get(`store-day:${key}`);
        if (held) windowed.load(held);
      }
      for (const change of windowed.apply(recorded)) kv.set(`${change.model}:${change.key}`, change);
      windowed.retirePastDays(recorded.position);
      mostDays = Math.max(mostDays, windowed.documents().filter((change) => change.model === 'store-day').length);
    }

    expect(mostDays).toBeLessThanOrEqual(DAYS_KEPT + 1);
    expect(documents(kv.values())).toEqual(documents(everything.documents()));
    // The late capture counted on its own day, and corrected T-2's close of that day, out of memory.
    const captured = kv.get('store-day:oslo.2026-11-03')?.doc as StoreDayDoc;
    expect(captured.currencies.NOK?.capturedCount).toBe(2); // p-2 that day, and the late one
    const closed = kv.get('store-day:oslo.2026-11-02')?.doc as StoreDayDoc;
    expect(closed.closes?.['c-1']).toMatchObject({ mismatch: false, recorded: { purchasesCount: 2 } });
    expect(windowed.storeDay('oslo', '2026-11-02')).toBeUndefined();
    // The late capture's day, out of memory, marked given back on the day of the refund, its money where it was.
    const lateDay = kv.get('store-day:oslo.2026-11-01')?.doc as StoreDayDoc;
    expect(windowed.storeDay('oslo', '2026-11-01')).toBeUndefined();
    expect(lateDay.lateCaptures).toEqual([
      expect.objectContaining({ transactionId: 'tx-late', refundedOn: ['2026-11-26'] }),
    ]);
    expect(lateDay.currencies.NOK?.refundedAmount).toBe(0);
    const refunded = kv.get('store-day:oslo.2026-11-26')?.doc as StoreDayDoc;
    expect(refunded.lateCaptureRefunds).toEqual([expect.objectContaining({ transactionId: 'tx-late', amount: 500 })]);
  });
});

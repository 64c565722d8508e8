import fc from 'fast-check';
import type { RecordedEvent } from '@app/event-store';
import { localDate } from '@app/payment-domain';
import { logOfEvents } from '../../../test/support/recorded-events';
import { terminalCloseEvents } from '../../../test/support/terminal-close-events';
import { documentsWritten } from './support/kv-fold';

/**
 * A terminal's sales and end-of-day closes over weeks, heard of late and out of order, past the bounds of what a batch
 * keeps (1,000 facts with times, 50 closes pending), with a device swap: the projector that lets its past store days
 * go after every event (`retirePastDays`), reading back from KV those an event needs (`missingDays`), ends with the
 * documents of one that keeps every day in memory. A day the fold changes and `missingDays` did not read back is
 * written from empty (its sales wiped), or a change to it is lost: either shows here as a difference.
 */
const START = Date.parse('2026-10-01T06:00:00.000Z');
const MINUTE = 60_000;
const iso = (minutes: number) => new Date(START + minutes * MINUTE).toISOString();
const DAYS = 24 * 60;

interface Close {
  readonly requested: number;
  readonly cut: number;
  readonly outcome: 'completed' | 'failed' | 'none';
  readonly delay: number;
  readonly totals: boolean;
  readonly nightBefore: boolean;
}
interface Scenario {
  readonly closes: readonly Close[];
  readonly sales: readonly { readonly at: number; readonly delay: number }[];
  readonly burst?: { readonly start: number; readonly count: number; readonly delay: number };
  readonly stuck?: { readonly at: number; readonly count: number };
  readonly swapAt?: number;
  readonly old: boolean;
}

const scenarios: fc.Arbitrary<Scenario> = fc.record(
  {
    closes: fc.array(
      fc.record({
        requested: fc.integer({ min: 0, max: 30 * DAYS }),
        cut: fc.integer({ min: 1, max: 60 }),
        outcome: fc.constantFrom('completed', 'completed', 'completed', 'failed', 'none'),
        delay: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 20 * DAYS })),
        totals: fc.integer({ min: 0, max: 3 }).map((n) => n > 0),
        nightBefore: fc.boolean(),
      }),
      { minLength: 1, maxLength: 8 },
    ),
    sales: fc.array(
      fc.record({
        at: fc.integer({ min: 0, max: 30 * DAYS }),
        delay: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 15 * DAYS })),
      }),
      { maxLength: 25 },
    ),
    burst: fc.record({
      start: fc.integer({ min: 0, max: 30 * DAYS }),
      count: fc.integer({ min: 1_001, max: 1_050 }),
      delay: fc.integer({ min: 0, max: 30 }),
    }),
    stuck: fc.record({ at: fc.integer({ min: 0, max: 30 * DAYS }), count: fc.integer({ min: 49, max: 52 }) }),
    swapAt: fc.integer({ min: 0, max: 30 * DAYS }),
    old: fc.boolean(),
  },
  { requiredKeys: ['closes', 'sales', 'old'] },
);

function logOf(scenario: Scenario): RecordedEvent[] {
  const close = terminalCloseEvents(logOfEvents());
  const dayOf = (minutes: number, nightBefore: boolean) =>
    localDate(iso(minutes - (nightBefore ? DAYS : 0)), 'Europe/Oslo');
  const timed: { at: number; events: RecordedEvent[] }[] = [
    {
      at: -DAYS,
      events: [
        close.storeRegistered(iso(-DAYS), 'Europe/Oslo'),
        close.terminalRegistered(iso(-DAYS)),
        close.enrolled('D-OLD', iso(-DAYS)),
      ],
    },
  ];
  if (scenario.swapAt !== undefined)
    timed.push({ at: scenario.swapAt, events: [close.enrolled('D-NEW', iso(scenario.swapAt))] });
  scenario.closes.forEach((each, i) => {
    const operationId = `c-${i}`;
    const businessDay = scenario.old ? undefined : dayOf(each.requested, each.nightBefore);
    const request = close.requested(operationId, {
      requestedBy: 'nightly-close',
      requestedAt: iso(each.requested),
      expiresAt: iso(each.requested + 15),
      businessDay,
    });
    timed.push({ at: each.requested, events: [request] });
    const cut = each.requested + each.cut;
    const heard = cut + each.delay;
    if (each.outcome === 'completed') {
      const purchasesCount = i % 3;
      const batch = each.totals
        ? {
            batchId: operationId,
            purchasesCount,
            purchasesAmount: purchasesCount * 100,
            reversalsCount: 0,
            reversalsAmount: 0,
          }
        : undefined;
      timed.push({
        at: heard,
        events: [close.completed(operationId, { at: iso(heard), dinteroAt: iso(cut), batch, businessDay })],
      });
    } else if (each.outcome === 'failed')
      timed.push({ at: heard, events: [close.failed(operationId, { at: iso(heard), businessDay })] });
  });
  const { stuck, burst } = scenario;
  if (stuck !== undefined)
    for (let i = 0; i < stuck.count; i++)
      timed.push({
        at: stuck.at,
        events: [
          close.requested(`stuck-${i}`, {
            requestedBy: 'nightly-close',
            requestedAt: iso(stuck.at),
            expiresAt: iso(stuck.at + 15),
            businessDay: scenario.old ? undefined : dayOf(stuck.at, false),
          }),
        ],
      });
  const sales = [
    ...scenario.sales,
    ...Array.from({ length: burst?.count ?? 0 }, (_, i) => ({ at: burst!.start + i, delay: burst!.delay })),
  ];
  sales.forEach((sale, i) => timed.push({ at: sale.at + sale.delay, events: close.sale(`p-${i}`, iso(sale.at)) }));
  return timed
    .sort((a, b) => a.at - b.at)
    .flatMap((each) => each.events)
    .map((e, i) => ({ ...e, id: `e-${i + 1}`, position: BigInt(i + 1) }));
}

describe('store days let go of from memory and read back from KV as events need them', () => {
  it('give the documents of a fold that keeps every day in memory', async () => {
    await fc.assert(
      fc.asyncProperty(scenarios, async (scenario) => {
        const log = logOf(scenario);
        expect(await documentsWritten(log, true)).toEqual(await documentsWritten(log, false));
      }),
      {
        seed: Number(process.env.DAYS_READ_BACK_SEED ?? 20261207),
        numRuns: Number(process.env.DAYS_READ_BACK_RUNS ?? 20),
        endOnFailure: process.env.DAYS_READ_BACK_NO_SHRINK === '1',
      },
    );
  });
});

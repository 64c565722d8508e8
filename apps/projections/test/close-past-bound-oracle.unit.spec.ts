import fc from 'fast-check';
import type { EventStore, RecordedEvent } from '@app/event-store';
import { logOfEvents } from '../../../test/support/recorded-events';
import { terminalCloseEvents } from '../../../test/support/terminal-close-events';
import { applyFromLog } from '../src/read-models/apply-from-log';
import { documentProblem } from '../src/read-models/document-schemas';
import { ReadModelProjector } from '../src/read-models/read-model.projector';
import type { BatchFigures, Change, StoreDayDoc, TerminalClose } from '../src/read-models/read-model.types';

/**
 * End-of-day closes pending while the terminal counts more than the batch keeps with their times (1,000), or while
 * more closes pend than it keeps (50), their outcomes in any order: each close on its store day is compared with the
 * sales between the close before it and its own cut (its differences those the terminal really has), or says its log
 * side unknown (`recordedUnknown`: a mismatch, no difference). Never a difference made up, never one hidden. Times are
 * seconds after 06:00 UTC on one day.
 */
const DAY = '2026-11-24';
const START = Date.parse(`${DAY}T06:00:00.000Z`);
const iso = (seconds: number) => new Date(START + seconds * 1_000).toISOString();
const START_OF_DAY = iso(-3_600);

interface CloseAsked {
  readonly gap: number;
  readonly cut: number;
  readonly completed: boolean;
  /** Seconds from its cut (or its request, when it fails) to its outcome in the log. */
  readonly delay: number;
  /** What the terminal counted beyond the log (a real difference), in purchases of 100. */
  readonly extra: number;
  /** Completed with the terminal's batch; else without (Dintero gave none: `withoutTotals`). */
  readonly totals: boolean;
}
interface Sale {
  readonly at: number;
  readonly delay: number;
}
interface Scenario {
  readonly closes: readonly CloseAsked[];
  readonly sales: readonly Sale[];
  /** A run of sales a second apart, more than the batch keeps with their times. */
  readonly burst?: { readonly start: number; readonly count: number; readonly delay: number };
  /** Closes asked for after the close at `after` and never ending: beyond 50 pending, the oldest are let go of. */
  readonly stuck?: { readonly after: number; readonly count: number };
  /**
   * When another device took the terminal's name, if it did: the closes asked for before are the old device's, those
   * after the new one's; a sale at or before it is the old device's, one after it the new one's.
   */
  readonly swapAt?: number;
  /** The closes' events name no store day (`businessDay`): a log recorded before they did. */
  readonly old?: boolean;
}
interface Timed {
  readonly id: string;
  readonly requested: number;
  readonly cut: number;
  readonly completed: boolean;
  readonly outcome: number;
  readonly extra: number;
  readonly totals: boolean;
}

function timeline(scenario: Scenario): Timed[] {
  let requested = 30;
  let cut = 0;
  let swapped = scenario.swapAt === undefined;
  return scenario.closes.map((asked, i) => {
    requested += asked.gap;
    // A device cuts its closes in turn; the new device's first may be cut before the old device's last.
    if (!swapped && requested >= scenario.swapAt!) [swapped, cut] = [true, 0];
    cut = Math.max(cut, requested) + asked.cut;
    const outcome = (asked.completed ? cut : requested) + asked.delay;
    const { completed, extra, totals } = asked;
    return { id: `c-${i + 1}`, requested, cut, completed, outcome, extra, totals };
  });
}

const salesOf = (scenario: Scenario): Sale[] => [
  ...scenario.sales,
  ...Array.from({ length: scenario.burst?.count ?? 0 }, (_, i) => ({
    at: scenario.burst!.start + i,
    delay: scenario.burst!.delay,
  })),
];
const amountOf = (i: number) => 100 + (i % 7);

/**
 * The closes each device made (completed ones, by cut), each with when its batch opened by the terminal (the device's
 * close before it, its swap in, or the start of the day) and what it closed at (its cut, the swap at the latest).
 */
function lanes(closes: readonly Timed[], swapAt?: number) {
  const made = closes.filter((close) => close.completed).sort((a, b) => a.cut - b.cut);
  const bounds = [-Infinity, ...(swapAt === undefined ? [] : [swapAt]), Infinity];
  return bounds.slice(1).flatMap((to, lane) => {
    const from = bounds[lane]!;
    const own = made.filter((close) => close.requested >= from && close.requested < to);
    return own.map((close, i) => ({
      close,
      after: Math.max(from, i === 0 ? -Infinity : Math.min(own[i - 1]!.cut, to)),
      until: Math.min(close.cut, to),
    }));
  });
}

/** Each completed close's batch by the log: its device's sales after the close it made before, up to its cut. */
function expected(closes: readonly Timed[], sales: readonly Sale[], swapAt?: number): Map<string, BatchFigures> {
  const figures = new Map<string, BatchFigures>();
  for (const { close, after, until } of lanes(closes, swapAt)) {
    const held = sales
      .map((sale, j) => ({ ...sale, amount: amountOf(j) }))
      .filter((s) => s.at > after && s.at <= until);
    figures.set(close.id, {
      purchasesCount: held.length,
      purchasesAmount: held.reduce((sum, s) => sum + s.amount, 0),
      reversalsCount: 0,
      reversalsAmount: 0,
    });
  }
  return figures;
}

function logOf(scenario: Scenario, closes: readonly Timed[], truth: Map<string, BatchFigures>): RecordedEvent[] {
  const close = terminalCloseEvents(logOfEvents());
  const timed: { at: number; events: RecordedEvent[] }[] = [
    {
      at: -10_000,
      events: [
        close.storeRegistered(iso(-10_000)),
        close.terminalRegistered(iso(-10_000)),
        close.enrolled('D-OLD', iso(-10_000)),
      ],
    },
  ];
  // Before a close asked for in the same second: that close is the new device's.
  const { swapAt } = scenario;
  if (swapAt !== undefined) timed.push({ at: swapAt, events: [close.enrolled('D-NEW', iso(swapAt))] });
  const businessDay = scenario.old === true ? undefined : DAY;
  const requested = (operationId: string, at: number): RecordedEvent =>
    close.requested(operationId, {
      requestedBy: 'nightly-close',
      requestedAt: iso(at),
      expiresAt: iso(at),
      businessDay,
    });
  // The terminal's batch opened at its close before (by Dintero), or its swap in, its first at the start of the day: as
  // Dintero says (`startOfDayAt`), so that a close that is the log's first but not the terminal's opens after another.
  const opened = new Map(lanes(closes, swapAt).map(({ close, after }) => [close.id, after]));
  const startOfDay = (close: Timed) => {
    const after = opened.get(close.id) ?? -Infinity;
    return after === -Infinity ? START_OF_DAY : iso(after);
  };
  for (const each of closes) {
    const { id: operationId } = each;
    timed.push({ at: each.requested, events: [requested(operationId, each.requested)] });
    const figures = truth.get(operationId);
    // The terminal's own count off by `extra` purchases: a difference the close must show (where it is known).
    const batch = figures && {
      ...figures,
      purchasesCount: figures.purchasesCount + each.extra,
      purchasesAmount: figures.purchasesAmount + 100 * each.extra,
    };
    const outcome = each.completed
      ? close.completed(operationId, {
          batch: each.totals ? { batchId: operationId, startOfDayAt: startOfDay(each), ...batch } : undefined,
          at: iso(each.outcome),
          dinteroAt: iso(each.cut),
          businessDay,
        })
      : close.failed(operationId, { at: iso(each.outcome), businessDay });
    timed.push({ at: each.outcome, events: [outcome] });
  }
  const { stuck } = scenario;
  if (stuck !== undefined && closes.length > 0) {
    const after = closes[stuck.after % closes.length]!.requested;
    for (let i = 0; i < stuck.count; i++) timed.push({ at: after, events: [requested(`stuck-${i}`, after)] });
  }
  salesOf(scenario).forEach((sale, i) => {
    // Heard of `delay` seconds after it was made.
    timed.push({ at: sale.at + sale.delay, events: close.sale(`p-${i}`, iso(sale.at), amountOf(i)) });
  });
  return timed
    .sort((a, b) => a.at - b.at)
    .flatMap((each) => each.events)
    .map((e, i) => ({ ...e, id: `e-${i + 1}`, position: BigInt(i + 1) }));
}

const scenarios: fc.Arbitrary<Scenario> = fc
  .record(
    {
      closes: fc.array(
        fc.record({
          gap: fc.integer({ min: 1, max: 900 }),
          cut: fc.integer({ min: 1, max: 900 }),
          completed: fc.integer({ min: 0, max: 3 }).map((n) => n > 0),
          delay: fc.integer({ min: 0, max: 2_500 }),
          extra: fc.constantFrom(0, 0, 1, -1),
          totals: fc.integer({ min: 0, max: 3 }).map((n) => n > 0),
        }),
        { minLength: 1, maxLength: 5 },
      ),
      sales: fc.array(fc.record({ at: fc.integer({ min: 0, max: 3_000 }), delay: fc.integer({ min: 0, max: 600 }) }), {
        maxLength: 8,
      }),
      burst: fc.record({
        start: fc.integer({ min: 0, max: 2_000 }),
        count: fc.integer({ min: 1_001, max: 1_100 }),
        delay: fc.integer({ min: 0, max: 30 }),
      }),
      stuck: fc.record({ after: fc.nat(4), count: fc.integer({ min: 48, max: 52 }) }),
      swapAt: fc.integer({ min: 0, max: 4_000 }),
      old: fc.boolean(),
      swapInBurst: fc.boolean(),
    },
    { requiredKeys: ['closes', 'sales', 'swapInBurst'] },
  )
  .map(({ swapInBurst, ...scenario }) => (swapInBurst ? intoTheBurst(scenario) : scenario));

/**
 * The scenario with its swap among the sales of the burst, when it has both: the bound is reached while the swap waits
 * for the old device's closes, or the swap comes past it, where the fold keeps the two devices' facts summed apart
 * (`withinKeptBound`). Left to chance, a swap falls there too seldom for the runs a test makes.
 */
function intoTheBurst(scenario: Scenario): Scenario {
  const { burst, swapAt } = scenario;
  if (burst === undefined || swapAt === undefined) return scenario;
  return { ...scenario, swapAt: burst.start + (swapAt % burst.count) };
}

/** The log folded as the projector folds it (`applyFromLog`: what an event needs read back from the log first). */
async function folded(log: readonly RecordedEvent[]) {
  const projector = new ReadModelProjector();
  const last = new Map<string, Change>();
  const store = {
    readStream: (name: string) => Promise.resolve(log.filter((e) => e.streamName === name)),
  } as unknown as EventStore;
  await applyFromLog(store, projector, log, (change) => last.set(`${change.model}:${change.key}`, change));
  for (const { model, doc } of last.values()) expect(documentProblem(model, doc)).toBeUndefined();
  return projector;
}

const pick = ({ purchasesCount, purchasesAmount, reversalsCount, reversalsAmount }: BatchFigures) => ({
  purchasesCount,
  purchasesAmount,
  reversalsCount,
  reversalsAmount,
});

/** What a close shows finance: its difference (terminal minus log), or that it cannot be known. */
function shown(close: TerminalClose | undefined) {
  if (close === undefined) return 'not on its day';
  if (close.recordedUnknown === true) return close.mismatch && close.differences === undefined ? 'unknown' : 'broken';
  return { differences: close.differences ?? {}, mismatch: close.mismatch };
}

/**
 * What each close should show: the terminal's extra purchases, or unknown where the fold says so; without totals, no
 * difference, a mismatch when its batch held any sale (`truth`).
 */
function wanted(
  closes: readonly Timed[],
  truth: ReadonlyMap<string, BatchFigures>,
  day: StoreDayDoc | undefined,
): Record<string, unknown> {
  return Object.fromEntries(
    closes
      .filter((close) => close.completed)
      .map((close): [string, unknown] => {
        if (day?.closes?.[close.id]?.recordedUnknown === true) return [close.id, 'unknown'];
        if (!close.totals) return [close.id, { differences: {}, mismatch: truth.get(close.id)!.purchasesCount > 0 }];
        const differences =
          close.extra === 0 ? {} : { purchasesCount: close.extra, purchasesAmount: 100 * close.extra };
        return [close.id, { differences, mismatch: close.extra !== 0 }];
      }),
  );
}

describe('closes pending past the bounds of what a batch keeps, their outcomes in any order', () => {
  it('each shows the difference the terminal has, or says its log side unknown: none made up, none hidden', async () => {
    await fc.assert(
      fc.asyncProperty(scenarios, async (scenario) => {
        const closes = timeline(scenario);
        const sales = salesOf(scenario);
        const truth = expected(closes, sales, scenario.swapAt);
        const projector = await folded(logOf(scenario, closes, truth));
        const day = projector.storeDay('oslo', DAY);
        const got = Object.fromEntries(
          closes.filter((close) => close.completed).map((close) => [close.id, shown(day?.closes?.[close.id])]),
        );
        expect(got).toEqual(wanted(closes, truth, day));
        // A close compared exactly holds its batch's figures.
        for (const [id, figures] of truth) {
          const close = day?.closes?.[id];
          if (close !== undefined && close.recordedUnknown !== true)
            expect([id, pick(close.recorded)]).toEqual([id, figures]);
        }
      }),
      {
        seed: Number(process.env.PAST_BOUND_SEED ?? 20261207),
        numRuns: Number(process.env.PAST_BOUND_RUNS ?? 200),
        endOnFailure: process.env.PAST_BOUND_NO_SHRINK === '1',
      },
    );
  });
});

/**
 * KV after folding `log` up to `cut`, and a projector started again from it (the documents as JSON, as a restart loads
 * KV) that follows the log from there.
 */
async function kvAfter(log: readonly RecordedEvent[], cut: number) {
  const kv = new Map<string, Change>();
  const store = {
    readStream: (name: string) => Promise.resolve(log.filter((e) => e.streamName === name)),
  } as unknown as EventStore;
  const readDay = (key: string) => Promise.resolve(kv.get(`store-day:${key}`)?.doc as StoreDayDoc | undefined);
  const put = (c: Change) => kv.set(`${c.model}:${c.key}`, c);
  await applyFromLog(store, new ReadModelProjector(), log.slice(0, cut), put, readDay);
  const resumed = new ReadModelProjector();
  for (const change of kv.values()) resumed.load(JSON.parse(JSON.stringify(change)) as Change);
  await applyFromLog(store, resumed, log.slice(cut), put, readDay);
  return Object.fromEntries([...kv].map(([k, c]) => [k, JSON.parse(JSON.stringify(c.doc)) as unknown]));
}

describe('closes pending past the bounds, the projector started again from KV', () => {
  it('a projector resumed from KV at any cut ends with the documents of one fold', async () => {
    await fc.assert(
      fc.asyncProperty(scenarios, fc.nat(), async (scenario, pick) => {
        const closes = timeline(scenario);
        const log = logOf(scenario, closes, expected(closes, salesOf(scenario), scenario.swapAt));
        const whole = await kvAfter(log, log.length);
        expect(await kvAfter(log, 1 + (pick % log.length))).toEqual(whole);
      }),
      { seed: Number(process.env.PAST_BOUND_SEED ?? 20261207), numRuns: Number(process.env.PAST_BOUND_KV_RUNS ?? 40) },
    );
  });
});

import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY } from '@app/platform';
import { waitUntil } from '../../../test/support/app-process';
import { event } from '../../../test/support/payment-events';
import { startEngine, type Engine } from '../../../test/support/engine';
import { ReconcilerService } from '../src/reconciler/reconciler.service';
import type { RefundSweepSummary } from '../src/reconciler/refund-sweep';
import { SettleLeases } from '../src/reconciler/settle-leases';

/**
 * The refund sweep's share of the reconciler's rate budget, in the reconciler's own rounds: a backlog of due payments
 * larger than the budget, every round, beside a sweep. The backlog is payments past their session whose leases another
 * instance (the test) holds: each round the reconciler takes as many as its budget lets it, finds each leased
 * elsewhere and looks again a lease later (`RECONCILER_LEASE_SECONDS`), asking Dintero nothing. A hundred of them
 * come due again each second, more than the reconciler takes (at most its budget a round, five rounds a second), so
 * they would take the whole budget of every round for as long as the test runs.
 */
const BACKLOG = 100;
/** Rounds every 200 ms; `RECONCILER_MAX_PER_SECOND` sets the budget of a round. */
const settings = (maxPerSecond: number) => ({
  RECONCILER_INTERVAL_MS: '200',
  RECONCILER_MAX_PER_SECOND: String(maxPerSecond),
  RECONCILER_LEASE_SECONDS: '1',
  RECONCILER_GRACE_SECONDS: '0',
  // Swept only when the test asks (`sweepRefundsNow`): it knows which sweep each summary is of.
  RECONCILER_REFUND_SWEEP_MINUTES: '0',
});
/** A sweep that is kept its share lists its one page within a round or two; one that gets nothing, never. */
const SWEEP_DEADLINE_MS = 5_000;

const warnings: string[] = [];
beforeAll(() => {
  // Called with its own `this` below (`apply`): the logger it was on.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = Logger.prototype.warn;
  jest.spyOn(Logger.prototype, 'warn').mockImplementation(function (this: Logger, ...args: unknown[]) {
    const [, msg] = args;
    if (typeof msg === 'string' && msg.startsWith('refund sweep')) warnings.push(msg);
    return (original as (...a: unknown[]) => void).apply(this, args);
  });
});
afterAll(() => jest.restoreAllMocks());

/** Payments past their session, due at once, each leased by another instance for as long as the test runs. */
async function backlog(engine: Engine): Promise<void> {
  const elsewhere = await SettleLeases.open(engine.nats, engine.prefix, 600_000);
  const past = new Date(Date.now() - 60_000).toISOString();
  for (let n = 0; n < BACKLOG; n++) {
    const paymentId = randomUUID();
    expect(await elsewhere.take(paymentId)).toBe(true);
    const ids = { paymentId, storeId: 'share-store', terminalId: `SH-${n}` };
    await engine.log.append(
      `payment-${paymentId}`,
      [
        event(
          'PaymentRequested',
          {
            ...ids,
            amount: 1_000,
            currency: 'NOK',
            merchantReference: `R-${n}`,
            posClientId: 'share',
            claimId: paymentId,
            requestedAt: past,
            expiresAt: past,
          },
          ids,
        ),
      ],
      { expectedRevision: 'no_stream' },
    );
  }
}

async function counter(engine: Engine, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = engine.ingest.app.get<Registry>(METRICS_REGISTRY).getSingleMetric(name)!;
  const { values } = await metric.get();
  const found = values.find((value) => Object.entries(labels).every(([key, v]) => value.labels[key] === v));
  return found?.value ?? 0;
}

/** The summary of a sweep asked for now, or a failure once the deadline has passed without it. */
async function sweepWithin(engine: Engine, ms: number): Promise<RefundSweepSummary> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the refund sweep was not done within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([engine.ingest.app.get(ReconcilerService).sweepRefundsNow(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The due payments the reconciler took and found leased elsewhere: the backlog's share of its rounds. */
const backlogLooks = (engine: Engine) =>
  counter(engine, 'payments_reconciler_payments_total', { result: 'leased_elsewhere' });

describe("the refund sweep's share of a round, with more payments due than the budget of ten", () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await startEngine({ ingest: settings(50) });
    await backlog(engine);
    // The backlog has reached the reconciler's rounds.
    const before = await backlogLooks(engine);
    await waitUntil(async () => (await backlogLooks(engine)) >= before + 20, 10_000, 'the backlog in the rounds');
  }, 60_000);
  afterAll(() => engine?.close());

  it('keeps a request of each round for the sweep: sweep after sweep is done while the backlog stays', async () => {
    warnings.length = 0;
    for (let n = 0; n < 3; n++) {
      const looks = await backlogLooks(engine);
      const summary = await sweepWithin(engine, SWEEP_DEADLINE_MS);
      expect(summary).toMatchObject({ pages: 1, failed: 0 });
      // With a tenth of ten kept, no round leaves it nothing (the round it was asked for in, whose share was set
      // aside before, is not one it was pending in).
      expect(summary.starvedRounds).toBe(0);
      // The backlog was looked at meanwhile: the sweep was done beside it, not after it.
      expect(await backlogLooks(engine)).toBeGreaterThan(looks);
    }
    // The backlog is not drained: it still takes what the sweep leaves of each round.
    const looks = await backlogLooks(engine);
    await waitUntil(async () => (await backlogLooks(engine)) >= looks + 9, 10_000, 'the backlog still due');
    expect(warnings.filter((line) => line.includes('took the whole rate budget'))).toEqual([]);
  }, 60_000);
});

describe('a budget of three, where the share takes rounds to build up to a request', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await startEngine({ ingest: settings(15) });
    await backlog(engine);
    const before = await backlogLooks(engine);
    await waitUntil(async () => (await backlogLooks(engine)) >= before + 6, 10_000, 'the backlog in the rounds');
  }, 60_000);
  afterAll(() => engine?.close());

  const STARVED = 'payments_reconciler_refund_sweep_starved_rounds_total';
  const warnedDue =
    'refund sweep due: due payments took the whole rate budget (RECONCILER_MAX_PER_SECOND) this round; it goes on ' +
    'with its reserved share, a tenth of the budget';

  it('counts each round that leaves the sweep nothing, warns once a sweep, and says how many in its summary', async () => {
    warnings.length = 0;
    for (let n = 1; n <= 2; n++) {
      const before = await counter(engine, STARVED);
      const summary = await sweepWithin(engine, SWEEP_DEADLINE_MS);
      const starved = (await counter(engine, STARVED)) - before;
      // Three tenths of a request a round: three rounds with nothing, then a page.
      expect(starved).toBe(3);
      expect(summary).toMatchObject({ pages: 1, failed: 0, starvedRounds: starved });
      expect(warnings).toEqual(Array.from({ length: n }, () => warnedDue));
    }
    // No sweep pending: the due payments take the whole budget and no round is counted.
    const idle = await counter(engine, STARVED);
    const looks = await backlogLooks(engine);
    await waitUntil(async () => (await backlogLooks(engine)) >= looks + 9, 10_000, 'three more rounds of the backlog');
    expect(await counter(engine, STARVED)).toBe(idle);
  }, 60_000);
});

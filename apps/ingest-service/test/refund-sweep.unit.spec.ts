import type { Logger } from '@nestjs/common';
import { Registry } from 'prom-client';
import type { DinteroClient, DinteroTransaction, TransactionFilters } from '@app/dintero';
import { paymentMetrics } from '@app/platform';
import type { PaymentFacts } from '../src/facts/payment-facts.service';
import { REFUND_SWEEP_LEASE, RefundSweep } from '../src/reconciler/refund-sweep';
import type { SettleLeases } from '../src/reconciler/settle-leases';
import { ourOrigin } from '../src/webhook/our-callback-url';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-12-06T12:00:00Z');
const ENGINE = 'http://ingest.example';

/** A refunded transaction created `ageMs` ago; this engine's when `ours`. */
function refunded(n: number, ageMs: number, ours = true): DinteroTransaction {
  const paymentId = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const host = ours ? ENGINE : 'http://webshop.example';
  return {
    id: `T1.${n}`,
    created_at: new Date(NOW - ageMs).toISOString(),
    merchant_reference_2: paymentId,
    url: { callback_url: `${host}/v1/dintero/callback?payment_id=${paymentId}` },
  } as unknown as DinteroTransaction;
}

/** Dintero's list, newest first, paged by `starting_after`, as the fake client serves it. */
function world(transactions: DinteroTransaction[], options: { failOnce?: number; everyMs?: number } = {}) {
  const calls: TransactionFilters[] = [];
  let failures = options.failOnce;
  const dintero = {
    listTransactions: (filters: TransactionFilters) => {
      calls.push(filters);
      if (failures !== undefined && calls.length === failures) {
        failures = undefined;
        return Promise.reject(new Error('503'));
      }
      const from = filters.startingAfter ? transactions.findIndex((tx) => tx.id === filters.startingAfter) + 1 : 0;
      const since = filters.createdAtGte ?? '';
      return Promise.resolve(
        transactions
          .slice(from)
          .filter((tx) => tx.created_at! >= since)
          .slice(0, filters.limit),
      );
    },
  } as unknown as DinteroClient;
  const recorded: string[] = [];
  const facts = {
    recordTransaction: (paymentId: string) => {
      recorded.push(paymentId);
      return Promise.resolve({ paymentId, recorded: ['ExternalRefundRecorded'], status: 'captured' });
    },
  } as unknown as PaymentFacts;
  const leaseCalls: string[] = [];
  let held = true;
  let released: number | undefined;
  const leases = {
    take: (key: string) => {
      leaseCalls.push(`take ${key}`);
      return Promise.resolve(held);
    },
    holdUntil: (key: string, until: number) => {
      leaseCalls.push(`hold ${key} ${until}`);
      return Promise.resolve(true);
    },
    // Held by a running instance, unless `leftUntil` says a stopped one left it with a time.
    releasedUntil: () => Promise.resolve(held ? undefined : released),
  } as unknown as SettleLeases;
  const warnings: string[] = [];
  const logger = { log: () => undefined, warn: (_: unknown, line: string) => warnings.push(line) } as unknown as Logger;
  const registry = new Registry();
  const sweep = new RefundSweep(
    { everyMs: options.everyMs ?? HOUR, windowMs: 14 * 24 * HOUR, leaseMs: 30_000, ourOrigin: ourOrigin(ENGINE) },
    dintero,
    facts,
    () => leases,
    paymentMetrics(registry),
    logger,
    NOW,
  );
  const starvedRounds = async () =>
    (await registry.getSingleMetric('payments_reconciler_refund_sweep_starved_rounds_total')!.get()).values[0]?.value;
  return {
    sweep,
    calls,
    recorded,
    leaseCalls,
    heldElsewhere: () => (held = false),
    /** The lease as a stopped instance left it (`SettleLeases.release`), with no holder, until `until`. */
    leftUntil: (until: number) => {
      held = false;
      released = until;
    },
    /** The lease free again (run out of the bucket, or removed). */
    freed: () => {
      held = true;
      released = undefined;
    },
    warnings,
    starvedRounds,
  };
}

describe('RefundSweep', () => {
  it('lists refunded in-person transactions of the window page by page, newest first, and stops at its start', async () => {
    // 230 in the window (one not ours), then one older than it.
    const inWindow = Array.from({ length: 230 }, (_, i) => refunded(i, i * HOUR, i !== 7));
    const { sweep, calls, recorded } = world([...inWindow, refunded(999, 15 * 24 * HOUR)]);
    const done = sweep.sweepNow();
    await sweep.step(2, NOW);
    expect(calls).toHaveLength(2);
    await sweep.step(5, NOW);
    expect(await done).toEqual({
      since: new Date(NOW - 14 * 24 * HOUR).toISOString(),
      pages: 3,
      listed: 230,
      ours: 229,
      recorded: 229,
      notInLog: 0,
      failed: 0,
      starvedRounds: 0,
    });
    expect(calls).toHaveLength(3);
    expect(calls[0]).toEqual({
      status: ['REFUNDED', 'PARTIALLY_REFUNDED', 'PARTIALLY_CAPTURED_REFUNDED'],
      paymentProductType: ['seitatech.in_person'],
      createdAtGte: new Date(NOW - 14 * 24 * HOUR).toISOString(),
      limit: 100,
    });
    expect(calls.map((call) => call.startingAfter)).toEqual([undefined, 'T1.99', 'T1.199']);
    expect(recorded).not.toContain(refunded(7, 0).merchant_reference_2);
  });

  it('sweeps at start and again an interval after, holding the lease until then', async () => {
    const { sweep, calls, leaseCalls } = world([refunded(1, HOUR)]);
    await sweep.step(1, NOW);
    expect(calls).toHaveLength(1);
    expect(leaseCalls).toEqual([`take ${REFUND_SWEEP_LEASE}`, `hold ${REFUND_SWEEP_LEASE} ${NOW + HOUR}`]);
    await sweep.step(1, NOW + HOUR - 1);
    expect(calls).toHaveLength(1);
    await sweep.step(1, NOW + HOUR);
    expect(calls).toHaveLength(2);
  });

  it('leaves the sweep to the instance holding its lease, and asks again a lease later', async () => {
    const { sweep, calls, leaseCalls, heldElsewhere } = world([refunded(1, HOUR)]);
    heldElsewhere();
    await sweep.step(1, NOW);
    await sweep.step(1, NOW + 29_999);
    expect(calls).toHaveLength(0);
    expect(leaseCalls).toHaveLength(1);
    await sweep.step(1, NOW + 30_000);
    expect(leaseCalls).toHaveLength(2);
  });

  it('waits, uncounted, for the next sweep a stopped instance left, asking again every lease', async () => {
    // Left by an instance whose clock ran a day ahead: the entry is gone with the bucket's age, long before then.
    const { sweep, calls, leaseCalls, leftUntil, freed } = world([refunded(1, HOUR)]);
    leftUntil(NOW + 25 * HOUR);
    await sweep.step(1, NOW);
    await sweep.step(1, NOW + 29_999);
    expect(leaseCalls).toHaveLength(1);
    freed();
    await sweep.step(1, NOW + 30_000);
    expect(calls).toHaveLength(1);
  });

  it('lists a page that failed again at the next round, from where it was', async () => {
    const transactions = Array.from({ length: 150 }, (_, i) => refunded(i, i * 1000));
    const { sweep, calls, recorded } = world(transactions, { failOnce: 2 });
    const done = sweep.sweepNow();
    await sweep.step(3, NOW);
    expect(calls.map((call) => call.startingAfter)).toEqual([undefined, 'T1.99']);
    await sweep.step(3, NOW + 1000);
    expect(calls.map((call) => call.startingAfter)).toEqual([undefined, 'T1.99', 'T1.99']);
    expect(await done).toMatchObject({ pages: 2, listed: 150, recorded: 150 });
    expect(new Set(recorded).size).toBe(150);
  });

  it('renews its lease before the first page of every later round, and leaves a sweep taken over meanwhile', async () => {
    // One page a round (the rest of the budget went to due payments): the lease must still be renewed each round.
    const transactions = Array.from({ length: 250 }, (_, i) => refunded(i, i * 1000));
    const { sweep, calls, leaseCalls, heldElsewhere } = world(transactions);
    await sweep.step(1, NOW);
    await sweep.step(1, NOW + 1000);
    expect(calls).toHaveLength(2);
    expect(leaseCalls).toEqual([`take ${REFUND_SWEEP_LEASE}`, `take ${REFUND_SWEEP_LEASE}`]);
    // Another instance took the lease between two rounds (this one stalled past it): this one lists nothing more.
    heldElsewhere();
    await sweep.step(1, NOW + 2000);
    expect(calls).toHaveLength(2);
  });

  it('never sweeps on its own when off, only when asked', async () => {
    const { sweep, calls } = world([refunded(1, HOUR)], { everyMs: 0 });
    await sweep.step(1, NOW);
    await sweep.step(1, NOW + 24 * HOUR);
    expect(calls).toHaveLength(0);
    const done = sweep.sweepNow();
    await sweep.step(1, NOW + 24 * HOUR);
    expect(await done).toMatchObject({ listed: 1, recorded: 1 });
  });

  /**
   * A round of the reconciler as `ReconcilerRound.run` runs it, with more payments due than the budget: they take
   * all that the sweep's reserve leaves them, and the sweep gets the rest.
   */
  const round = async (sweep: RefundSweep, budget: number, now: number) => {
    const dueTaken = budget - sweep.reserve(budget, now);
    await sweep.step(budget - dueTaken, now);
  };

  it('gets a tenth of the budget when due payments would take it all, and so finishes', async () => {
    // Three pages, a budget of one request a round: a page every tenth round.
    const transactions = Array.from({ length: 250 }, (_, i) => refunded(i, i * 1000));
    const { sweep, calls, starvedRounds } = world(transactions);
    const done = sweep.sweepNow();
    for (let n = 0; n < 30; n++) await round(sweep, 1, NOW + n * 1000);
    expect(calls).toHaveLength(3);
    // Every round but the three that listed a page, the nine before the first included: the metric's count.
    expect(await done).toMatchObject({ pages: 3, listed: 250, recorded: 250, starvedRounds: 27 });
    expect(await starvedRounds()).toBe(27);
  });

  it('keeps two requests of twenty a round while it is pending, and none once it is done', async () => {
    const { sweep, calls } = world([refunded(1, HOUR)]);
    expect(sweep.reserve(20, NOW)).toBe(2);
    await sweep.step(2, NOW);
    expect(calls).toHaveLength(1);
    // Done, and not due again for an hour: the due payments get the whole budget.
    expect(sweep.reserve(20, NOW + 1000)).toBe(0);
    expect(sweep.reserve(20, NOW + HOUR)).toBe(2);
  });

  /** A round with a budget of one request that the due payments take whole: the share kept is not a request yet. */
  const roundWithNothing = async (sweep: RefundSweep, now: number) => {
    expect(sweep.reserve(1, now)).toBe(0);
    await sweep.step(0, now);
  };

  it('counts every round due payments leave a pending sweep nothing, and warns of it once a sweep', async () => {
    const { sweep, warnings, starvedRounds } = world([refunded(1, HOUR)]);
    await roundWithNothing(sweep, NOW);
    await roundWithNothing(sweep, NOW + 1000);
    expect(await starvedRounds()).toBe(2);
    expect(warnings).toEqual([
      'refund sweep due: due payments took the whole rate budget (RECONCILER_MAX_PER_SECOND) this round; it goes on ' +
        'with its reserved share, a tenth of the budget',
    ]);
    await sweep.step(1, NOW + 2000);
    // Done: the next sweep is not due for an hour, and a round without budget meanwhile starves nothing.
    await roundWithNothing(sweep, NOW + 3000);
    expect(await starvedRounds()).toBe(2);
    await roundWithNothing(sweep, NOW + HOUR);
    expect(warnings).toHaveLength(2);
  });

  it('counts no starved round, and warns of none, on an instance that leaves the sweep to the lease holder', async () => {
    // A budget of one request a round, all of it wanted by due payments, on an instance another one sweeps for: its
    // share builds up to a request every tenth round, which finds the lease held, and it waits a lease to ask again.
    const { sweep, calls, warnings, starvedRounds, heldElsewhere } = world([refunded(1, HOUR)]);
    heldElsewhere();
    for (let n = 0; n < 120; n++) await round(sweep, 1, NOW + n * 1000);
    expect(calls).toHaveLength(0);
    expect(await starvedRounds()).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('counts no round in which the sweep fell due after the round had set its share aside', async () => {
    // Due at NOW: the round's share was set aside just before (none, nothing pending), and its budget went to due
    // payments. The sweep is kept its share from the next round on; this one did not starve it.
    const { sweep, calls, warnings, starvedRounds } = world([refunded(1, HOUR)]);
    expect(sweep.reserve(20, NOW - 1)).toBe(0);
    await sweep.step(0, NOW);
    expect(await starvedRounds()).toBe(0);
    expect(warnings).toEqual([]);
    expect(sweep.reserve(20, NOW + 1000)).toBe(2);
    await sweep.step(2, NOW + 1000);
    expect(calls).toHaveLength(1);
  });
});

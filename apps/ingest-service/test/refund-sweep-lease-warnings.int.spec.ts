import { Logger } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import type { DinteroClient, DinteroTransaction, TransactionFilters } from '@app/dintero';
import { paymentMetrics } from '@app/platform';
import { loggedLines } from '../../../test/support/logged-lines';
import { backedOffLines } from '../../../test/support/outage-warnings';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/projections';
import type { PaymentFacts } from '../src/facts/payment-facts.service';
import { RefundSweep } from '../src/reconciler/refund-sweep';
import { SettleLeases } from '../src/reconciler/settle-leases';
import { ourOrigin } from '../src/webhook/our-callback-url';

const NOW = Date.parse('2026-12-06T12:00:00Z');
/** More pages than the test's rounds list: the sweep is under way throughout. */
const PAGES = 310;

/**
 * A refund sweep under way renews its lease before each page it lists, a page or more each reconciler round, and
 * sweeps all the same when NATS does not answer. While NATS was gone each page's renewal was a warning: one a round
 * for as long as the sweep went on. Now they back off as the projector's lease's do (`OutageWarnings`), on the
 * round's clock. The lease is on a NATS connection since closed, Dintero's list a stand-in of other webshops'
 * refunds (none this engine's, so nothing is recorded); a round a second on the test's clock: no sleeps.
 */
describe('the refund sweep’s lease warnings while NATS is gone', () => {
  const prefix = uniquePrefix();
  let nats: NatsConnection;
  beforeAll(async () => {
    // Gathered (`loggedLines`), not printed: before, this test printed 300 warnings.
    Logger.overrideLogger(false);
    nats = await connect({ servers: NATS_URL });
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await nats.close();
    await removeNatsState(prefix);
  });

  /** Dintero's list of refunded in-person transactions, newest first, paged by `starting_after`: another shop's. */
  const transactions: DinteroTransaction[] = Array.from(
    { length: PAGES * 100 },
    (_, n) =>
      ({
        id: `T1.${n}`,
        created_at: new Date(NOW - n * 1_000).toISOString(),
        merchant_reference_2: `webshop-order-${n}`,
        url: { callback_url: 'http://webshop.example/callback' },
      }) as unknown as DinteroTransaction,
  );
  let listed = 0;
  const dintero = {
    listTransactions: (filters: TransactionFilters) => {
      listed += 1;
      const from = filters.startingAfter ? transactions.findIndex((tx) => tx.id === filters.startingAfter) + 1 : 0;
      return Promise.resolve(transactions.slice(from, from + (filters.limit ?? 100)));
    },
  } as unknown as DinteroClient;
  const facts = {} as PaymentFacts;

  it('says the first failed renewal, then at doubling intervals up to a minute with how many failed since, and the end once', async () => {
    const gone = await connect({ servers: NATS_URL });
    let leases = await SettleLeases.open(gone, prefix, 30_000);
    await gone.close();
    const sweep = new RefundSweep(
      { everyMs: 3_600_000, windowMs: 14 * 86_400_000, leaseMs: 30_000, ourOrigin: ourOrigin('http://ingest.example') },
      dintero,
      facts,
      () => leases,
      paymentMetrics(new Registry()),
      new Logger('ReconcilerService'),
      NOW,
    );
    const warnings = loggedLines('warn');
    const lines = loggedLines('log');
    const failed = 'could not take the refund sweep lease: sweeping anyway';

    // Five minutes of NATS gone, a round a second listing a page each: 300 failed renewals, every page listed.
    let round = 0;
    for (; round < 300; round++) await sweep.step(1, NOW + round * 1_000);
    expect(listed).toBe(300);
    const said = backedOffLines(warnings, failed);
    for (const { fields } of said) {
      expect(fields.correlationId).toBe('reconciler-refund-sweep');
      expect(String(fields.err)).toMatch(/closed/i);
    }
    expect(warnings).toHaveLength(said.length);

    // NATS answers again: the next renewal is said once, with the whole outage, and no more after.
    leases = await SettleLeases.open(nats, prefix, 30_000);
    for (const last = round + 2; round < last; round++) await sweep.step(1, NOW + round * 1_000);
    expect(lines.map(({ msg }) => msg)).toEqual(['the refund sweep lease taken again: NATS answers again']);
    expect(lines.map(({ fields }) => fields)).toEqual([
      { correlationId: 'reconciler-refund-sweep', failures: 300, failedSinceLastLine: 56, failingForMs: 300_000 },
    ]);
    expect(warnings).toHaveLength(said.length);
  });
});

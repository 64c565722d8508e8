import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY } from '@app/platform';
import { waitUntil } from '../../../test/support/app-process';
import { startIngestService, type RunningIngestService } from '../../../test/support/ingest-service';
import { event } from '../../../test/support/payment-events';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/nats-state';
import { startSimulator, type RunningSimulator } from '../../../test/support/simulator';
import type { LeasedLogWorker } from '../src/fleet/leased-log-worker';
import { TerminalStatusFollower } from '../src/fleet/terminal-status.follower';
import { OperationsReconciler } from '../src/operations/operations-reconciler.service';
import { SettleLeases } from '../src/reconciler/settle-leases';

async function counter(ingest: RunningIngestService, name: string, labels: Record<string, string>): Promise<number> {
  const metric = ingest.app.get<Registry>(METRICS_REGISTRY).getSingleMetric(name)!;
  const { values } = await metric.get();
  return values.find((value) => Object.entries(labels).every(([key, v]) => value.labels[key] === v))?.value ?? 0;
}

/**
 * One ingest instance, stopped and started again: each start is a holder of its own, so the leases the first held
 * (a due payment's until its next look, the refund sweep's until the next sweep) were another's to the second,
 * which waited for them and counted every look as `leased_elsewhere`. A stopping instance gives them up.
 */
describe('the reconciler leases of one instance started again', () => {
  const prefix = uniquePrefix();
  const dir = mkdtempSync(path.join(tmpdir(), 'leases-at-restart-'));
  let sim: RunningSimulator;
  let nats: NatsConnection;
  const start = () =>
    startIngestService({
      EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`,
      NATS_PREFIX: prefix,
      DINTERO_API_URL: sim.url,
      DINTERO_CHECKOUT_URL: sim.url,
      DINTERO_CALLBACK_SECRET: 'callback-secret',
      DINTERO_WEBHOOK_SECRET: 'webhook-secret',
      RECONCILER_GRACE_SECONDS: '0',
    });

  beforeAll(async () => {
    sim = await startSimulator();
    nats = await connect({ servers: NATS_URL.split(',') });
  });
  afterAll(async () => {
    await nats?.close();
    await sim?.close();
    await removeNatsState(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  /** A payment past its session, due to the reconciler at once. */
  const duePayment = async (ingest: RunningIngestService) => {
    const paymentId = randomUUID();
    const past = new Date(Date.now() - 60_000).toISOString();
    const ids = { paymentId, storeId: 'restart-store', terminalId: 'RS-1' };
    const data = { ...ids, amount: 1_000, currency: 'NOK', merchantReference: 'R-1', posClientId: 'restart' };
    await ingest.log.append(
      `payment-${paymentId}`,
      [event('PaymentRequested', { ...data, claimId: paymentId, requestedAt: past, expiresAt: past }, ids)],
      { expectedRevision: 'no_stream' },
    );
  };
  /** Every due payment's look, whatever came of it. */
  const looks = async (ingest: RunningIngestService) => {
    let total = 0;
    for (const result of ['settled', 'still_open', 'failed', 'leased_elsewhere'])
      total += await counter(ingest, 'payments_reconciler_payments_total', { result });
    return total;
  };

  /**
   * An item's lease taken by each of the fleet's services (`LeasedLogWorker`; the nightly close is off in tests) of
   * `ingest`, as their rounds take them, held from `other`: their keys.
   */
  const holdFleetItems = async (ingest: RunningIngestService, other: SettleLeases) => {
    const held = [
      [OperationsReconciler, `operation.${randomUUID()}`],
      [TerminalStatusFollower, `terminal-status.restart-store.${randomUUID()}`],
    ] as const;
    for (const [service, key] of held) {
      const { worker } = ingest.app.get<object>(service) as { worker: LeasedLogWorker };
      expect(await worker.mayTake(key)).toBe(true);
      expect(await other.take(key)).toBe(false);
    }
    return held.map(([, key]) => key);
  };

  it('counts no lease of its own earlier run as held elsewhere, keeps the time of the next refund sweep, frees the fleet’s items', async () => {
    const first = await start();
    await waitUntil(
      async () => (await counter(first, 'payments_reconciler_refund_sweeps_total', { result: 'completed' })) === 1,
      10_000,
      'the first run’s refund sweep',
    );
    // The fleet's services give theirs up too, not a lease (RECONCILER_LEASE_SECONDS, 30 s) later.
    const other = await SettleLeases.open(nats, prefix, 30_000);
    const fleetItems = await holdFleetItems(first, other);
    await first.close();
    for (const key of fleetItems) expect(await other.take(key)).toBe(true);

    const second = await start();
    try {
      // Two rounds of the second run: the first's refund sweep step is over once the second round has looked.
      for (let round = 1; round <= 2; round++) {
        await duePayment(second);
        await waitUntil(async () => (await looks(second)) >= round, 10_000, `a look of round ${round}`);
      }
      expect(await counter(second, 'payments_reconciler_refund_sweeps_total', { result: 'leased_elsewhere' })).toBe(0);
      // The sweep that ran less than RECONCILER_REFUND_SWEEP_MINUTES ago is not run again at every start.
      expect(await counter(second, 'payments_reconciler_refund_sweeps_total', { result: 'completed' })).toBe(0);
      expect(await counter(second, 'payments_reconciler_payments_total', { result: 'leased_elsewhere' })).toBe(0);
    } finally {
      await second.close();
    }
  });

  it('gives up a payment’s lease held until its next look, for whichever instance looks next', async () => {
    const stopping = await SettleLeases.open(nats, prefix, 30_000, undefined, 600_000);
    const next = await SettleLeases.open(nats, prefix, 30_000, undefined, 600_000);
    const paymentId = randomUUID();
    expect(await stopping.take(paymentId)).toBe(true);
    expect(await stopping.holdUntil(paymentId, Date.now() + 300_000)).toBe(true);
    expect(await next.take(paymentId)).toBe(false);
    await stopping.release();
    expect(await next.take(paymentId)).toBe(true);
  });
});

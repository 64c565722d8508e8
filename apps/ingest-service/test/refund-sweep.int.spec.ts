import { randomUUID } from 'node:crypto';
import { paymentStream, refundsOf, type PaymentState } from '@app/payment-domain';
import { SimulatorState } from '../../dintero-simulator/src/state/simulator-state';
import { PaymentFacts } from '../src/facts/payment-facts.service';
import { ReconcilerService } from '../src/reconciler/reconciler.service';
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY } from '@app/platform';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startIngestService, type RunningIngestService } from '../../../test/support/ingest-service';
import { simulatorClient } from '../../../test/support/simulator';

/**
 * A refund made in Dintero's Backoffice of one of this engine's payments, whose webhook and callback are lost, with
 * no refund of ours under way: the reconciler's refund sweep lists Dintero's refunded transactions and records it,
 * once. Sweeps are started by hand here (`sweepRefundsNow`), so that each test knows which sweep saw what; the
 * schedule is off, the one at start included.
 */
describe("the reconciler's refund sweep", () => {
  let engine: Engine;
  let terminalNo = 0;

  beforeAll(async () => {
    engine = await startEngine({ ingest: { RECONCILER_REFUND_SWEEP_MINUTES: '0' } });
  });
  afterAll(() => engine.close());

  const sweep = () => engine.ingest.app.get(ReconcilerService).sweepRefundsNow();
  const nextTerminal = async () => {
    const terminalId = `S-${++terminalNo}`;
    await engine.terminals('sweep-store', terminalId);
    return terminalId;
  };
  const captured = async () => {
    const terminalId = await nextTerminal();
    const { paymentId, sessionId } = (await engine.start('sweep-store', terminalId, 10_000)) as {
      paymentId: string;
      sessionId: string;
    };
    await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
    await engine.waitForPayment(paymentId, (s: PaymentState) => s.status === 'captured', 'the capture');
    await engine.terminalFree(terminalId);
    const transactionId = engine.sim.app.get(SimulatorState).sessions.get(sessionId)!.transaction_id!;
    return { paymentId, terminalId, transactionId };
  };
  /** Given back in Dintero's Backoffice, its webhook and callback lost. */
  const backofficeRefund = async (terminalId: string, transactionId: string, amount: number) => {
    await engine.sim.control('PUT', '/chaos', { terminalId, dropRate: 1 });
    await simulatorClient(engine.sim).refund(transactionId, {
      amount,
      terminalId,
      refundReference: `backoffice-${randomUUID()}`,
    });
  };
  const elsewhere = async (paymentId: string) =>
    (await engine.log.readStream(paymentStream(paymentId)))
      .filter((event) => event.type === 'ExternalRefundRecorded')
      .map((event) => event.data);

  it('records a Backoffice refund of a sale whose webhook never came, once; a second sweep records nothing', async () => {
    const { paymentId, terminalId, transactionId } = await captured();
    await backofficeRefund(terminalId, transactionId, 4_000);
    expect(await elsewhere(paymentId)).toEqual([]);

    const first = await sweep();
    expect(first).toMatchObject({ recorded: 1, notInLog: 0, failed: 0 });
    expect(first.ours).toBeGreaterThanOrEqual(1);
    expect(await elsewhere(paymentId)).toEqual([
      expect.objectContaining({ transactionId, amount: 4_000, refundedElsewhere: 4_000 }),
    ]);

    const second = await sweep();
    expect(second).toMatchObject({ listed: first.listed, ours: first.ours, recorded: 0 });
    expect(await elsewhere(paymentId)).toHaveLength(1);
  }, 60_000);

  it('records a Backoffice reversal of a late capture whose webhook never came, once', async () => {
    const terminalId = await nextTerminal();
    // Cancelled in the log while the terminal still took the card: captured late.
    await engine.sim.control('PUT', '/chaos', { terminalId, dropRate: 1 });
    const { paymentId } = (await engine.start('sweep-store', terminalId, 10_000)) as { paymentId: string };
    await engine.ingest.app
      .get(PaymentFacts)
      .recordError(paymentId, 'cancelled', { source: 'callback', correlationId: `late-${paymentId}` });
    await engine.sim.control('PUT', '/chaos', { terminalId });
    await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
    const state = await engine.waitForPayment(
      paymentId,
      (s) => s.status === 'cancelled' && Object.keys(s.lateCaptured).length > 0,
      'the late capture',
    );
    const [transactionId] = Object.keys(state.status === 'none' ? {} : state.lateCaptured) as [string];
    await engine.terminalFree(terminalId);
    await backofficeRefund(terminalId, transactionId, 10_000);

    expect(await sweep()).toMatchObject({ recorded: 1, failed: 0 });
    expect(await elsewhere(paymentId)).toEqual([
      expect.objectContaining({ transactionId, amount: 10_000, refundedElsewhere: 10_000, lateCapture: true }),
    ]);
    expect(await sweep()).toMatchObject({ recorded: 0 });
    expect(await elsewhere(paymentId)).toHaveLength(1);
  }, 60_000);

  it('does not take a refund of ours for one made elsewhere', async () => {
    const { paymentId } = await captured();
    const refundTerminal = await nextTerminal();
    const response = await engine.command.fetch(`/v1/terminal-payments/${paymentId}/refunds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ amount: 3_000, terminalId: refundTerminal }),
    });
    expect(response.status).toBeLessThan(300);
    await engine.waitForPayment(
      paymentId,
      (s) => Object.values(refundsOf(s)).some((refund) => refund.status === 'succeeded'),
      'our refund',
    );
    const before = (await engine.log.readStream(paymentStream(paymentId))).length;

    const summary = await sweep();
    expect(summary).toMatchObject({ recorded: 0, failed: 0 });
    expect(summary.ours).toBeGreaterThanOrEqual(1);
    expect(await elsewhere(paymentId)).toEqual([]);
    expect(await engine.log.readStream(paymentStream(paymentId))).toHaveLength(before);
  }, 60_000);
});

/**
 * Several ingest instances over one log and one NATS prefix, each sweeping at start and then hourly: one sweeps, and
 * the others, asking for the sweep's lease every second (`RECONCILER_LEASE_SECONDS`), find it held until the next
 * sweep is due and do not sweep.
 */
describe("the reconciler's refund sweep on several instances", () => {
  let engine: Engine;
  const instances: RunningIngestService[] = [];

  beforeAll(async () => {
    engine = await startEngine({ ingest: { RECONCILER_ENABLED: 'false' } });
  });
  afterAll(async () => {
    for (const instance of instances) await instance.close();
    await engine.close();
  });

  const sweeps = async (instance: RunningIngestService, result: string) => {
    const text = await instance.app
      .get<Registry>(METRICS_REGISTRY)
      .getSingleMetricAsString('payments_reconciler_refund_sweeps_total');
    const line = text
      .split('\n')
      .find(
        (each) => each.startsWith(`payments_reconciler_refund_sweeps_total{`) && each.includes(`result="${result}"`),
      );
    return line === undefined ? 0 : Number(line.split(' ').at(-1));
  };

  it('sweeps on one instance only, the others leaving it to it until the next is due', async () => {
    for (let i = 0; i < 3; i++)
      instances.push(
        await startIngestService({
          EVENT_STORE_URL: `sqlite:${engine.eventStoreFile}`,
          NATS_PREFIX: engine.prefix,
          DINTERO_API_URL: engine.sim.url,
          DINTERO_CHECKOUT_URL: engine.sim.url,
          RECONCILER_LEASE_SECONDS: '1',
        }),
      );
    const completed = async () => {
      let sum = 0;
      for (const instance of instances) sum += await sweeps(instance, 'completed');
      return sum;
    };
    await waitUntil(async () => (await completed()) >= 1, 20_000, 'a sweep done');
    const sweeper: RunningIngestService[] = [];
    for (const instance of instances) if ((await sweeps(instance, 'completed')) > 0) sweeper.push(instance);
    expect(sweeper).toHaveLength(1);
    // Each other instance asks twice more after the sweep was done, and is told no both times.
    const others = instances.filter((instance) => instance !== sweeper[0]);
    const refusedBefore = await Promise.all(others.map((instance) => sweeps(instance, 'leased_elsewhere')));
    await waitUntil(
      async () => {
        const refused = await Promise.all(others.map((instance) => sweeps(instance, 'leased_elsewhere')));
        return refused.every((count, i) => count >= refusedBefore[i]! + 2);
      },
      20_000,
      'the other instances asking for the lease again',
    );
    expect(await completed()).toBe(1);
  }, 60_000);
});

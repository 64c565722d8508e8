import { randomUUID } from 'node:crypto';
import { paymentStream, refundsOf, type PaymentState } from '@app/payment-domain';
import { SimulatorState } from '../../dintero-simulator/src/state/simulator-state';
import { PaymentFacts } from '../src/facts/payment-facts.service';
import { ReconcilerService } from '../src/reconciler/reconciler.service';
import { startEngine, type Engine } from '../../../test/support/engine';
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

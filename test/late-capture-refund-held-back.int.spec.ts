import { randomUUID } from 'node:crypto';
import { DINTERO_CLIENT, type DinteroClient } from '@app/dintero';
import { handleCommand } from '@app/event-store';
import { paymentDecider, paymentStream } from '@app/payment-domain';
import { waitUntil } from './support/app-process';
import { startEngine, type Engine } from './support/engine';
import { gate } from './support/gate';
import { simulatorClient } from './support/simulator';
import { PaymentFacts } from '../apps/ingest-service/src/facts/payment-facts.service';

/**
 * A refund made in Dintero's Backoffice of a late capture, held back while a refund of ours of it might have been it,
 * against the real apps and the simulator as Dintero: once ours is failed (for Dintero's silence, or by Dintero's no),
 * the Backoffice's is recorded, though Dintero sends nothing more of a transaction that no longer changes.
 */
describe('a refund made elsewhere of a late capture, held back for one of ours that then failed', () => {
  let engine: Engine;

  beforeAll(async () => {
    engine = await startEngine({
      ingest: { RECONCILER_GRACE_SECONDS: '0', RECONCILER_UNKNOWN_DELAY_SECONDS: '0', RECONCILER_INTERVAL_MS: '100' },
    });
  });
  afterAll(() => engine.close());

  /** A payment cancelled in the log while its terminal still took the card: captured late. */
  const capturedLate = async (storeId: string) => {
    const [payTerminal, refundTerminal] = [`${storeId}-T1`, `${storeId}-T2`];
    await engine.terminals(storeId, payTerminal, refundTerminal);
    // Cancelled in the log while the terminal still took the card: captured late.
    await engine.sim.control('PUT', '/chaos', { terminalId: payTerminal, dropRate: 1 });
    const { paymentId } = (await engine.start(storeId, payTerminal, 10_000)) as { paymentId: string };
    await engine.ingest.app
      .get(PaymentFacts)
      .recordError(paymentId, 'cancelled', { source: 'callback', correlationId: storeId });
    await engine.sim.control('PUT', '/chaos', { terminalId: payTerminal });
    await engine.sim.control('POST', `/terminals/${payTerminal}/present`, {});
    const state = await engine.waitForPayment(
      paymentId,
      (s) => s.status === 'cancelled' && Object.keys(s.lateCaptured).length > 0,
      'the late capture',
    );
    const [transactionId] = Object.keys(state.status === 'none' ? {} : state.lateCaptured) as [string];
    return { paymentId, payTerminal, refundTerminal, transactionId };
  };
  const events = async (paymentId: string) => await engine.log.readStream(paymentStream(paymentId));
  const recordedElsewhere = async (paymentId: string) =>
    (await events(paymentId)).filter((e) => e.type === 'ExternalRefundRecorded').map((e) => e.data);

  it('records the Backoffice refund once ours is failed for silence', async () => {
    const { paymentId, payTerminal, refundTerminal, transactionId } = await capturedLate('late-silent');
    // 4_000 given back in Dintero's Backoffice, and no word of it reaches ingest.
    for (const terminalId of [payTerminal, refundTerminal])
      await engine.sim.control('PUT', '/chaos', { terminalId, dropRate: 1 });
    await simulatorClient(engine.sim).refund(transactionId, {
      amount: 4_000,
      terminalId: refundTerminal,
      refundReference: 'backoffice-silent',
    });
    // A refund of ours of 6_000 of it, asked for and never sent: Dintero has no trace of it. While it is unsettled,
    // the Backoffice's 4_000 may be it, and is held back; the reconciler then fails ours for Dintero's silence.
    const at = new Date().toISOString();
    await handleCommand(
      engine.log,
      paymentStream(paymentId),
      paymentDecider,
      {
        type: 'RequestRefund',
        data: {
          refundId: 'r-silent',
          amount: 6_000,
          transactionId,
          terminalId: refundTerminal,
          claimId: 'r-silent',
          by: 'till-1',
          at,
        },
      },
      { metadata: { correlationId: 'late-silent-refund' } },
    );
    await waitUntil(
      async () => (await events(paymentId)).some((e) => e.type === 'RefundFailed'),
      10_000,
      'ours failed for silence',
    );
    await waitUntil(
      async () => (await recordedElsewhere(paymentId)).length > 0,
      5_000,
      'the Backoffice refund recorded once ours is failed',
    );
    expect(await recordedElsewhere(paymentId)).toEqual([
      expect.objectContaining({ transactionId, amount: 4_000, refundedElsewhere: 4_000, lateCapture: true }),
    ]);
  });

  it('records the Backoffice refund once Dintero refuses ours, which it left nothing to give back', async () => {
    const { paymentId, payTerminal, refundTerminal, transactionId } = await capturedLate('late-refused');
    // The POS refunds the late capture in full; its call to Dintero is held up.
    const sending = gate(engine.command.app.get<DinteroClient>(DINTERO_CLIENT), 'refund', 'before');
    const answer = engine.command.fetch(`/v1/terminal-payments/${paymentId}/refunds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ amount: 10_000, terminalId: refundTerminal, transactionId }),
    });
    await sending.reached;
    // Meanwhile it is given back in full in Dintero's Backoffice, and the transaction's webhook is read while ours
    // is unsettled: what ours may turn out to be is held back, and nothing is recorded.
    for (const terminalId of [payTerminal, refundTerminal])
      await engine.sim.control('PUT', '/chaos', { terminalId, dropRate: 1 });
    await simulatorClient(engine.sim).refund(transactionId, {
      amount: 10_000,
      terminalId: refundTerminal,
      refundReference: 'backoffice-refused',
    });
    const read = await engine.ingest.app
      .get(PaymentFacts)
      .recordTransactionById(paymentId, transactionId, { source: 'webhook', correlationId: 'late-refused-webhook' });
    expect(read.recorded).toEqual([]);
    // Dintero refuses ours: nothing is left to refund. The transaction does not change, and no webhook comes again.
    sending.open();
    expect(await (await answer).json()).toMatchObject({ status: 'failed' });
    await waitUntil(
      async () => (await recordedElsewhere(paymentId)).length > 0,
      5_000,
      'the Backoffice refund recorded once ours is refused',
    );
    expect(await recordedElsewhere(paymentId)).toEqual([
      expect.objectContaining({ transactionId, amount: 10_000, refundedElsewhere: 10_000, lateCapture: true }),
    ]);
  });
});

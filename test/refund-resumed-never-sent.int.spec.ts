import { paymentStream } from '@app/payment-domain';
import { startEngine, type Engine } from './support/engine';
import { capturedPayment, refundRecorded, resumeRefund } from './support/refund-runs';
import { simulatorClient } from './support/simulator';
import { PaymentFacts } from '../apps/ingest-service/src/facts/payment-facts.service';

/**
 * A refund of ours recorded and never sent (its run died), resumed after its hold on the terminal lapsed: failed as
 * never sent. A refund made in Dintero's Backoffice meanwhile, held back while ours might have been it, is recorded
 * then, as when Dintero refuses ours or the reconciler fails it for Dintero's silence.
 */
describe('a resumed refund failed as never sent reads its transaction for refunds made elsewhere', () => {
  let engine: Engine;

  beforeAll(async () => {
    // Nothing else reads the transaction: the reconciler is off, and the Backoffice refund's webhook is lost.
    engine = await startEngine({ ingest: { RECONCILER_ENABLED: 'false' } });
  });
  afterAll(() => engine.close());

  it('records the Backoffice refund held back for it, once', async () => {
    const terminalId = 'R-1';
    const { paymentId, transactionId } = await capturedPayment(engine, 'resume-store', terminalId);
    // Ours of 6_000, recorded and never sent; its run died, and its terminal claim is gone.
    const refundId = await refundRecorded(engine.log, paymentId, { amount: 6_000, terminalId }, 'resumed-refund');
    // 4_000 given back in Dintero's Backoffice; its webhook, read while ours is unsettled, holds it back.
    await engine.sim.control('PUT', '/chaos', { terminalId, dropRate: 1 });
    await simulatorClient(engine.sim).refund(transactionId, {
      amount: 4_000,
      terminalId,
      refundReference: `backoffice-${refundId}`,
    });
    const read = await engine.ingest.app
      .get(PaymentFacts)
      .recordTransactionById(paymentId, transactionId, { source: 'webhook', correlationId: 'held-back' });
    expect(read.recorded).toEqual([]);

    const resumed = await resumeRefund(engine, paymentId, refundId, 'resumed-refund');
    expect(resumed).toMatchObject({ status: 'failed' });
    const events = await engine.log.readStream(paymentStream(paymentId));
    expect(events.filter((e) => e.type === 'ExternalRefundRecorded').map((e) => e.data)).toEqual([
      expect.objectContaining({ transactionId, amount: 4_000, refundedElsewhere: 4_000 }),
    ]);
  }, 60_000);
});

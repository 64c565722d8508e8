import { randomUUID } from 'node:crypto';
import { claimTerminal } from '@app/platform';
import { startEngine, type Engine } from './support/engine';
import { capturedPayment, refundRecorded, resumeRefund } from './support/refund-runs';
import { SimulatorState } from '../apps/dintero-simulator/src/state/simulator-state';

/**
 * The POS's reason for a refund reaches Dintero (`reason` on the refund, beside its `refund_reference`), whether the
 * refund is sent by the request that asked for it or by a run that resumed it after the first died between recording
 * it and sending it: the payment's state does not keep the reason, which the resumed run reads from `RefundRequested`.
 */
describe("a refund's reason reaches Dintero", () => {
  let engine: Engine;
  const storeId = 'reason-store';

  beforeAll(async () => {
    engine = await startEngine({ ingest: { RECONCILER_ENABLED: 'false' } });
  });
  afterAll(() => engine.close());

  const reasonsAtDintero = (transactionId: string) =>
    engine.sim.app.get(SimulatorState).transactions.get(transactionId)?.refundReasons;

  it('sends the reason the POS gave with the refund', async () => {
    const terminalId = 'RR-1';
    const { paymentId, transactionId } = await capturedPayment(engine, storeId, terminalId);
    const response = await engine.command.fetch(`/v1/terminal-payments/${paymentId}/refunds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ amount: 2_500, terminalId, reason: 'damaged goods' }),
    });
    const body = (await response.json()) as { refundId: string; status: string };
    expect({ status: response.status, refund: body.status }).toEqual({ status: 201, refund: 'succeeded' });
    expect(reasonsAtDintero(transactionId)).toEqual({ [body.refundId]: 'damaged goods' });
  }, 60_000);

  it('sends the recorded reason with a refund resumed before it was sent', async () => {
    const terminalId = 'RR-2';
    const { paymentId, transactionId } = await capturedPayment(engine, storeId, terminalId);
    // Recorded, its terminal held, and never sent: the run that asked for it died there.
    const refundId = randomUUID();
    const at = new Date();
    const metadata = { correlationId: 'resumed-with-reason' };
    await claimTerminal(
      engine.log,
      {
        terminalId,
        claimId: refundId,
        kind: 'refund',
        paymentId,
        storeId,
        claimedAt: at.toISOString(),
        expiresAt: new Date(at.getTime() + 10 * 60_000).toISOString(),
      },
      metadata,
    );
    await refundRecorded(
      engine.log,
      paymentId,
      { refundId, amount: 3_000, terminalId, reason: 'wrong size', at: at.toISOString() },
      metadata.correlationId,
    );

    const resumed = await resumeRefund(engine, paymentId, refundId, 'resumed-with-reason');
    expect(resumed).toMatchObject({ refundId, status: 'succeeded', amount: 3_000 });
    expect(reasonsAtDintero(transactionId)).toEqual({ [refundId]: 'wrong size' });
  }, 60_000);
});

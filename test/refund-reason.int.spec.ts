import { randomUUID } from 'node:crypto';
import { handleCommand } from '@app/event-store';
import { paymentDecider, paymentStream } from '@app/payment-domain';
import { claimTerminal } from '@app/platform';
import { startEngine, type Engine } from './support/engine';
import { SimulatorState } from '../apps/dintero-simulator/src/state/simulator-state';
import { PosClient } from '../apps/command-service/src/auth/pos-client';
import { RefundTerminalPaymentHandler } from '../apps/command-service/src/payments/refund/refund-terminal-payment.handler';

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

  /** A payment captured on the terminal, its terminal free again, and its transaction at the simulator. */
  const captured = async (terminalId: string) => {
    await engine.terminals(storeId, terminalId);
    const { paymentId, sessionId } = (await engine.start(storeId, terminalId, 10_000)) as {
      paymentId: string;
      sessionId: string;
    };
    await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
    await engine.waitForPayment(paymentId, (s) => s.status === 'captured', 'the capture');
    await engine.terminalFree(terminalId);
    const transactionId = engine.sim.app.get(SimulatorState).sessions.get(sessionId)!.transaction_id!;
    return { paymentId, transactionId };
  };
  const reasonsAtDintero = (transactionId: string) =>
    engine.sim.app.get(SimulatorState).transactions.get(transactionId)?.refundReasons;

  it('sends the reason the POS gave with the refund', async () => {
    const terminalId = 'RR-1';
    const { paymentId, transactionId } = await captured(terminalId);
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
    const { paymentId, transactionId } = await captured(terminalId);
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
    await handleCommand(
      engine.log,
      paymentStream(paymentId),
      paymentDecider,
      {
        type: 'RequestRefund',
        data: {
          refundId,
          amount: 3_000,
          terminalId,
          claimId: refundId,
          reason: 'wrong size',
          by: 'till-1',
          at: at.toISOString(),
        },
      },
      { metadata },
    );

    const resumed = await engine.command.app
      .get(RefundTerminalPaymentHandler)
      .resume(paymentId, refundId, () => Promise.reject(new Error('the refund is recorded: not prepared again')), {
        correlationId: 'resumed-with-reason',
        client: new PosClient('till-1', '*', false),
      });
    expect(resumed).toMatchObject({ refundId, status: 'succeeded', amount: 3_000 });
    expect(reasonsAtDintero(transactionId)).toEqual({ [refundId]: 'wrong size' });
  }, 60_000);
});

import { randomUUID } from 'node:crypto';
import { handleCommand, type EventStore } from '@app/event-store';
import { paymentDecider, paymentStream, type PaymentCommand } from '@app/payment-domain';
import type { Engine } from './engine';
import { PosClient } from '../../apps/command-service/src/auth/pos-client';
import type { RefundView } from '../../apps/command-service/src/payments/refund/refund.view';
import { RefundTerminalPaymentHandler } from '../../apps/command-service/src/payments/refund/refund-terminal-payment.handler';

type RequestRefund = Extract<PaymentCommand, { type: 'RequestRefund' }>['data'];

/** A payment of `amount` captured at the terminal through `engine`, its terminal free again. */
export async function capturedPayment(
  engine: Engine,
  storeId: string,
  terminalId: string,
  amount = 10_000,
): Promise<{ readonly paymentId: string; readonly transactionId: string }> {
  await engine.terminals(storeId, terminalId);
  const { paymentId } = (await engine.start(storeId, terminalId, amount)) as { paymentId: string };
  await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
  const captured = await engine.waitForPayment(paymentId, (s) => s.status === 'captured', 'the capture');
  await engine.terminalFree(terminalId);
  if (captured.status !== 'captured') throw new Error(`payment ${paymentId} is ${captured.status}`);
  return { paymentId, transactionId: captured.transactionId };
}

/**
 * A refund of ours recorded (`RequestRefund`, by till-1, its claim named by its id) and never sent: the run that asked
 * for it died there. Its id.
 */
export async function refundRecorded(
  log: EventStore,
  paymentId: string,
  refund: Pick<RequestRefund, 'amount' | 'terminalId'> & Partial<RequestRefund>,
  correlationId: string,
): Promise<string> {
  const refundId = refund.refundId ?? randomUUID();
  const data = { refundId, claimId: refundId, by: 'till-1', at: new Date().toISOString(), ...refund };
  await handleCommand(
    log,
    paymentStream(paymentId),
    paymentDecider,
    { type: 'RequestRefund', data },
    { metadata: { correlationId } },
  );
  return refundId;
}

/** The refund's run taken over after the first died, as till-1 asking again with the same key would (`resume`). */
export function resumeRefund(
  engine: Engine,
  paymentId: string,
  refundId: string,
  correlationId: string,
): Promise<RefundView> {
  return engine.command.app
    .get(RefundTerminalPaymentHandler)
    .resume(paymentId, refundId, () => Promise.reject(new Error('the refund is recorded: not prepared again')), {
      correlationId,
      client: new PosClient('till-1', '*', false),
    });
}

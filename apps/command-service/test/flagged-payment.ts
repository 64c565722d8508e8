import { randomUUID } from 'node:crypto';
import type { EventStore } from '@app/event-store';
import { paymentStream, type PaymentEvent } from '@app/payment-domain';
import { at, requested, sessionCreated } from '../../../libs/payment-domain/test/payment-fixtures';
import type { TestPosClient } from '../../../test/support/pos-clients';

/** A till of oslo-center: it may start and refund payments there, not resolve what was handed to the back office. */
export const TILL: TestPosClient = { id: 'till', key: 'pos_test-till-key', stores: ['oslo-center'] };
/** Another store's back office. */
export const BERGEN: TestPosClient = {
  id: 'bergen-office',
  key: 'pos_test-bergen-key',
  stores: ['bergen'],
  registry: true,
};

export const NOTE = 'Refunded the SEK capture in Dintero Backoffice, case 4711';

/**
 * A captured payment of oslo-center whose further capture in SEK was handed to a person (at(30)), with a refund
 * Dintero accepted and never finished, handed over too (at(90)), written to the service's log.
 */
export async function flaggedPayment(log: EventStore): Promise<{ paymentId: string; refundId: string }> {
  const paymentId = randomUUID();
  const refundId = randomUUID();
  const transactionId = 'T12345678.tx1';
  const events: PaymentEvent[] = [
    { type: 'PaymentRequested', data: { ...requested, paymentId } },
    sessionCreated,
    {
      type: 'PaymentCaptured',
      data: { transactionId, amount: 30_000, currency: 'NOK', source: 'callback', at: at(20) },
    },
    {
      type: 'PaymentFlaggedForReview',
      data: {
        reason: 'not_settleable',
        transactionId,
        since: at(30),
        problem: 'in SEK',
        capturedAmount: 35_000,
        at: at(30),
      },
    },
    {
      type: 'RefundRequested',
      data: {
        refundId,
        amount: 10_000,
        currency: 'NOK',
        terminalId: 'T-1',
        claimId: refundId,
        by: 'till',
        at: at(40),
      },
    },
    { type: 'RefundAccepted', data: { refundId, source: 'command-service', at: at(41) } },
    {
      type: 'RefundFlaggedForReview',
      data: {
        refundId,
        amount: 10_000,
        currency: 'NOK',
        terminalId: 'T-1',
        reason: 'not_final',
        since: at(40),
        at: at(90),
      },
    },
  ];
  await log.append(
    paymentStream(paymentId),
    events.map(({ type, data }) => ({ type, data, metadata: { correlationId: 'c-1' } })),
    { expectedRevision: 'no_stream' },
  );
  return { paymentId, refundId };
}

/** An open payment of oslo-center whose transaction Dintero called UNKNOWN, handed to a person at(59). */
export async function paymentInDoubt(log: EventStore): Promise<{ paymentId: string; transactionId: string }> {
  const paymentId = randomUUID();
  const transactionId = 'T12345678.tx1';
  const events: PaymentEvent[] = [
    { type: 'PaymentRequested', data: { ...requested, paymentId } },
    sessionCreated,
    { type: 'TransactionOutcomeUnknown', data: { transactionId, source: 'reconciler', at: at(20) } },
    {
      type: 'PaymentFlaggedForReview',
      data: { reason: 'outcome_unknown', transactionId, since: at(20), at: at(59) },
    },
  ];
  await log.append(
    paymentStream(paymentId),
    events.map(({ type, data }) => ({ type, data, metadata: { correlationId: 'c-1' } })),
    { expectedRevision: 'no_stream' },
  );
  return { paymentId, transactionId };
}

import { randomUUID } from 'node:crypto';
import type { EventStore, ExpectedRevision } from '@app/event-store';
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
 * `flaggedPayment`'s further capture in SEK handed to a person at `second`, `capturedAmount` captured in SEK by then:
 * at(30) first, and again when more is captured since.
 */
export const captureFlagged = (capturedAmount: number, second: number): PaymentEvent => ({
  type: 'PaymentFlaggedForReview',
  data: {
    reason: 'not_settleable',
    transactionId: 'T12345678.tx1',
    since: at(30),
    problem: 'in SEK',
    capturedAmount,
    at: at(second),
  },
});

/** `flaggedPayment`'s refund, which Dintero accepted and never finished, handed to a person at `second`. */
export const refundFlagged = (refundId: string, second: number): PaymentEvent => ({
  type: 'RefundFlaggedForReview',
  data: {
    refundId,
    amount: 10_000,
    currency: 'NOK',
    terminalId: 'T-1',
    reason: 'not_final',
    since: at(40),
    at: at(second),
  },
});

/** `events` written to the payment's stream as ingest records them, under one correlation id. */
export async function appendToPayment(
  log: EventStore,
  paymentId: string,
  events: readonly PaymentEvent[],
  correlationId: string,
  expectedRevision: ExpectedRevision,
): Promise<void> {
  await log.append(
    paymentStream(paymentId),
    events.map(({ type, data }) => ({ type, data, metadata: { correlationId } })),
    { expectedRevision },
  );
}

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
    captureFlagged(35_000, 30),
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
    refundFlagged(refundId, 90),
  ];
  await appendToPayment(log, paymentId, events, 'c-1', 'no_stream');
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
  await appendToPayment(log, paymentId, events, 'c-1', 'no_stream');
  return { paymentId, transactionId };
}

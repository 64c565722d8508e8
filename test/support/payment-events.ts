// The events of generated payments, as the engine writes them: what the projection and dashboard benchmarks,
// and the projector failover test, fill their logs with.
import { randomUUID } from 'node:crypto';
import type { NewEvent } from '@app/event-store';

const meta = (ids: Record<string, string>) => ({
  correlationId: randomUUID(),
  occurredAt: new Date().toISOString(),
  ...ids,
});
export const event = (type: string, data: Record<string, unknown>, ids: Record<string, string>): NewEvent => ({
  type,
  data,
  metadata: meta(ids),
});

/**
 * One payment's appends, in log order: claim, request and session, outcome, release (and a refund now and
 * then). `n` picks its amount and outcome: 80 % captured, 10 % declined, 5 % cancelled, 5 % expired.
 */
export function paymentEvents(
  n: number,
  where: { readonly storeId: string; readonly terminalId: string },
  at: number,
): { stream: string; events: NewEvent[] }[] {
  const paymentId = randomUUID();
  const ids = { paymentId, ...where };
  const time = new Date(at).toISOString();
  const amount = 1_000 + (n % 97) * 100;
  const outcome = n % 20;
  const card = {
    brand: ['VISA', 'MASTERCARD', 'AMEX'][n % 3],
    entryMethod: ['contactless', 'chip', 'magstripe'][n % 3],
  };
  const ending: NewEvent =
    outcome < 16
      ? event(
          'PaymentCaptured',
          { transactionId: `tx-${n}`, amount, currency: 'NOK', card, source: 'callback', at: time },
          ids,
        )
      : outcome < 18
        ? event('PaymentDeclined', { reason: 'declined', source: 'callback', at: time }, ids)
        : outcome < 19
          ? event('PaymentCancelled', { by: 'customer', source: 'callback', at: time }, ids)
          : event('PaymentExpired', { source: 'reconciler', at: time }, ids);
  const claim = { terminalId: ids.terminalId, claimId: paymentId, paymentId, storeId: ids.storeId };
  const appends = [
    {
      stream: `terminal-${ids.terminalId}`,
      events: [event('TerminalClaimed', { ...claim, kind: 'payment', claimedAt: time, expiresAt: time }, ids)],
    },
    {
      stream: `payment-${paymentId}`,
      events: [
        event(
          'PaymentRequested',
          {
            ...ids,
            amount,
            currency: 'NOK',
            merchantReference: `R-${n}`,
            posClientId: 'bench',
            claimId: paymentId,
            requestedAt: time,
            expiresAt: time,
          },
          ids,
        ),
        event('SessionCreated', { sessionId: `s-${n}`, expiresAt: time, at: time }, ids),
        ending,
      ],
    },
    {
      stream: `terminal-${ids.terminalId}`,
      events: [event('TerminalReleased', { ...claim, reason: 'finished', at: time }, ids)],
    },
  ];
  if (outcome === 0) {
    const refundId = randomUUID();
    appends.push({
      stream: `payment-${paymentId}`,
      events: [
        event(
          'RefundRequested',
          { refundId, amount: 500, terminalId: ids.terminalId, claimId: refundId, by: 'bench', at: time },
          ids,
        ),
        event('RefundSucceeded', { refundId, source: 'command-service', at: time }, ids),
      ],
    });
  }
  return appends;
}

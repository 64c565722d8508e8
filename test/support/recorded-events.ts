import { randomUUID } from 'node:crypto';
import type { NewEvent, RecordedEvent } from '@app/event-store';

/** Recorded events for pure tests of log consumers: each call is the next position in the log. */
export function logOfEvents() {
  let position = 0n;
  return (streamName: string, type: string, data: Record<string, unknown>): RecordedEvent => ({
    id: `e-${++position}`,
    type,
    data,
    metadata: {},
    streamName,
    revision: 0,
    position,
  });
}

/** A store's registration as the command service records it, for tests that write the log themselves. */
export function storeRegistered(storeId: string, at = new Date().toISOString()): NewEvent {
  return {
    id: randomUUID(),
    type: 'StoreRegistered',
    data: { storeId, name: storeId, payoutDestinationId: 'p', timeZone: 'Europe/Oslo', currencies: ['NOK'], at },
  };
}

/**
 * A payment on `terminalId` of store `oslo`, captured at `at` (Dintero's time `dinteroAt`, when given) and released:
 * its claim, request, capture and release, as `event` (a `logOfEvents()`) records them in turn.
 */
export function capturedPaymentEvents(
  event: ReturnType<typeof logOfEvents>,
  paymentId: string,
  terminalId: string,
  at: string,
  { amount, dinteroAt }: { readonly amount: number; readonly dinteroAt?: string },
): RecordedEvent[] {
  const storeId = 'oslo';
  return [
    event(`terminal-${terminalId}`, 'TerminalClaimed', {
      terminalId,
      claimId: paymentId,
      kind: 'payment',
      paymentId,
      storeId,
      claimedAt: at,
      expiresAt: at,
    }),
    event(`payment-${paymentId}`, 'PaymentRequested', {
      paymentId,
      storeId,
      terminalId,
      amount,
      currency: 'NOK',
      requestedAt: at,
    }),
    event(`payment-${paymentId}`, 'PaymentCaptured', {
      transactionId: `tx-${paymentId}`,
      amount,
      currency: 'NOK',
      source: 'callback',
      at,
      ...(dinteroAt === undefined ? {} : { dinteroAt }),
    }),
    event(`terminal-${terminalId}`, 'TerminalReleased', {
      terminalId,
      claimId: paymentId,
      paymentId,
      storeId,
      reason: 'finished',
      at,
    }),
  ];
}

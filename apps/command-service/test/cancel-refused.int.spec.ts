import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DinteroRejectedError, type DinteroClient, type DinteroSession } from '@app/dintero';
import { SqliteEventStore } from '@app/event-store';
import { paymentStream, type PaymentEvent } from '@app/payment-domain';
import { awaitingCard, requested, sessionCreated } from '../../../libs/payment-domain/test/payment-fixtures';
import { PosClient } from '../src/auth/pos-client';
import { CancelTerminalPaymentHandler } from '../src/payments/cancel/cancel-terminal-payment.handler';

const dir = mkdtempSync(path.join(tmpdir(), 'cancel-refused-'));
const store = new SqliteEventStore({ file: path.join(dir, 'events.db') });
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const asNew = (events: readonly PaymentEvent[]) =>
  events.map(({ type, data }) => ({ type, data, metadata: { correlationId: 'c-1' } }));

/**
 * A cancel Dintero refuses because the session is cancelled already: an earlier cancel went through and its answer
 * was lost. Dintero's documentation lists no answer for a second cancel, so the session is read, as after any
 * refusal; these answers come from a stand-in of the client's two calls (the simulator answers a second cancel of
 * a session without a transaction as it did the first).
 */
describe('cancelling a payment whose session Dintero has cancelled already', () => {
  it('records the cancellation the session shows, where it answered "pending" until the reconciler looked at it', async () => {
    await store.append(paymentStream(requested.paymentId), asNew(awaitingCard), { expectedRevision: 'no_stream' });
    const cancelledAt = '2026-11-23T10:00:30.000Z';
    const dintero = {
      cancelSession: () =>
        Promise.reject(new DinteroRejectedError(400, 'SESSION_CANCEL_NOT_ALLOWED', 'The session is cancelled')),
      getSession: (sessionId: string) =>
        Promise.resolve({ id: sessionId, cancelled_at: cancelledAt, cancelled_by: 'merchant' } as DinteroSession),
    };
    const handler = new CancelTerminalPaymentHandler(store, dintero as unknown as DinteroClient);
    const outcome = await handler.cancel(requested.paymentId, {
      correlationId: 'c-2',
      client: new PosClient('till-3', '*', false),
    });
    expect(outcome).toMatchObject({ kind: 'cancelled', payment: { status: 'cancelled', final: true } });
    expect(outcome.payment.sessionId).toBe(sessionCreated.data.sessionId);
  });
});

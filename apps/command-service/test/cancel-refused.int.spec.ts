import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DinteroRejectedError,
  DinteroUnavailableError,
  type DinteroClient,
  type DinteroSession,
  type DinteroTransaction,
} from '@app/dintero';
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

const asNew = (events: readonly PaymentEvent[], paymentId = requested.paymentId) =>
  events.map(({ type, data }) => ({
    type,
    data: type === 'PaymentRequested' ? { ...data, paymentId } : data,
    metadata: { correlationId: 'c-1' },
  }));

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

/**
 * A cancel Dintero refuses (the capture won the race, most often), and then no word from Dintero on the session or
 * its transaction: the cancellation is recorded as requested, and the POS is told so (`202`), as when the cancel
 * itself gets no answer; not a `500` for a request that changed the payment.
 */
describe('cancelling a payment when Dintero refuses and then does not say why', () => {
  const refused = () =>
    Promise.reject(new DinteroRejectedError(400, 'SESSION_CANCEL_NOT_ALLOWED', 'past authorisation'));
  it.each([
    ['the session', { getSession: () => Promise.reject(new DinteroUnavailableError('timed out')) }],
    [
      'its transaction',
      {
        getSession: (id: string) => Promise.resolve({ id, transaction_id: 'T12345678.tx1' } as DinteroSession),
        getTransaction: () => Promise.reject(new DinteroRejectedError(404, 'NOT_FOUND', 'no such transaction')),
      },
    ],
    [
      // Not the payment's currency (NOK): nothing the engine can book, as if Dintero had not said.
      'its transaction, captured in SEK for a NOK payment',
      {
        getSession: (id: string) => Promise.resolve({ id, transaction_id: 'T12345678.tx1' } as DinteroSession),
        getTransaction: (id: string) =>
          Promise.resolve({
            id,
            status: 'CAPTURED',
            amount: 39_900,
            currency: 'SEK',
            events: [{ event: 'CAPTURE', success: true, amount: 39_900, created_at: '2026-11-23T10:00:20.000Z' }],
          } as unknown as DinteroTransaction),
      },
    ],
  ])('no answer about %s: the cancellation stays requested', async (name, reads) => {
    const paymentId = `pay-silent-${name.replace(/\W/g, '-')}`;
    await store.append(paymentStream(paymentId), asNew(awaitingCard, paymentId), { expectedRevision: 'no_stream' });
    const dintero = { cancelSession: refused, ...reads };
    const handler = new CancelTerminalPaymentHandler(store, dintero as unknown as DinteroClient);
    const outcome = await handler.cancel(paymentId, {
      correlationId: 'c-3',
      client: new PosClient('till-3', '*', false),
    });
    expect(outcome).toMatchObject({ kind: 'pending', payment: { paymentId, cancellationRequested: true } });
    const written = (await store.readStream(paymentStream(paymentId))).map((event) => event.type);
    expect(written.at(-1)).toBe('CancellationRequested');
  });
});

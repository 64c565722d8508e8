import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteEventStore, StreamNotifier } from '@app/event-store';
import { paymentDecider, paymentStream } from '@app/payment-domain';
import { paymentFinal, waitForStream } from '../src/payments/get/wait-for-final';

/** A payment requested and still open. */
async function requested(store: SqliteEventStore, paymentId: string): Promise<void> {
  await store.append(
    paymentStream(paymentId),
    [
      {
        type: 'PaymentRequested',
        data: {
          paymentId,
          storeId: 'oslo',
          terminalId: 'T-1',
          payoutDestinationId: 'seller-1',
          amount: 10_000,
          currency: 'NOK',
          merchantReference: 'POS-1',
          posClientId: 'till-1',
          claimId: 'claim-1',
          requestedAt: '2026-12-03T10:00:00.000Z',
          expiresAt: '2026-12-03T10:05:00.000Z',
        },
      },
    ],
    { expectedRevision: 'no_stream' },
  );
}

describe('a POS’s wait for a final status, when the service stops under it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'wait-for-final-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ends with the payment as it stands when the notifier stops, and leaves the event loop its turns', async () => {
    const store = new SqliteEventStore({ file: path.join(dir, 'log.db') });
    const notifier = new StreamNotifier(store, ['payment-']);
    await notifier.start();
    try {
      await requested(store, 'p-1');
      // Its reads counted: a wait looping on the stopped notifier reads again and again, never giving the event loop
      // a turn (a hang, not a failure), so it is stopped from outside after a few.
      let reads = 0;
      const counted = new Proxy(store, {
        get(target, property, receiver) {
          if (property === 'readStream')
            return (...args: Parameters<SqliteEventStore['readStream']>) => {
              reads += 1;
              if (reads > 5) throw new Error('the wait loops on the stopped notifier');
              return target.readStream(...args);
            };
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      const waiting = waitForStream(counted, notifier, paymentStream('p-1'), paymentDecider, paymentFinal, 60_000);
      await notifier.stop();
      await expect(waiting).resolves.toMatchObject({ status: 'requested' });
      expect(reads).toBeLessThanOrEqual(2);
    } finally {
      await store.close();
    }
  });

  it('ends when any of the signals it is given fires, and leaves none of them a listener', async () => {
    const store = new SqliteEventStore({ file: path.join(dir, 'signals.db') });
    const notifier = new StreamNotifier(store, ['payment-']);
    await notifier.start();
    try {
      await requested(store, 'p-2');
      // The service's shutdown signal lives as long as the service: every wait is given it.
      const shutdown = new AbortController();
      for (let i = 0; i < 3; i++) {
        const hungUp = new AbortController();
        const waiting = waitForStream(store, notifier, paymentStream('p-2'), paymentDecider, paymentFinal, 60_000, [
          hungUp.signal,
          shutdown.signal,
        ]);
        hungUp.abort();
        await expect(waiting).resolves.toMatchObject({ status: 'requested' });
      }
      expect(getEventListeners(shutdown.signal, 'abort')).toEqual([]);
      const stopping = waitForStream(store, notifier, paymentStream('p-2'), paymentDecider, paymentFinal, 60_000, [
        new AbortController().signal,
        shutdown.signal,
      ]);
      shutdown.abort();
      await expect(stopping).resolves.toMatchObject({ status: 'requested' });
    } finally {
      await notifier.stop();
      await store.close();
    }
  });
});

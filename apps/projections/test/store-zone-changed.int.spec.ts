import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SqliteEventStore, type NewEvent } from '@app/event-store';
import { waitUntil } from '../../../test/support/app-process';
import { event } from '../../../test/support/payment-events';
import {
  bucketContents,
  foldFromScratch,
  NATS_URL,
  removeNatsState,
  startProjections,
  tearDownProjections,
  uniquePrefix,
} from '../../../test/support/projections';
import { ProjectorService } from '../src/projector/projector.service';
import type { StoreDayDoc } from '../src/read-models/read-model.types';

/**
 * A store whose time zone changed after a refund of money captured late, and a later part of that capture reported
 * after the change: the part is marked given back on the refund's day in the zone of then, whether the projector ran
 * through it, restarted after the change (reading the payment back from the log), or folded the log from scratch.
 */
describe("store days across a change of the store's time zone and a restart", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'store-zone-'));
  const file = path.join(dir, 'events.db');
  const log = new SqliteEventStore({ file });
  const [restartedPrefix, livePrefix] = [uniquePrefix(), uniquePrefix()];
  let nats: NatsConnection;
  let live: NestFastifyApplication | undefined;

  beforeAll(async () => {
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    await live?.close();
    await removeNatsState(livePrefix);
    await tearDownProjections({ app: undefined, log, nats, prefix: restartedPrefix, dir });
  });

  const store = { storeId: 'oslo' };
  const paid = { paymentId: 'c0c0c0c0-0000-4000-8000-000000000001', storeId: 'oslo', terminalId: 'T-2' };
  /** The position of the last event appended: the head of what the projector reads (the log holds more). */
  let head = 0n;
  const append = async (stream: string, events: NewEvent[]) => {
    ({ position: head } = await log.append(stream, events, { expectedRevision: 'any' }));
  };
  const details = (timeZone: string, at: string) => ({
    storeId: 'oslo',
    name: 'Oslo',
    payoutDestinationId: 'p',
    timeZone,
    at,
  });
  /** Once the projections app's checkpoint is at the last event appended. */
  const caughtUp = async (app: NestFastifyApplication) => {
    await waitUntil(() => app.get(ProjectorService).checkpoint >= head, 15_000, 'the projector at the head');
  };
  const runUntilHead = async (prefix: string) => {
    const app = await startProjections({ EVENT_STORE_URL: `sqlite:${file}`, NATS_PREFIX: prefix });
    try {
      await caughtUp(app);
    } finally {
      await app.close();
    }
  };

  it('marks the later part on the same day live, after a restart, and rebuilt', async () => {
    const payment = `payment-${paid.paymentId}`;
    await append('store-oslo', [
      event('StoreRegistered', details('Europe/Oslo', '2026-11-01T00:00:00.000Z'), store),
      event('TerminalRegistered', { storeId: 'oslo', terminalId: 'T-2', at: '2026-11-01T00:00:00.000Z' }, store),
    ]);
    const at = '2026-11-24T10:00:00.000Z';
    await append(payment, [
      event(
        'PaymentRequested',
        { ...paid, amount: 700, currency: 'EUR', merchantReference: 'POS-1', requestedAt: at },
        paid,
      ),
      event('PaymentCancelled', { by: 'customer', source: 'callback', at }, paid),
      event('LateCaptureRecorded', lateCapture({ amount: 700, at }), paid),
      // 23:30 UTC on the 25th: the 26th in Oslo, where the store is then.
      event(
        'RefundRequested',
        { refundId: 'r-1', amount: 300, currency: 'EUR', transactionId: 'tx-c', terminalId: 'T-2', at: REFUND_AT },
        paid,
      ),
      event('RefundSucceeded', { refundId: 'r-1', source: 'command-service', at: REFUND_AT }, paid),
    ]);
    await append('store-oslo', [event('StoreDetailsChanged', details('UTC', '2026-11-27T12:00:00.000Z'), store)]);

    // Live: one projector through it all. Restarted: one that stops here, and starts again once the part is logged.
    live = await startProjections({ EVENT_STORE_URL: `sqlite:${file}`, NATS_PREFIX: livePrefix });
    await caughtUp(live);
    await runUntilHead(restartedPrefix);
    await append(payment, [
      event(
        'LateCaptureRecorded',
        lateCapture({
          amount: 200,
          capturedAmount: 900,
          at: '2026-11-28T09:00:00.000Z',
          dinteroAt: '2026-11-24T11:00:00.000Z',
        }),
        paid,
      ),
    ]);
    await caughtUp(live);
    await runUntilHead(restartedPrefix);

    const rebuilt = Object.fromEntries(
      (await foldFromScratch(log))
        .documents()
        .filter((change) => change.model === 'store-day')
        .map(({ key, doc }) => [key, JSON.parse(JSON.stringify(doc)) as unknown]),
    );
    const lateDay = rebuilt['oslo.2026-11-24'] as StoreDayDoc;
    expect(lateDay.lateCaptures).toEqual([
      expect.objectContaining({ amount: 700, refundedOn: ['2026-11-26'] }),
      expect.objectContaining({ amount: 200, refundedOn: ['2026-11-26'] }),
    ]);
    expect(await bucketContents(livePrefix, 'storeDays')).toEqual(rebuilt);
    expect(await bucketContents(restartedPrefix, 'storeDays')).toEqual(rebuilt);
  });
});

const REFUND_AT = '2026-11-25T23:30:00.000Z';

/** A part of transaction `tx-c` captured after the payment was cancelled. */
function lateCapture(part: { amount: number; capturedAmount?: number; at: string; dinteroAt?: string }) {
  return {
    transactionId: 'tx-c',
    currency: 'EUR',
    endedAs: 'cancelled',
    flaggedForReversal: true,
    source: 'webhook',
    ...part,
  };
}

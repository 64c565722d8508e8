import { randomUUID } from 'node:crypto';
import { signWebhook } from '@app/dintero';
import { paymentStream } from '@app/payment-domain';
import { SimulatorState } from '../../dintero-simulator/src/state/simulator-state';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, WEBHOOK_SECRET, type Engine } from '../../../test/support/engine';

/**
 * A webhook about a payment this engine made, arriving where a read of the log does not show that payment (yet): a
 * KurrentDB follower lagging behind its leader, which the embedded log never does. The lag is played on the embedded
 * log by declaring its reads as ones that may lag (`readsMayLag`, as KurrentDB's adapter does) and writing the
 * payment's stream only once the webhook has been seen waiting for it (or never).
 */
describe('ingest: a webhook for a payment of ours the log does not show yet', () => {
  let engine: Engine;
  let terminalNo = 0;
  const WAIT_MS = 3_000;

  beforeAll(async () => {
    engine = await startEngine({ ingest: { WEBHOOK_LOG_WAIT_MS: String(WAIT_MS) } });
  });
  afterAll(() => engine.close());
  // Played as KurrentDB's, whose reads may lag, unless a test says otherwise.
  const readsMayLag = (may: boolean) => Object.assign(engine.log, { readsMayLag: may });
  beforeEach(() => readsMayLag(true));

  const webhook = async (payload: Record<string, unknown>) => {
    const body = JSON.stringify({ account_id: 'T12345678', event_delivery: `d-${randomUUID()}`, ...payload });
    const response = await fetch(`${engine.ingest.url}/v1/dintero/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'event-signature': signWebhook(body, WEBHOOK_SECRET) },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const awaitingLog = async () => {
    const text = await (await fetch(`${engine.ingest.url}/metrics`)).text();
    const line = text.split('\n').find((l) => /^payments_webhooks_awaiting_log[ {]/.test(l));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };

  /**
   * A captured payment of this engine whose stream the log does not have: a real one's, under another payment id,
   * as Dintero would show it (its transaction names the payment and carries the callback URL made for it). Returns
   * the id, the transaction's id and a function writing the payment's stream as the lagging read will show it.
   */
  const unseenPayment = async (elsewhere?: (callbackUrl: URL) => void) => {
    const terminalId = `L-${++terminalNo}`;
    await engine.terminals('lag-store', terminalId);
    await engine.sim.control('PUT', '/chaos', { terminalId, dropRate: 1 });
    const started = await engine.start('lag-store', terminalId, 10_000);
    const [model, sessionId] = [started.paymentId as string, started.sessionId as string];
    await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
    const sim = engine.sim.app.get(SimulatorState);
    await waitUntil(() => sim.sessions.get(sessionId)?.transaction_id !== undefined, 10_000, 'the transaction');
    const paymentId = randomUUID();
    const real = sim.transactions.get(sim.sessions.get(sessionId)!.transaction_id!)!;
    const callbackUrl = new URL(real.url.callback_url!);
    callbackUrl.searchParams.set('payment_id', paymentId);
    elsewhere?.(callbackUrl);
    const transactionId = `T-${paymentId}`;
    sim.transactions.set(transactionId, {
      ...real,
      id: transactionId,
      merchant_reference_2: paymentId,
      url: { callback_url: callbackUrl.href },
    });
    const write = async () => {
      const events = await engine.log.readStream(paymentStream(model));
      await engine.log.append(
        paymentStream(paymentId),
        events.map(({ type, data, metadata }) => ({
          type,
          data: JSON.parse(JSON.stringify(data).replaceAll(model, paymentId)) as unknown,
          metadata: JSON.parse(JSON.stringify(metadata).replaceAll(model, paymentId)) as Record<string, unknown>,
        })),
        { expectedRevision: 'no_stream' },
      );
    };
    return { paymentId, transactionId, write };
  };
  const typesOf = async (paymentId: string) =>
    (await engine.log.readStream(paymentStream(paymentId))).map((event) => event.type);

  it('waits for the log to show the payment, then records the transaction', async () => {
    const { paymentId, transactionId, write } = await unseenPayment();
    const answer = webhook({ event: 'checkout_transaction', transaction: { id: transactionId } });
    await waitUntil(async () => (await awaitingLog()) > 0, 10_000, 'the webhook waiting for the log');
    await write();
    expect(await answer).toMatchObject({ status: 200, body: { paymentId, status: 'captured' } });
    expect(await typesOf(paymentId)).toContain('PaymentCaptured');
    expect(await awaitingLog()).toBe(0);
  }, 60_000);

  it('answers 503 PAYMENT_NOT_IN_LOG when the log does not show it within the wait, so that Dintero retries', async () => {
    const { paymentId, transactionId, write } = await unseenPayment();
    const since = Date.now();
    expect(await webhook({ event: 'checkout_transaction', transaction: { id: transactionId } })).toMatchObject({
      status: 503,
      body: { code: 'PAYMENT_NOT_IN_LOG', paymentId },
    });
    expect(Date.now() - since).toBeGreaterThanOrEqual(WAIT_MS - 50);
    expect(await typesOf(paymentId)).toEqual([]);
    // Dintero's next try, once the log shows the payment: recorded.
    await write();
    expect(await webhook({ event: 'checkout_transaction', transaction: { id: transactionId } })).toMatchObject({
      status: 200,
      body: { paymentId, status: 'captured' },
    });
  }, 60_000);

  it('answers 503 to a cancel without a transaction whose session is ours, once the wait is over', async () => {
    // The customer cancelled: the webhook names the session alone, whose callback URL names the payment.
    const terminalId = `L-${++terminalNo}`;
    await engine.terminals('lag-store', terminalId);
    await engine.sim.control('PUT', '/chaos', { terminalId, dropRate: 1 });
    const { sessionId } = (await engine.start('lag-store', terminalId, 10_000)) as { sessionId: string };
    const sim = engine.sim.app.get(SimulatorState);
    const real = sim.sessions.get(sessionId)!;
    const paymentId = randomUUID();
    const callbackUrl = new URL(real.url.callback_url!);
    callbackUrl.searchParams.set('payment_id', paymentId);
    const unseen = {
      ...real,
      id: `S-${paymentId}`,
      order: { ...real.order, merchant_reference_2: paymentId },
      url: { ...real.url, callback_url: callbackUrl.href },
    };
    sim.sessions.set(unseen.id, unseen);
    expect(
      await webhook({ event: 'checkout_authorization', authorization: { session_id: unseen.id, error: 'cancelled' } }),
    ).toMatchObject({ status: 503, body: { code: 'PAYMENT_NOT_IN_LOG', paymentId } });
    expect(await typesOf(paymentId)).toEqual([]);
  }, 60_000);

  it('answers 503 at once on a log whose reads never lag (the embedded one), without waiting', async () => {
    readsMayLag(false);
    const { paymentId, transactionId } = await unseenPayment();
    const since = Date.now();
    expect(await webhook({ event: 'checkout_transaction', transaction: { id: transactionId } })).toMatchObject({
      status: 503,
      body: { code: 'PAYMENT_NOT_IN_LOG', paymentId },
    });
    expect(Date.now() - since).toBeLessThan(WAIT_MS / 2);
    expect(await typesOf(paymentId)).toEqual([]);
  }, 60_000);

  it('answers 200 and ignores one whose callback URL is another engine’s, without waiting', async () => {
    const { paymentId, transactionId } = await unseenPayment((url) => (url.hostname = 'staging.example.com'));
    const since = Date.now();
    expect(await webhook({ event: 'checkout_transaction', transaction: { id: transactionId } })).toMatchObject({
      status: 200,
      body: { ignored: `payment ${paymentId} is not in this engine's log` },
    });
    expect(Date.now() - since).toBeLessThan(WAIT_MS);
    expect(await typesOf(paymentId)).toEqual([]);
  }, 60_000);

  it('answers 200 and ignores one of another engine on the same host (another port), without waiting', async () => {
    const { paymentId, transactionId } = await unseenPayment((url) => (url.port = String(Number(url.port) + 1)));
    const since = Date.now();
    expect(await webhook({ event: 'checkout_transaction', transaction: { id: transactionId } })).toMatchObject({
      status: 200,
      body: { ignored: `payment ${paymentId} is not in this engine's log` },
    });
    expect(Date.now() - since).toBeLessThan(WAIT_MS);
    expect(await typesOf(paymentId)).toEqual([]);
  }, 60_000);
});

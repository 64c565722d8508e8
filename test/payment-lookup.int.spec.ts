import { randomUUID } from 'node:crypto';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { natsNames, paymentIndexEntry } from '@app/messaging';
import { waitUntil } from './support/app-process';
import { startEngine, type Engine } from './support/engine';
import { HQ, type TestPosClient } from './support/pos-clients';
import { paymentEvents } from './support/payment-events';
import { NATS_URL } from './support/projections';

const isoAgo = (ms: number) => new Date(Date.now() - ms).toISOString();

/**
 * A POS that lost a payment's id finds it by its own reference (issue 19), from the `payment_index` read
 * model the projector writes; and a POS that restarts asks its terminal what holds it. Real apps, one SQLite
 * file, the real NATS server.
 */
describe('finding payments by the POS’s reference, and a terminal’s holder', () => {
  const OSLO: TestPosClient = { id: 'oslo-till', key: 'pos_test-oslo-key', stores: ['lk-oslo'] };
  let engine: Engine;
  let nats: NatsConnection;
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    engine = await startEngine({ projections: true, posClients: [HQ, OSLO] });
    await engine.terminals('lk-oslo', 'LK-1', 'LK-2');
    await engine.terminals('lk-bergen', 'LK-9');
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    await nats.close();
    await engine.close();
  });

  const startPayment = async (terminalId: string, merchantReference: string, storeId = 'lk-oslo') => {
    const response = await engine.command.fetch('/v1/terminal-payments', {
      method: 'POST',
      headers: { ...json, 'idempotency-key': randomUUID() },
      body: JSON.stringify({ storeId, terminalId, amount: 10_000, currency: 'NOK', merchantReference }),
    });
    expect(response.status).toBe(201);
    const { paymentId } = (await response.json()) as { paymentId: string };
    await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
    await engine.waitForPayment(paymentId, (s) => s.status === 'captured', 'the capture');
    await engine.terminalFree(terminalId);
    return paymentId;
  };
  const list = async (query: string, client: TestPosClient = HQ) => {
    const response = await engine.command.fetch(`/v1/terminal-payments?${query}`, {}, client);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const ids = (body: Record<string, unknown>) => (body['payments'] as { paymentId: string }[]).map((p) => p.paymentId);

  it('lists a store’s payments by reference, terminal and time, newest first, in pages', async () => {
    const first = await startPayment('LK-1', 'RECEIPT-7');
    const other = await startPayment('LK-2', 'RECEIPT-8');
    // The POS lost the answer and, against the advice, started again with a new key: two payments, one reference.
    const second = await startPayment('LK-1', 'RECEIPT-7');
    await startPayment('LK-9', 'RECEIPT-7', 'lk-bergen');
    await waitUntil(
      async () => ids((await list('storeId=lk-oslo&merchantReference=RECEIPT-7')).body).length === 2,
      10_000,
      'the index to hold both payments',
    );

    const byReference = await list('storeId=lk-oslo&merchantReference=RECEIPT-7');
    expect(byReference.status).toBe(200);
    expect(ids(byReference.body)).toEqual([second, first]);
    expect(byReference.body['payments']).toEqual([
      expect.objectContaining({ paymentId: second, status: 'captured', merchantReference: 'RECEIPT-7', final: true }),
      expect.objectContaining({ paymentId: first, status: 'captured', terminalId: 'LK-1' }),
    ]);
    expect(byReference.body['nextCursor']).toBeUndefined();
    const byTerminal = await list('storeId=lk-oslo&terminalId=LK-2');
    expect(byTerminal.body).toMatchObject({ payments: [{ paymentId: other }] });
    expect(ids((await list('storeId=lk-oslo')).body)).toEqual([second, other, first]);

    const page1 = await list('storeId=lk-oslo&limit=2');
    expect(ids(page1.body)).toEqual([second, other]);
    const page2 = await list(`storeId=lk-oslo&limit=2&cursor=${String(page1.body['nextCursor'])}`);
    expect(ids(page2.body)).toEqual([first]);
    expect(page2.body['nextCursor']).toBeUndefined();

    // An hour ahead to two hours ahead (by clock arithmetic: a string edit of the hour fails late in the UTC day).
    const [from, to] = [3_600_000, 7_200_000].map((ahead) => new Date(Date.now() + ahead).toISOString());
    expect(ids((await list(`storeId=lk-oslo&from=${from}&to=${to}`)).body)).toEqual([]);
    // The store's own key sees its store; the reference of another store's payment is not here.
    expect(ids((await list('storeId=lk-oslo&merchantReference=RECEIPT-7', OSLO)).body)).toEqual([second, first]);
  });

  it('answers the same over NATS', async () => {
    await waitUntil(
      async () => ids((await list('storeId=lk-oslo&merchantReference=RECEIPT-8')).body).length === 1,
      10_000,
      'the index',
    );
    const h = headers();
    h.set('Authorization', `Bearer ${HQ.key}`);
    const reply = await nats.request(
      natsNames(engine.prefix).queries.payments,
      JSON.stringify({ query: { storeId: 'lk-oslo', merchantReference: 'RECEIPT-8' } }),
      { timeout: 10_000, headers: h },
    );
    const answer = reply.json<{ status: number; body: Record<string, unknown> }>();
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual((await list('storeId=lk-oslo&merchantReference=RECEIPT-8')).body);
  });

  it('refuses bad input with a clear 4xx and finds nothing for an unknown reference', async () => {
    expect(await list('storeId=lk-oslo&merchantReference=NEVER-SEEN')).toEqual({
      status: 200,
      body: { payments: [] },
    });
    expect((await list('storeId=lk-oslo&cursor=not-a-cursor')).body).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect((await list('storeId=lk-oslo&cursor=***')).status).toBe(400);
    expect((await list('merchantReference=RECEIPT-7')).status).toBe(400);
    expect((await list('storeId=lk-oslo&from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z')).body).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect((await list('storeId=lk-oslo&limit=0')).status).toBe(400);
    expect(await list('storeId=lk-bergen', OSLO)).toMatchObject({ status: 403, body: { code: 'STORE_NOT_ALLOWED' } });
  });

  it('fills a page past index entries the log does not bear out, on a newer day than the payment', async () => {
    // A payment of yesterday in the log (the projector indexes it), and two entries of today the log does not have
    // (left from a replaced log: the index is not emptied with it).
    const storeId = 'lk-stale';
    const [, payment] = paymentEvents(0, { storeId, terminalId: 'LK-S1' }, Date.now() - 24 * 60 * 60 * 1000);
    await engine.log.append(payment!.stream, payment!.events, { expectedRevision: 'no_stream' });
    const requested = payment!.events[0]!;
    const { paymentId } = requested.data as { paymentId: string };
    await waitUntil(
      async () => ids((await list(`storeId=${storeId}&limit=5`)).body).includes(paymentId),
      10_000,
      'the index to hold the payment',
    );
    const index = await new Kvm(nats).open(natsNames(engine.prefix).buckets.paymentIndex);
    for (const ago of [60_000, 61_000]) {
      const data = { ...(requested.data as object), paymentId: randomUUID(), requestedAt: isoAgo(ago) };
      const stale = paymentIndexEntry(engine.prefix, { type: 'PaymentRequested', data, position: 1n })!;
      await index.put(stale.key, JSON.stringify(stale.entry));
    }
    expect(await list(`storeId=${storeId}&limit=1`)).toEqual({
      status: 200,
      body: { payments: [expect.objectContaining({ paymentId, storeId })] },
    });
  });

  it('tells a POS which payment or refund holds its terminal, until when, and when it is free', async () => {
    const terminal = async (terminalId: string, client: TestPosClient = HQ) => {
      const response = await engine.command.fetch(`/v1/stores/lk-oslo/terminals/${terminalId}`, {}, client);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect(await terminal('LK-2')).toEqual({
      status: 200,
      body: {
        storeId: 'lk-oslo',
        terminalId: 'LK-2',
        active: true,
        free: true,
        dintero: { terminalId: 'LK-2', deviceSerialNumber: 'LK-2', status: 'ACTIVE' },
      },
    });
    const response = await engine.command.fetch('/v1/terminal-payments', {
      method: 'POST',
      headers: { ...json, 'idempotency-key': randomUUID() },
      body: JSON.stringify({
        storeId: 'lk-oslo',
        terminalId: 'LK-2',
        amount: 10_030, // nobody answers: the terminal prompts until cancelled
        currency: 'NOK',
        merchantReference: 'HELD',
      }),
    });
    const { paymentId } = (await response.json()) as { paymentId: string };
    const held = await terminal('LK-2', OSLO);
    expect(held.body).toMatchObject({
      free: false,
      holder: { kind: 'payment', paymentId, since: expect.any(String), until: expect.any(String) },
    });
    await engine.command.fetch(`/v1/terminal-payments/${paymentId}/cancel`, { method: 'POST' });
    await engine.terminalFree('LK-2');
    expect((await terminal('LK-2')).body).toMatchObject({ free: true });
    expect(await terminal('LK-404')).toMatchObject({ status: 404, body: { code: 'UNKNOWN_TERMINAL' } });
  });
});

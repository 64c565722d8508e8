import { randomUUID } from 'node:crypto';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { handleCommand, type EventStore } from '@app/event-store';
import { natsNames } from '@app/messaging';
import { paymentDecider, paymentStream } from '@app/payment-domain';
import { startCommandServiceOnSimulator, type RunningCommandService } from '../../../test/support/command-service';
import type { RunningSimulator } from '../../../test/support/simulator';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { HQ, writePosClients, type TestPosClient } from '../../../test/support/pos-clients';
import { PosClientsReloader } from '../src/auth/pos-clients.reloader';
import { COMMAND_CONFIG, type CommandServiceConfig } from '../src/command-service.config';

const OSLO_POS: TestPosClient = { id: 'pos-oslo', key: 'pos_test-oslo-key', stores: ['oslo-center'] };
const OTHER_OSLO_POS: TestPosClient = { id: 'pos-oslo-2', key: 'pos_test-oslo-key-2', stores: ['oslo-center'] };
const BERGEN_POS: TestPosClient = { id: 'pos-bergen', key: 'pos_test-bergen', stores: ['bergen'] };
/** A store of the same chain and payout destination as Oslo's: a cardholder of Oslo may be refunded here. */
const WEST_POS: TestPosClient = { id: 'pos-west', key: 'pos_test-west', stores: ['oslo-west'] };
/** A key whose stores change while the test runs (a store sold to another franchise, say). */
const MOVING_POS: TestPosClient = { id: 'pos-moving', key: 'pos_test-moving', stores: ['oslo-center'] };
const OSLO_ADMIN: TestPosClient = {
  id: 'oslo-admin',
  key: 'pos_test-oslo-admin',
  stores: ['oslo-center'],
  registry: true,
};
const NOBODY: TestPosClient = { id: 'nobody', key: 'pos_not-in-the-file', stores: ['*'] };

describe('command service: POS API keys, limited to their stores', () => {
  let prefix: string;
  let service: RunningCommandService;
  let sim: RunningSimulator;
  let log: EventStore;
  let nats: NatsConnection;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ service, sim, prefix, close } = await startCommandServiceOnSimulator(
      [
        { id: 'oslo-center', payoutDestinationId: 'seller-1', terminals: ['K-1', 'K-2', 'K-3', 'K-4', 'K-5', 'K-6'] },
        { id: 'bergen', payoutDestinationId: 'seller-2', terminals: ['K-B'] },
        { id: 'oslo-west', payoutDestinationId: 'seller-1', terminals: ['K-W'] },
      ],
      [HQ, OSLO_POS, OTHER_OSLO_POS, BERGEN_POS, OSLO_ADMIN, WEST_POS, MOVING_POS],
    ));
    ({ log } = service);
    nats = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
  });
  afterAll(async () => {
    await nats.close();
    await close();
  });

  const payment = (change: Record<string, unknown> = {}) => ({
    storeId: 'oslo-center',
    terminalId: 'K-1',
    amount: 1_000,
    currency: 'NOK',
    merchantReference: 'POS-KEY',
    ...change,
  });
  const start = async (client: TestPosClient, body: unknown, key = randomUUID(), auth = `Bearer ${client.key}`) => {
    const response = await fetch(`${service.url}/v1/terminal-payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key, authorization: auth },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const json = async (response: Response) => ({
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
  });
  const refundInit = (): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({ amount: 100, terminalId: 'K-B' }),
  });
  const written = async () => (await log.readAll({ limit: 10_000 })).length;

  /** A payment of Oslo's on `terminalId`, captured (recorded as ingest records Dintero's callback). */
  const capturedPayment = async (client: TestPosClient, terminalId: string, key = randomUUID()) => {
    const sale = await start(client, payment({ terminalId, merchantReference: `CAPTURED-${terminalId}` }), key);
    expect(sale.status).toBe(201);
    const paymentId = sale.body.paymentId as string;
    await sim.control('POST', `/terminals/${terminalId}/present`, {});
    const truth = await sim.control<{ transactions: { id: string; paymentId: string }[] }>('GET', '/ground-truth');
    const transactionId = truth.transactions.find((t) => t.paymentId === paymentId)!.id;
    await handleCommand(
      log,
      paymentStream(paymentId),
      paymentDecider,
      {
        type: 'RecordDinteroTransaction',
        data: {
          transaction: { transactionId, status: 'CAPTURED', amount: 1_000, currency: 'NOK' },
          source: 'callback',
          at: new Date().toISOString(),
        },
      },
      { metadata: { correlationId: 'test' } },
    );
    return paymentId;
  };

  it.each([
    ['no Authorization header', undefined],
    ['a key that is not in the file', `Bearer ${NOBODY.key}`],
    ['a scheme other than Bearer', `Basic ${OSLO_POS.key}`],
    ['an empty key', 'Bearer '],
  ])('refuses %s: 401, nothing written', async (_case, auth) => {
    const before = await written();
    const response = await fetch(`${service.url}/v1/terminal-payments`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
        ...(auth === undefined ? {} : { authorization: auth }),
      },
      body: JSON.stringify(payment()),
    });
    expect(await json(response)).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await written()).toBe(before);
  });

  it('takes the Bearer scheme in any case, as HTTP’s authentication schemes are', async () => {
    const lower = await start(
      OSLO_POS,
      payment({ merchantReference: 'POS-lower' }),
      randomUUID(),
      `bearer ${OSLO_POS.key}`,
    );
    expect(lower).toMatchObject({ status: 201, body: { merchantReference: 'POS-lower' } });
    const upper = await fetch(`${service.url}/v1/terminal-payments/${lower.body.paymentId as string}/cancel`, {
      method: 'POST',
      headers: { authorization: `BEARER  ${OSLO_POS.key}` },
    });
    expect(upper.status).toBe(200);
  });

  it('takes a changed key file without a restart, and keeps the last good keys when a change does not load', async () => {
    const NEW_POS: TestPosClient = { id: 'pos-new', key: 'pos_test-new-key', stores: ['bergen'] };
    const file = service.app.get<CommandServiceConfig>(COMMAND_CONFIG).posClientsFile;
    const lookup = (client: TestPosClient) =>
      service.fetch('/v1/terminal-payments?storeId=bergen', {}, client).then((response) => response.status);
    const until = async (client: TestPosClient, status: number, what: string) => {
      const deadline = Date.now() + 10_000;
      while ((await lookup(client)) !== status) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const everyone = [HQ, OSLO_POS, OTHER_OSLO_POS, BERGEN_POS, OSLO_ADMIN, WEST_POS, MOVING_POS];
    expect(await lookup(NEW_POS)).toBe(401);

    // The operator adds the entry `npm run pos-key` printed: taken within the watch's second.
    writePosClients(path.dirname(file), [...everyone, NEW_POS]);
    await until(NEW_POS, 200, 'the new key taken');

    // A broken file: the keys in force stay in force, and the reload says it did not load.
    writeFileSync(file, '{ "clients": [ {');
    expect(service.app.get(PosClientsReloader).reload('test')).toBe(false);
    expect(await lookup(NEW_POS)).toBe(200);
    expect(await lookup(BERGEN_POS)).toBe(200);

    // The key revoked, and SIGHUP as an operator sends it: gone at once.
    writePosClients(path.dirname(file), everyone);
    process.emit('SIGHUP');
    expect(await lookup(NEW_POS)).toBe(401);
    expect(await lookup(BERGEN_POS)).toBe(200);
  });

  it('refuses a key used for another store (403) and on another store’s terminal as on a name never registered (404), nothing written', async () => {
    const before = await written();
    expect(await start(OSLO_POS, payment({ storeId: 'bergen', terminalId: 'K-B' }))).toMatchObject({
      status: 403,
      body: { code: 'STORE_NOT_ALLOWED' },
    });
    // Its own store, but Bergen's terminal: the key may not learn or use anything of Bergen's, not even that Bergen
    // has a terminal of that name. It is answered as a name no store has.
    const foreign = await start(OSLO_POS, payment({ terminalId: 'K-B' }));
    const unknown = await start(OSLO_POS, payment({ terminalId: 'K-NONE' }));
    expect(foreign).toMatchObject({ status: 404, body: { code: 'UNKNOWN_TERMINAL', terminalId: 'K-B' } });
    expect(JSON.stringify(foreign.body).replaceAll('K-B', 'NAME')).toBe(
      JSON.stringify(unknown.body).replaceAll('K-NONE', 'NAME'),
    );
    expect(JSON.stringify(foreign.body)).not.toContain('bergen');
    expect(await written()).toBe(before);
  });

  it('answers a refund at another store’s terminal as at a name never registered (404), nothing written', async () => {
    const paymentId = await capturedPayment(OSLO_POS, 'K-6');
    const before = await written();
    const refundAt = async (terminalId: string) =>
      json(
        await service.fetch(
          `/v1/terminal-payments/${paymentId}/refunds`,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
            body: JSON.stringify({ amount: 100, terminalId }),
          },
          OSLO_POS,
        ),
      );
    const foreign = await refundAt('K-B');
    const unknown = await refundAt('K-NONE');
    expect(foreign).toMatchObject({ status: 404, body: { code: 'UNKNOWN_TERMINAL', terminalId: 'K-B' } });
    expect(JSON.stringify(foreign.body).replaceAll('K-B', 'NAME')).toBe(
      JSON.stringify(unknown.body).replaceAll('K-NONE', 'NAME'),
    );
    expect(JSON.stringify(foreign.body)).not.toContain('bergen');
    expect(await written()).toBe(before);
  });

  it('tells a key that may use both stores that the terminal is the other store’s: 422', async () => {
    expect(await start(HQ, payment({ terminalId: 'K-B' }))).toMatchObject({
      status: 422,
      body: { code: 'TERMINAL_OF_OTHER_STORE', terminalStoreId: 'bergen' },
    });
  });

  it('records which POS client started and cancelled, and keeps other stores’ payments from it', async () => {
    const started = await start(OSLO_POS, payment({ terminalId: 'K-2' }));
    expect(started.status).toBe(201);
    const paymentId = started.body.paymentId as string;
    const events = await log.readStream(paymentStream(paymentId));
    expect(events[0]).toMatchObject({
      type: 'PaymentRequested',
      data: { posClientId: 'pos-oslo' },
      metadata: { posClientId: 'pos-oslo', storeId: 'oslo-center', terminalId: 'K-2' },
    });

    // A Bergen-only key may neither read, refund nor cancel an Oslo payment, nor wait for its outcome: answered at
    // once (not when the wait of a minute ends, which would tell it when the payment ended), and as an unknown id is,
    // so that it does not even learn that the payment exists.
    const before = await written();
    for (const [route, init] of [
      ['', () => ({})],
      ['?waitFor=final&timeout=60', () => ({})],
      ['/cancel', () => ({ method: 'POST' })],
      [`/refunds/${randomUUID()}`, () => ({})],
      ['/refunds', refundInit],
    ] as const) {
      const ask = (id: string) => service.fetch(`/v1/terminal-payments/${id}${route}`, init(), BERGEN_POS);
      const foreign = await json(await ask(paymentId));
      const unknownId = randomUUID();
      const unknown = await json(await ask(unknownId));
      expect(foreign).toMatchObject({ status: 404, body: { code: 'PAYMENT_NOT_FOUND', paymentId } });
      expect(JSON.stringify(foreign).replaceAll(paymentId, 'ID')).toBe(
        JSON.stringify(unknown).replaceAll(unknownId, 'ID'),
      );
    }
    expect(await written()).toBe(before);

    const cancelled = await service.fetch(`/v1/terminal-payments/${paymentId}/cancel`, { method: 'POST' }, OSLO_POS);
    expect(cancelled.status).toBe(200);
    const cancellation = (await log.readStream(paymentStream(paymentId))).find(
      (event) => event.type === 'CancellationRequested',
    );
    expect(cancellation).toMatchObject({ data: { by: 'pos-oslo' }, metadata: { posClientId: 'pos-oslo' } });
  });

  it('does not name another store’s payment refunded at a terminal of the key’s store: not in TERMINAL_BUSY, not as its holder', async () => {
    // An Oslo sale, captured, refunded by head office at West's terminal (the cardholder went there): pending at it.
    const paymentId = await capturedPayment(OSLO_POS, 'K-3');
    await sim.control('PUT', '/terminals/K-W/refund-mode', { mode: 'async_stall' });
    const refund = await json(
      await service.fetch(`/v1/terminal-payments/${paymentId}/refunds`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: JSON.stringify({ amount: 100, terminalId: 'K-W' }),
      }),
    );
    expect(refund).toMatchObject({ status: 202, body: { status: 'pending' } });
    const refundId = refund.body.refundId as string;

    // Head office may use both stores: it is told what holds the terminal.
    expect(await json(await service.fetch('/v1/stores/oslo-west/terminals/K-W'))).toMatchObject({
      status: 200,
      body: { holder: { kind: 'refund', paymentId, refundId } },
    });
    // West's own key learns that a refund holds its terminal, and until when, but not whose payment it is: the id
    // would be one it is answered 404 for.
    const holder = await json(await service.fetch('/v1/stores/oslo-west/terminals/K-W', {}, WEST_POS));
    expect(holder).toMatchObject({ status: 200, body: { free: false, holder: { kind: 'refund' } } });
    const busy = await start(WEST_POS, payment({ storeId: 'oslo-west', terminalId: 'K-W' }));
    expect(busy).toMatchObject({
      status: 409,
      body: { code: 'TERMINAL_BUSY', activeKind: 'refund', terminalId: 'K-W' },
    });
    const h = headers();
    h.set('Authorization', `Bearer ${WEST_POS.key}`);
    const overNats = (
      await nats.request(
        natsNames(prefix).commands.start,
        JSON.stringify({ idempotencyKey: randomUUID(), payment: payment({ storeId: 'oslo-west', terminalId: 'K-W' }) }),
        { timeout: 10_000, headers: h },
      )
    ).json<{ status: number; body: Record<string, unknown> }>();
    expect(overNats).toMatchObject({ status: 409, body: { code: 'TERMINAL_BUSY', activeKind: 'refund' } });
    // An operation for each of West's terminals: K-W's answer among them, as the store-wide request tells it.
    const storeWide = await json(
      await service.fetch(
        '/v1/stores/oslo-west/operations',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
          body: JSON.stringify({ operation: 'send_logs' }),
        },
        WEST_POS,
      ),
    );
    expect(storeWide).toMatchObject({
      status: 202,
      body: { operations: [{ terminalId: 'K-W', status: 409, body: { code: 'TERMINAL_BUSY', activeKind: 'refund' } }] },
    });
    for (const answer of [holder, busy, overNats, storeWide]) {
      expect(JSON.stringify(answer)).not.toContain(paymentId);
      expect(JSON.stringify(answer)).not.toContain(refundId);
    }
  });

  it('answers a request sent again with its key as the key may see it now: not the recorded answer of a store taken from it', async () => {
    const file = service.app.get<CommandServiceConfig>(COMMAND_CONFIG).posClientsFile;
    const everyone = [HQ, OSLO_POS, OTHER_OSLO_POS, BERGEN_POS, OSLO_ADMIN, WEST_POS, MOVING_POS];
    const startKey = randomUUID();
    const paymentId = await capturedPayment(MOVING_POS, 'K-4', startKey);
    const refundKey = randomUUID();
    const refundBody = { amount: 100, terminalId: 'K-2' };
    const refund = () =>
      service.fetch(
        `/v1/terminal-payments/${paymentId}/refunds`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': refundKey },
          body: JSON.stringify(refundBody),
        },
        MOVING_POS,
      );
    expect((await json(await refund())).status).toBe(201);
    const operationKey = randomUUID();
    const operate = () =>
      service.fetch(
        '/v1/stores/oslo-center/terminals/K-5/operations',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': operationKey },
          body: JSON.stringify({ operation: 'send_logs' }),
        },
        MOVING_POS,
      );
    const operation = await json(await operate());
    expect(operation.status).toBe(202);
    // Oslo is taken from the key: its requests of before, sent again with their keys, are refused as new ones are.
    writePosClients(path.dirname(file), [
      ...everyone.filter((client) => client !== MOVING_POS),
      { ...MOVING_POS, stores: ['bergen'] },
    ]);
    expect(service.app.get(PosClientsReloader).reload('test')).toBe(true);
    try {
      const before = await written();
      const started = await start(
        MOVING_POS,
        payment({ terminalId: 'K-4', merchantReference: 'CAPTURED-K-4' }),
        startKey,
      );
      expect(started).toMatchObject({ status: 403, body: { code: 'STORE_NOT_ALLOWED' } });
      const refunded = await json(await refund());
      expect(refunded).toMatchObject({ status: 404, body: { code: 'PAYMENT_NOT_FOUND', paymentId } });
      const operated = await json(await operate());
      expect(operated).toMatchObject({ status: 403, body: { code: 'STORE_NOT_ALLOWED' } });
      expect(JSON.stringify(operated)).not.toContain(operation.body.operationId as string);
      for (const answer of [started, refunded]) expect(JSON.stringify(answer)).not.toContain('refundId');
      expect(JSON.stringify(started)).not.toContain(paymentId);
      expect(await written()).toBe(before);
    } finally {
      writePosClients(path.dirname(file), everyone);
      service.app.get(PosClientsReloader).reload('test');
    }
  });

  it('keeps each client’s Idempotency-Keys apart: the same key from two clients is two requests', async () => {
    const key = randomUUID();
    const first = await start(OSLO_POS, payment({ terminalId: 'K-1', merchantReference: 'A' }), key);
    expect(first.status).toBe(201);
    await service.fetch(`/v1/terminal-payments/${first.body.paymentId as string}/cancel`, { method: 'POST' });
    const second = await start(OTHER_OSLO_POS, payment({ terminalId: 'K-1', merchantReference: 'B' }), key);
    expect(second.status).toBe(201);
    expect(second.body.paymentId).not.toBe(first.body.paymentId);
  });

  it('lets only keys with the registry right change the registry', async () => {
    const before = await written();
    const put = await service.fetch(
      '/v1/stores/oslo-center/terminals/K-9',
      { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' },
      OSLO_POS,
    );
    expect(await json(put)).toMatchObject({ status: 403, body: { code: 'STORE_NOT_ALLOWED' } });
    expect(await written()).toBe(before);
    expect((await service.fetch('/v1/stores/oslo-center', {}, OSLO_POS)).status).toBe(200);
    expect((await service.fetch('/v1/stores/bergen', {}, OSLO_POS)).status).toBe(403);
  });

  it('refuses to register a terminal of one store to another', async () => {
    const before = await written();
    const put = await service.fetch('/v1/stores/oslo-center/terminals/K-B', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(await json(put)).toMatchObject({
      status: 422,
      body: { code: 'TERMINAL_OF_OTHER_STORE', terminalStoreId: 'bergen' },
    });
    // A key that may not use the other store is not told whose terminal it is.
    const text = await (
      await service.fetch(
        '/v1/stores/oslo-center/terminals/K-B',
        { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' },
        OSLO_ADMIN,
      )
    ).text();
    expect(JSON.parse(text)).toMatchObject({ status: 422, code: 'TERMINAL_OF_OTHER_STORE', terminalId: 'K-B' });
    expect(text).not.toContain('bergen');
    expect(await written()).toBe(before);
  });

  it('describes the key and every error answer in the OpenAPI document', async () => {
    const spec = (await (await fetch(`${service.url}/docs-json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>;
      components: { securitySchemes: Record<string, { scheme: string }> };
    };
    const start = spec.paths['/v1/terminal-payments']!.post!;
    expect(Object.keys(start.responses).sort()).toEqual([
      '201',
      '202',
      '400',
      '401',
      '403',
      '404',
      '409',
      '413',
      '415',
      '422',
      '429',
      '500',
      '502',
      '503',
    ]);
    expect(start.security).toEqual([{ bearer: [] }]);
    expect(spec.components.securitySchemes.bearer?.scheme).toBe('bearer');
  });

  describe('over NATS: the same key in the message’s Authorization header', () => {
    const request = async (client: TestPosClient | undefined, body: unknown) => {
      const h = headers();
      if (client) h.set('Authorization', `Bearer ${client.key}`);
      const reply = await nats.request(natsNames(prefix).commands.start, JSON.stringify(body), {
        timeout: 10_000,
        headers: h,
      });
      return reply.json<{ status: number; body: Record<string, unknown> }>();
    };

    it('answers a key of another store on a payment as on an unknown id: 404, writing nothing', async () => {
      const started = await start(OSLO_POS, payment({ terminalId: 'K-2', merchantReference: 'NATS-foreign' }));
      expect(started.status).toBe(201);
      const paymentId = started.body.paymentId as string;
      const { commands, queries } = natsNames(prefix);
      const ask = async (subject: string, body: Record<string, unknown>) => {
        const h = headers();
        h.set('Authorization', `Bearer ${BERGEN_POS.key}`);
        const reply = await nats.request(subject, JSON.stringify(body), { timeout: 10_000, headers: h });
        return reply.json<{ status: number; body: Record<string, unknown> }>();
      };
      const before = await written();
      for (const [subject, body] of [
        [queries.payment, () => ({})],
        [queries.refund, () => ({ refundId: randomUUID() })],
        [commands.cancel, () => ({})],
        [commands.refund, () => ({ idempotencyKey: randomUUID(), refund: { amount: 100, terminalId: 'K-B' } })],
      ] as const) {
        const foreign = await ask(subject, { paymentId, ...body() });
        const unknownId = randomUUID();
        const unknown = await ask(subject, { paymentId: unknownId, ...body() });
        expect(foreign).toMatchObject({ status: 404, body: { code: 'PAYMENT_NOT_FOUND', paymentId } });
        expect(JSON.stringify(foreign).replaceAll(paymentId, 'ID')).toBe(
          JSON.stringify(unknown).replaceAll(unknownId, 'ID'),
        );
      }
      expect(await written()).toBe(before);
      await service.fetch(`/v1/terminal-payments/${paymentId}/cancel`, { method: 'POST' }, OSLO_POS);
    });

    it('refuses a message without a key, or with a key of another store, writing nothing', async () => {
      const before = await written();
      expect(await request(undefined, { idempotencyKey: randomUUID(), payment: payment() })).toMatchObject({
        status: 401,
        body: { code: 'UNAUTHENTICATED' },
      });
      expect(
        await request(OSLO_POS, {
          idempotencyKey: randomUUID(),
          payment: payment({ storeId: 'bergen', terminalId: 'K-B' }),
        }),
      ).toMatchObject({ status: 403, body: { code: 'STORE_NOT_ALLOWED' } });
      expect(await written()).toBe(before);
    });
  });
});

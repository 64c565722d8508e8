import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { DinteroClient, DinteroRejectedError } from '@app/dintero';
import { startEngine, WEBHOOK_SECRET, type Engine } from '../support/engine';
import { waitUntil } from '../support/app-process';
import { startRecordingProxy, type Exchange, type RecordingProxy } from './recording-proxy';
import { SpecConformance } from './spec-conformance';

/**
 * The engine and the simulator held against Dintero's published specification (JSON Schemas written from
 * it, `schemas/`): every request our Dintero client sends, every answer the simulator gives, every callback
 * and webhook it delivers, across each outcome of the amount table, refunds answered 200 and 202, a
 * cancel, void and capture, and error answers. Both hops are real HTTP through recording proxies. A
 * difference fails the test unless `allowed-differences.json` lists it with its reason.
 */
describe('conformance to Dintero’s published specification', () => {
  let engine: Engine;
  let dinteroProxy: RecordingProxy;
  let ingestProxy: RecordingProxy;
  const json = { 'content-type': 'application/json' };
  const storeId = 'conformance';
  const terminals = Array.from({ length: 8 }, (_, i) => `conf-T${i + 1}`);

  beforeAll(async () => {
    dinteroProxy = await startRecordingProxy();
    ingestProxy = await startRecordingProxy();
    const viaProxy = { DINTERO_API_URL: dinteroProxy.url, DINTERO_CHECKOUT_URL: dinteroProxy.url };
    engine = await startEngine({
      sim: { SIM_REFUND_DELAY_MS: '300', SIM_HOLD_MS: '300', SIM_CAPTURE_DELAY_MS: '300' },
      // Callbacks reach ingest through the second proxy: the callback URL is built from INGEST_PUBLIC_URL.
      command: { ...viaProxy, INGEST_PUBLIC_URL: ingestProxy.url },
      ingest: {
        ...viaProxy,
        INGEST_PUBLIC_URL: ingestProxy.url,
        RECONCILER_GRACE_SECONDS: '0',
        RECONCILER_UNKNOWN_DELAY_SECONDS: '0',
        RECONCILER_INTERVAL_MS: '100',
      },
    });
    dinteroProxy.target = engine.sim.url;
    ingestProxy.target = engine.ingest.url;
    await engine.sim.control('POST', '/seed', {
      webhooks: [{ url: `${ingestProxy.url}/v1/dintero/webhooks`, secret: WEBHOOK_SECRET }],
    });
    await engine.terminals(storeId, ...terminals);
    // A device the engine registers at Dintero itself (the management API's terminal calls).
    const device = await engine.command.fetch(`/v1/stores/${storeId}/terminals/conf-device`, {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ deviceSerialNumber: 'SIMULATED-T12345678-777', deviceModel: 'SATURN1000' }),
    });
    expect(device.status).toBe(200);
    // A terminal operation sent and followed to its end (the operations reconciler polls Dintero).
    const operation = await engine.command.fetch(`/v1/stores/${storeId}/terminals/conf-device/operations`, {
      method: 'POST',
      headers: { ...json, 'idempotency-key': randomUUID() },
      body: JSON.stringify({ operation: 'end_of_day', operatorId: 'conformance' }),
    });
    expect(operation.status).toBe(202);
    const { operationId } = (await operation.json()) as { operationId: string };
    await waitUntil(
      async () => {
        const answer = await engine.command.fetch(`/v1/terminal-operations/${operationId}?waitFor=final&timeout=5`);
        return ((await answer.json()) as { final: boolean }).final;
      },
      30_000,
      'the end of day to end',
    );
  }, 60_000);
  afterAll(async () => {
    await engine.close();
    await dinteroProxy.close();
    await ingestProxy.close();
  });

  const startOn = async (terminalId: string, amount: number) => {
    const response = await engine.command.fetch('/v1/terminal-payments', {
      method: 'POST',
      headers: { ...json, 'idempotency-key': randomUUID() },
      body: JSON.stringify({
        storeId,
        terminalId,
        amount,
        currency: 'NOK',
        merchantReference: `conf-${amount}`,
        metadata: { till: '3', ext_cashier: 'kari' },
      }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    return { status: response.status, paymentId: body['paymentId'] as string };
  };
  const settled = async (paymentId: string, final: (status: string) => boolean) => {
    let status = '';
    await waitUntil(
      async () => {
        const response = await engine.command.fetch(`/v1/terminal-payments/${paymentId}?waitFor=final&timeout=10`);
        status = ((await response.json()) as { status: string }).status;
        return final(status);
      },
      30_000,
      `payment ${paymentId} settled`,
    );
    return status;
  };
  const refund = async (paymentId: string, terminalId: string, amount: number) => {
    const response = await engine.command.fetch(`/v1/terminal-payments/${paymentId}/refunds`, {
      method: 'POST',
      headers: { ...json, 'idempotency-key': randomUUID() },
      body: JSON.stringify({ amount, terminalId }),
    });
    const body = (await response.json()) as { refundId: string; status: string };
    const final = await engine.command.fetch(
      `/v1/terminal-payments/${paymentId}/refunds/${body.refundId}?waitFor=final&timeout=20`,
    );
    return { status: response.status, final: ((await final.json()) as { status: string }).status };
  };

  it('sends and receives only what the specification describes, but for the listed differences', async () => {
    // Each outcome of the amount table, several terminals at a time.
    const outcomes: [number, (status: string) => boolean][] = [
      [10_000, (s) => s === 'captured'],
      [10_001, (s) => s === 'captured'],
      [10_002, (s) => s === 'captured'],
      [10_003, (s) => s === 'captured'],
      [10_051, (s) => s === 'declined'],
      [10_054, (s) => s === 'declined'],
      [10_055, (s) => s === 'declined'],
      [10_005, (s) => s === 'declined'],
      [10_010, (s) => s === 'cancelled'],
      [10_020, (s) => s === 'failed'],
      [10_040, (s) => s === 'captured'],
      [10_045, (s) => s === 'captured'],
      [10_050, (s) => s === 'outcome_unknown'],
    ];
    const payments = new Map<number, string>();
    for (let i = 0; i < outcomes.length; i += terminals.length) {
      await Promise.all(
        outcomes.slice(i, i + terminals.length).map(async ([amount, final], j) => {
          const terminalId = terminals[j]!;
          const { paymentId } = await startOn(terminalId, amount);
          await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
          await settled(paymentId, final);
          payments.set(amount, paymentId);
          if (amount !== 10_050) await engine.terminalFree(terminalId);
        }),
      );
    }

    // A payment nobody answers, cancelled by the POS.
    const waiting = await startOn(terminals[7]!, 10_030);
    await engine.command.fetch(`/v1/terminal-payments/${waiting.paymentId}/cancel`, { method: 'POST' });
    expect(await settled(waiting.paymentId, (s) => s === 'cancelled')).toBe('cancelled');
    await engine.terminalFree(terminals[7]!);

    // Refunds answered 200, 202 then approved, 202 then declined. A refund's terminal is released just after its
    // outcome is recorded: the next refund on it waits for that, as the payments above do (once in CI it came
    // in between, and was answered 409).
    const paid = payments.get(10_000)!;
    expect(await refund(paid, terminals[6]!, 1_000)).toEqual({ status: 201, final: 'succeeded' });
    await engine.terminalFree(terminals[6]!);
    expect(await refund(paid, terminals[6]!, 1_072)).toEqual({ status: 202, final: 'succeeded' });
    await engine.terminalFree(terminals[6]!);
    expect(await refund(paid, terminals[6]!, 1_073)).toEqual({ status: 202, final: 'failed' });

    // A session refused by Dintero: the terminal is inactive there.
    await engine.sim.control('PUT', `/terminals/${terminals[5]}`, { status: 'INACTIVE' });
    expect((await startOn(terminals[5]!, 10_000)).status).toBe(422);

    // What the engine does not do today but the client can: void, capture, a list, errors.
    const client = new DinteroClient({
      accountId: 'T12345678',
      clientId: 'simulator-client',
      clientSecret: 'simulator-secret',
      apiUrl: dinteroProxy.url,
      checkoutUrl: dinteroProxy.url,
      maxAttempts: 1,
    });
    const txId = (
      await engine.sim.control<{ transactions: { id: string; paymentId: string }[] }>('GET', '/ground-truth')
    ).transactions.find((tx) => tx.paymentId === paid)!.id;
    await expect(client.void(txId)).rejects.toBeInstanceOf(DinteroRejectedError);
    await expect(client.capture(txId, 100)).rejects.toBeInstanceOf(DinteroRejectedError);
    await expect(client.getTransaction('T12345678.nope')).rejects.toMatchObject({ status: 404 });
    expect((await client.listTransactions({ storeId: [storeId], limit: 100 })).length).toBeGreaterThan(5);
    await client.close();
    await engine.sim.control('POST', '/idle');

    const conformance = SpecConformance.fromFile(path.join(__dirname, 'allowed-differences.json'));
    for (const exchange of dinteroProxy.exchanges) checkDinteroExchange(conformance, exchange);
    for (const exchange of ingestProxy.exchanges) checkDelivery(conformance, exchange);

    // Every kind was seen, so that a schema nothing reached cannot pass for conformance.
    expect([...conformance.checked.keys()].sort()).toEqual([
      'callback-query.json',
      'capture-request.json',
      'error.json',
      'list-terminal-operations-response.json',
      'list-terminals-response.json',
      'list-transactions-response.json',
      'refund-request.json',
      'session-created.json',
      'session-profile-request.json',
      'session.json',
      'store-create-request.json',
      'store.json',
      'terminal-create-request.json',
      'terminal-operation-request.json',
      'terminal-operation.json',
      'terminal.json',
      'transaction.json',
    ]);
    expect(conformance.unexpected).toEqual([]);
    expect(conformance.unused()).toEqual([]);
  }, 180_000);
});

const ROUTES: [RegExp, string, (c: SpecConformance, e: Exchange, what: string) => void][] = [
  [
    /^POST \/v1\/admin\/terminals\/operations$/,
    'POST /v1/admin/terminals/operations',
    (c, e, what) => {
      c.check('terminal-operation-request.json', `${what} request`, e.requestBody);
      if (e.status < 300) c.check('terminal-operation.json', `${what} answer`, e.responseBody);
    },
  ],
  [
    /^GET \/v1\/admin\/terminals\/operations$/,
    'GET /v1/admin/terminals/operations',
    (c, e, what) => {
      // Polled by terminal and operation, as Dintero's guide does.
      expect([...e.query.keys()].sort()).toEqual(['operation_id', 'terminal_id']);
      if (e.status < 300) c.check('list-terminal-operations-response.json', `${what} answer`, e.responseBody);
    },
  ],
  [
    /^POST \/v1\/accounts\/[^/]+\/stores$/,
    'POST /v1/accounts/{aid}/stores',
    (c, e, what) => {
      c.check('store-create-request.json', `${what} request`, e.requestBody);
      if (e.status < 300) c.check('store.json', `${what} answer`, e.responseBody);
    },
  ],
  [
    /^GET \/v1\/accounts\/[^/]+\/stores\/[^/?]+$/,
    'GET /v1/accounts/{aid}/stores/{store_id}',
    (c, e, what) => {
      if (e.status < 300) c.check('store.json', `${what} answer`, e.responseBody);
    },
  ],
  [
    /^POST \/v1\/accounts\/[^/]+\/terminals$/,
    'POST /v1/accounts/{aid}/terminals',
    (c, e, what) => {
      c.check('terminal-create-request.json', `${what} request`, e.requestBody);
      if (e.status < 300) c.check('terminal.json', `${what} answer`, e.responseBody);
    },
  ],
  [
    /^GET \/v1\/accounts\/[^/]+\/terminals(\?.*)?$/,
    'GET /v1/accounts/{aid}/terminals',
    (c, e, what) => {
      if (e.status < 300) c.check('list-terminals-response.json', `${what} answer`, e.responseBody);
    },
  ],
  [
    /^GET \/v1\/accounts\/[^/]+\/terminals\/[^/?]+$/,
    'GET /v1/accounts/{aid}/terminals/{terminal_id}',
    (c, e, what) => {
      if (e.status < 300) c.check('terminal.json', `${what} answer`, e.responseBody);
    },
  ],
  [
    /^POST \/v1\/sessions-profile$/,
    'POST /v1/sessions-profile',
    (c, e, what) => {
      c.check('session-profile-request.json', `${what} request`, e.requestBody);
      if (e.status < 300) c.check('session-created.json', `${what} answer`, e.responseBody);
    },
  ],
  [
    /^(GET \/v1\/sessions\/[^/]+|POST \/v1\/sessions\/[^/]+\/cancel)$/,
    'session',
    (c, e, what) => {
      if (e.status < 300) c.check('session.json', `${what} answer`, e.responseBody);
    },
  ],
  [
    /^GET \/v1\/transactions$/,
    'GET /v1/transactions',
    (c, e, what) => {
      if (e.status < 300) c.check('list-transactions-response.json', `${what} answer`, e.responseBody);
    },
  ],
  [
    /^GET \/v1\/transactions\/[^/]+$/,
    'GET /v1/transactions/{id}',
    (c, e, what) => {
      if (e.status < 300) c.check('transaction.json', `${what} answer`, e.responseBody);
    },
  ],
  [
    /^POST \/v1\/transactions\/[^/]+\/(refund|capture|void)$/,
    'POST /v1/transactions/{id}/{operation}',
    (c, e, what) => {
      const operation = e.path.split('/').at(-1)!;
      if (operation === 'void') {
        if (e.requestBody !== undefined) throw new Error(`${what}: void takes no body`);
      } else c.check(`${operation}-request.json`, `${what} request`, e.requestBody);
      if (e.status < 300) c.check('transaction.json', `${what} answer`, e.responseBody);
      // 202 Accepted names the request its result event will carry as `correlation_request_id`.
      if (e.status === 202 && !e.responseHeaders.get('event-request-id'))
        throw new Error(`${what}: 202 without event-request-id`);
    },
  ],
];

function checkDinteroExchange(conformance: SpecConformance, exchange: Exchange): void {
  const line = `${exchange.method} ${exchange.path}`;
  // The token endpoint belongs to Dintero's auth API, not the Checkout specification these schemas are from.
  if (/^POST \/v1\/accounts\/[^/]+\/auth\/token$/.test(line)) return;
  const route = ROUTES.find(([pattern]) => pattern.test(line));
  if (!route) throw new Error(`no schema covers ${line}`);
  const [, name, check] = route;
  check(conformance, exchange, `${name} (${exchange.status})`);
  if (exchange.status >= 400)
    conformance.check('error.json', `${name} (${exchange.status}) error`, exchange.responseBody);
}

/** A callback's query, and a webhook's transaction, as Dintero delivers them to the ingest service. */
function checkDelivery(conformance: SpecConformance, exchange: Exchange): void {
  if (exchange.path.endsWith('/webhooks')) {
    const body = exchange.requestBody as { event?: string; transaction?: unknown };
    if (body.transaction !== undefined) conformance.check('transaction.json', 'webhook transaction', body.transaction);
    return;
  }
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(exchange.query.keys())) {
    const values = exchange.query.getAll(key);
    query[key] = values.length === 1 ? values[0]! : values;
  }
  conformance.check('callback-query.json', `callback ${exchange.method}`, query);
}

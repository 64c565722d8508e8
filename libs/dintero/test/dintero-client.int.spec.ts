import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { DinteroClient, DinteroRejectedError, DinteroUnavailableError } from '@app/dintero';
import { SimulatorState } from '../../../apps/dintero-simulator/src/state/simulator-state';
import { freePort } from '../../../test/support/app-process';
import { SEED, startSimulator, terminalSessionRequest, type RunningSimulator } from '../../../test/support/simulator';

describe('DinteroClient against the simulator over HTTP', () => {
  let sim: RunningSimulator;
  let clock: number;
  const clients: DinteroClient[] = [];
  afterEach(async () => {
    // Each client keeps its connections alive: closed, so that nothing outlives the test.
    await Promise.all(clients.splice(0).map((created) => created.close()));
  });
  const client = (change: Partial<ConstructorParameters<typeof DinteroClient>[0]> = {}) =>
    track(
      new DinteroClient({
        accountId: 'T12345678',
        clientId: 'simulator-client',
        clientSecret: 'simulator-secret',
        apiUrl: sim.url,
        checkoutUrl: sim.url,
        retryBaseMs: 1,
        now: () => clock,
        ...change,
      }),
    );
  const track = (created: DinteroClient) => (clients.push(created), created);
  const session = terminalSessionRequest;

  beforeEach(async () => {
    clock = 1_000_000;
    sim = await startSimulator({ SIM_TOKEN_TTL_SECONDS: '600' });
    await sim.control('POST', '/seed', SEED);
  });
  afterEach(() => sim.close());

  const tokensIssued = () => sim.app.get(SimulatorState).tokens.size;

  it('fetches one token for many concurrent callers and caches it', async () => {
    const dintero = client();
    await Promise.all(Array.from({ length: 20 }, () => dintero.listTransactions()));
    await dintero.listTransactions();
    expect(tokensIssued()).toBe(1);
  });

  it('renews the token before expires_in runs out', async () => {
    const dintero = client({ tokenRenewMarginMs: 60_000 });
    await dintero.listTransactions();
    clock += 600_000 - 60_000 - 1;
    await dintero.listTransactions();
    expect(tokensIssued()).toBe(1);
    clock += 2;
    await dintero.listTransactions();
    expect(tokensIssued()).toBe(2);
  });

  it('gets a new token when Dintero no longer accepts the cached one', async () => {
    const dintero = client();
    await dintero.listTransactions();
    sim.app.get(SimulatorState).tokens.clear();
    await expect(dintero.listTransactions()).resolves.toEqual([]);
    expect(tokensIssued()).toBe(1);
  });

  it('refuses wrong client credentials as Dintero said no', async () => {
    await expect(client({ clientSecret: 'wrong' }).listTransactions()).rejects.toMatchObject({
      name: 'DinteroRejectedError',
      status: 401,
    });
  });

  it('creates a terminal session with the payload of the Dintero mapping', async () => {
    const request = session();
    const created = await client().createTerminalSession(request);
    const stored = await client().getSession(created.id);
    expect(stored.order).toMatchObject({
      amount: 39_900,
      currency: 'NOK',
      merchant_reference: 'POS-1',
      merchant_reference_2: request.paymentId,
    });
    expect(stored.order).toHaveProperty('store', {
      id: 'oslo-center',
      terminal_id: 'T-1',
      payout_destination_id: 'seller-1',
    });
  });

  it.each([
    ['an unknown terminal', { terminalId: 'T-404' }, 400, 'TERMINAL_NOT_FOUND'],
    ['an inactive terminal', { terminalId: 'T-3' }, 400, 'TERMINAL_NOT_ACTIVE'],
    ['another store', { storeId: 'bergen' }, 400, 'STORE_MISMATCH'],
    ['a fractional amount', { amount: 10.5 }, 400, 'INVALID_REQUEST'],
    ['no payout destination', { payoutDestinationId: '' }, 400, 'INVALID_REQUEST'],
  ])('types a refusal for %s with Dintero’s code', async (_case, change, status, code) => {
    const error: unknown = await client()
      .createTerminalSession(session(change))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DinteroRejectedError);
    expect(error).toMatchObject({ status, code });
  });

  it('refuses a second session on a busy terminal', async () => {
    await client().createTerminalSession(session());
    await expect(client().createTerminalSession(session())).rejects.toMatchObject({
      status: 409,
      code: 'TERMINAL_BUSY',
    });
  });

  it('does not retry session creation on a 5xx: the outcome is unknown', async () => {
    await sim.control('PUT', '/chaos', { api5xxRate: 1 });
    const error: unknown = await client({ maxAttempts: 5 })
      .createTerminalSession(session())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DinteroUnavailableError);
    expect(error).toMatchObject({ status: 503 });
    // One attempt only: half of the simulated 503s come after the session was created.
    expect(sim.app.get(SimulatorState).sessions.size).toBeLessThanOrEqual(1);
  });

  it('retries even session creation through 429s (Retry-After), creating exactly one session', async () => {
    await sim.control('PUT', '/chaos', { api429Rate: 0.7 });
    const created = await client({ maxAttempts: 40 }).createTerminalSession(session());
    expect([...sim.app.get(SimulatorState).sessions.keys()]).toEqual([created.id]);
  });

  it('reports a 429 that outlasts its attempts as unavailable, not refused', async () => {
    await sim.control('PUT', '/chaos', { api429Rate: 1 });
    await expect(client({ maxAttempts: 3 }).createTerminalSession(session())).rejects.toMatchObject({
      name: 'DinteroUnavailableError',
      status: 429,
    });
    expect(sim.app.get(SimulatorState).sessions.size).toBe(0);
  });

  it('starts no attempt of a call that is not safe to repeat once its time to be sent ran out', async () => {
    await sim.control('PUT', '/chaos', { api429Rate: 1 });
    // As many attempts as it likes: only the time to send them bounds them.
    const dintero = client({ maxAttempts: 100_000, unsafeSendWindowMs: 300 });
    expect(dintero.longestUnsafeCallMs).toBe(300 + 10_000);
    const started = performance.now();
    await expect(dintero.createTerminalSession(session())).rejects.toThrow(
      /POST \/v1\/sessions-profile was not sent: the 300 ms it may be sent within ran out/,
    );
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(sim.app.get(SimulatorState).sessions.size).toBe(0);
  });

  it('retries reads through 5xx until they succeed', async () => {
    await sim.control('PUT', '/chaos', { api5xxRate: 0.6 });
    const dintero = client({ maxAttempts: 30 });
    for (let i = 0; i < 10; i++) await expect(dintero.listTransactions()).resolves.toEqual([]);
  });

  it('gives up on reads after its attempts, as unavailable', async () => {
    await sim.control('PUT', '/chaos', { api5xxRate: 1 });
    const dintero = client({ maxAttempts: 3 });
    await dintero.accessToken();
    await expect(dintero.listTransactions()).rejects.toBeInstanceOf(DinteroUnavailableError);
  });

  it('times out a slow Dintero as unavailable', async () => {
    // A second for the token, which a loaded machine's freshly started simulator took more than 50 ms to give (CI),
    // and three for the call timed out.
    const dintero = client({ timeoutMs: 1_000, maxAttempts: 1 });
    await dintero.accessToken();
    await sim.control('PUT', '/chaos', { apiLatencyMs: 3_000 });
    await expect(dintero.createTerminalSession(session())).rejects.toThrow(/timed out/);
  });

  it('treats a Dintero that cannot be reached as unavailable', async () => {
    const port = await freePort();
    const dintero = client({
      apiUrl: `http://127.0.0.1:${port}`,
      checkoutUrl: `http://127.0.0.1:${port}`,
      maxAttempts: 2,
    });
    await expect(dintero.listTransactions()).rejects.toThrow(/ECONNREFUSED/);
  });

  it('takes a refund’s 202 without a body as accepted, with the request id of its header, and no other call’s', async () => {
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (request.url?.includes('/auth/token')) {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ access_token: 't', token_type: 'Bearer', expires_in: 3_600 }));
        } else {
          response.writeHead(202, { 'event-request-id': 'req-42' });
          response.end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dintero = client({ apiUrl: url, checkoutUrl: url });
    try {
      await expect(
        dintero.refund('T12345678.tx1', { amount: 100, terminalId: 'T-2', refundReference: 'r1' }),
      ).resolves.toEqual({ kind: 'accepted', requestId: 'req-42' });
      // A call whose answer must hold something (a terminal operation's id) is no answer so.
      await expect(
        dintero.sendTerminalOperation({ terminalId: 'T-2', operation: 'end_of_day', idempotencyKey: randomUUID() }),
      ).rejects.toBeInstanceOf(DinteroUnavailableError);
    } finally {
      await dintero.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('ends a call whose error answer’s body never ends at its timeout, as one whose success’s body never ends', async () => {
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (request.url?.includes('/auth/token')) {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ access_token: 't', token_type: 'Bearer', expires_in: 3_600 }));
        } else {
          // The status and half a body, then nothing: a proxy's page cut off mid-way, its connection kept open.
          response.writeHead(request.url?.includes('/transactions/T12345678.gone') ? 404 : 503, {
            'content-type': 'application/json',
          });
          response.write('{"error":{"code":"');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dintero = client({ apiUrl: url, checkoutUrl: url, timeoutMs: 200, maxAttempts: 2 });
    try {
      await dintero.accessToken();
      const started = performance.now();
      // Retried (a 503 to a read), then refused: each attempt's body cut off by the call's own timeout.
      await expect(dintero.listTransactions()).rejects.toBeInstanceOf(DinteroUnavailableError);
      await expect(dintero.getTransaction('T12345678.gone')).rejects.toMatchObject({
        name: 'DinteroRejectedError',
        status: 404,
      });
      // Without the timeout on the body, each hangs until the pool's body timeout (300 s) or the test's own.
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      await dintero.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('says a call that could make no connection was never sent, and one that timed out may have been', async () => {
    const port = await freePort();
    const down = client({ checkoutUrl: `http://127.0.0.1:${port}`, maxAttempts: 2 });
    await down.accessToken();
    const refused = await down.createTerminalSession(session()).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DinteroUnavailableError);
    expect(refused).toMatchObject({ notSent: true });
    const slow = client({ timeoutMs: 50, maxAttempts: 1 });
    await slow.accessToken();
    await sim.control('PUT', '/chaos', { apiLatencyMs: 500 });
    const timedOut = await slow.createTerminalSession(session()).catch((error: unknown) => error);
    expect(timedOut).toBeInstanceOf(DinteroUnavailableError);
    expect(timedOut).toMatchObject({ notSent: false });
  });

  it('reads a transaction, lists with filters, refunds on a terminal and refuses refunding more than captured', async () => {
    const dintero = client();
    const request = session({ amount: 10_000 });
    const created = await dintero.createTerminalSession(request);
    await sim.control('POST', '/terminals/T-1/present', {});
    const { transaction_id } = await dintero.getSession(created.id);
    const tx = await dintero.getTransaction(transaction_id!);
    expect(tx).toMatchObject({
      status: 'CAPTURED',
      amount: 10_000,
      merchant_reference_2: request.paymentId,
      card: { brand: 'Visa', entry_method: 'contactless' },
    });
    expect(await dintero.listTransactions({ status: ['CAPTURED'], terminalId: ['T-1'] })).toHaveLength(1);
    expect(await dintero.listTransactions({ status: ['DECLINED'] })).toHaveLength(0);

    const refunded = await dintero.refund(tx.id, { amount: 4_000, terminalId: 'T-2', refundReference: 'r-1' });
    expect(refunded).toMatchObject({ kind: 'done', transaction: { status: 'PARTIALLY_REFUNDED' } });
    expect(refunded.transaction?.events?.at(-1)).toMatchObject({ event: 'REFUND', event_reference: 'r-1' });
    await expect(
      dintero.refund(tx.id, { amount: 6_001, terminalId: 'T-2', refundReference: 'r-2' }),
    ).rejects.toMatchObject({
      code: 'REFUND_AMOUNT_TOO_HIGH',
    });
    await expect(
      dintero.refund(tx.id, { amount: 6_000, terminalId: 'T-3', refundReference: 'r-3' }),
    ).rejects.toMatchObject({
      code: 'INVALID_REFUND_TERMINAL',
    });
    expect(await dintero.refund(tx.id, { amount: 6_000, terminalId: 'T-2', refundReference: 'r-4' })).toMatchObject({
      kind: 'done',
      transaction: { status: 'REFUNDED' },
    });
    await expect(dintero.void(tx.id)).rejects.toMatchObject({ code: 'VOID_NOT_ALLOWED' });
  });

  it('cancels a session while the terminal prompts, and refuses after the capture', async () => {
    const dintero = client();
    const first = await dintero.createTerminalSession(session());
    expect((await dintero.cancelSession(first.id)).cancelled_at).toBeDefined();
    const second = await dintero.createTerminalSession(session()); // the terminal is free again
    await sim.control('POST', '/terminals/T-1/present', {});
    await expect(dintero.cancelSession(second.id)).rejects.toMatchObject({ code: 'SESSION_CANCEL_NOT_ALLOWED' });
  });
});

/** A client of a server that answers every call but the token's with `status` and `body` (as `contentType`). */
async function answering(status: number, contentType: string, body: string, seen: IncomingHttpHeaders[] = []) {
  const server = createServer((request, response) => {
    seen.push(request.headers);
    if (request.url?.endsWith('/auth/token')) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ access_token: 'token', expires_in: 600 }));
      return;
    }
    response.writeHead(status, { 'content-type': contentType });
    response.end(body);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${port}`;
  const dintero = new DinteroClient({
    accountId: 'T12345678',
    clientId: 'c',
    clientSecret: 's',
    apiUrl: url,
    checkoutUrl: url,
    maxAttempts: 1,
  });
  return {
    dintero,
    close: async () => {
      await dintero.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('DinteroClient against a server whose successful answer is not JSON', () => {
  it('reports the outcome as unknown (unavailable), not a parse error', async () => {
    const { dintero, close } = await answering(200, 'text/html', '<html>maintenance</html>');
    try {
      const error = await dintero.getTransaction('T12345678.abc').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DinteroUnavailableError);
      expect(error).toMatchObject({ message: "Dintero's answer to GET /v1/transactions/T12345678.abc is not JSON" });
    } finally {
      await close();
    }
  });
});

describe('DinteroClient against a server whose list answers hold no list', () => {
  it.each(['{"operations":[]}', 'null', '{}'])(
    'reports %s as an outcome to find out again (unavailable), not a TypeError',
    async (body) => {
      const { dintero, close } = await answering(200, 'application/json', body);
      try {
        for (const [call, path] of [
          [() => dintero.getTerminalOperation('T-1', 'op-1'), 'GET /v1/admin/terminals/operations'],
          [
            () => dintero.listTransactions({ merchantReference2: 'p-1' }),
            'GET /v1/transactions?merchant_reference_2=p-1',
          ],
          [() => dintero.listTerminals({ storeId: 'oslo' }), 'GET /v1/accounts/…/terminals'],
        ] as const) {
          const error = await call().catch((caught: unknown) => caught);
          expect(error).toBeInstanceOf(DinteroUnavailableError);
          expect(error).toMatchObject({ message: `Dintero's answer to ${path} holds no list` });
        }
      } finally {
        await close();
      }
    },
  );
});

describe('DinteroClient against a server that creates a session and does not say its id', () => {
  it.each(['{}', '{"id":""}', '{"id":42}', 'null'])(
    'reports the outcome as unknown for %s, not a session with no id',
    async (body) => {
      const { dintero, close } = await answering(200, 'application/json', body);
      try {
        const error = await dintero
          .createTerminalSession({
            profileId: 'in-store',
            paymentId: randomUUID(),
            amount: 100,
            currency: 'NOK',
            merchantReference: 'POS-1',
            storeId: 'oslo-center',
            terminalId: 'T-1',
            payoutDestinationId: 'seller-1',
            callbackUrl: 'http://127.0.0.1:9/v1/dintero/callback',
            returnUrl: 'http://127.0.0.1:9/return',
            expiresAt: new Date(Date.now() + 60_000).toISOString(),
          })
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(DinteroUnavailableError);
        expect(error).toMatchObject({ message: "Dintero's answer to POST /v1/sessions-profile has no session id" });
      } finally {
        await close();
      }
    },
  );
});

describe('DinteroClient against an upstream whose error answer echoes the request', () => {
  const echoed = 'authorization: Bearer eyJhbGciOiJSUzI1NiJ9.SECRET-TOKEN and client_secret=SECRET-VALUE';
  it.each([
    [502, 'text/html', `<html>Bad gateway. Your request: ${echoed}</html>`],
    [
      400,
      'application/json',
      JSON.stringify({ error: { code: 'BAD', message: echoed, errors: [{ message: echoed }] } }),
    ],
  ])('keeps no credential of a %i answer in its error', async (status, contentType, body) => {
    const { dintero, close } = await answering(status, contentType, body);
    try {
      const error = (await dintero.getTransaction('T12345678.abc').catch((caught: unknown) => caught)) as Error;
      expect(error).toBeInstanceOf(status === 400 ? DinteroRejectedError : DinteroUnavailableError);
      const kept = JSON.stringify({ ...error, message: error.message });
      expect(kept).not.toMatch(/SECRET/);
      expect(kept).toContain(status === 400 ? 'client_secret=[redacted]' : "not Dintero's error format");
    } finally {
      await close();
    }
  });
});

describe("DinteroClient's requests as Dintero's API reference has them", () => {
  /** What one host was asked: method, path with query, and the JSON body. */
  interface Asked {
    readonly method: string;
    readonly path: string;
    readonly body?: unknown;
  }

  /**
   * A host that records what it is asked and answers with the smallest body of the right shape. Two of them, the API
   * host and the checkout host: the simulator serves both on one address, so it could not tell a call sent to the
   * wrong one.
   */
  const host = async () => {
    const asked: Asked[] = [];
    const server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString()));
      request.on('end', () => {
        const path = request.url ?? '';
        asked.push({ method: request.method ?? '', path, ...(text ? { body: JSON.parse(text) as unknown } : {}) });
        const pathname = path.split('?')[0]!;
        const answer = pathname.endsWith('/auth/token')
          ? { access_token: 'token', token_type: 'Bearer', expires_in: 600 }
          : pathname.endsWith('/terminals') && request.method === 'GET'
            ? { terminals: [] }
            : (pathname === '/v1/transactions' || pathname.endsWith('/operations')) && request.method === 'GET'
              ? []
              : { id: 'T12345678.answer' };
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(answer));
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${port}`,
      asked,
      close: () => new Promise((resolve) => server.close(resolve)),
    };
  };

  it('sends each call to its host (token, stores and terminals to the API; the rest to checkout), in its shape', async () => {
    const [api, checkout] = [await host(), await host()];
    const dintero = new DinteroClient({
      accountId: 'T12345678',
      clientId: 'c',
      clientSecret: 's',
      apiUrl: api.url,
      checkoutUrl: checkout.url,
      maxAttempts: 1,
    });
    const request = terminalSessionRequest({ paymentId: 'p-1', expiresAt: '2026-12-06T12:00:00.000Z' });
    try {
      await dintero.createTerminalSession({ ...request, metadata: { ext_till: '3' } });
      await dintero.getSession('T12345678.s');
      await dintero.cancelSession('T12345678.s');
      await dintero.getTransaction('T12345678.t');
      await dintero.listTransactions({
        status: ['REFUNDED', 'PARTIALLY_REFUNDED'],
        paymentProductType: ['seitatech.in_person'],
        createdAtGte: '2026-12-01T00:00:00.000Z',
        merchantReference2: 'p-1',
        storeId: ['oslo-center'],
        limit: 100,
        startingAfter: 'T12345678.t',
      });
      await dintero.capture('T12345678.t', 100);
      await dintero.refund('T12345678.t', { amount: 100, terminalId: 'T12345678-T0001', refundReference: 'r-1' });
      await dintero.void('T12345678.t');
      await dintero.getStore('oslo-center');
      await dintero.createStore({ storeId: 'oslo-center', name: 'Oslo', payoutDestinationId: 'seller-1' });
      await dintero.getTerminal('T12345678-T0001');
      await dintero.listTerminals({ storeId: 'oslo-center' });
      await dintero.registerTerminal({ storeId: 'oslo-center', deviceSerialNumber: 'SIMULATED-T12345678-001' });
      await dintero.sendTerminalOperation({
        terminalId: 'T12345678-T0001',
        operation: 'end_of_day',
        idempotencyKey: '6f1c5a0e-7d1b-4c4e-9d55-0b8f4c1e2a3b',
      });
      await dintero.getTerminalOperation('T12345678-T0001', 'op-1');
    } finally {
      await dintero.close();
      await Promise.all([api.close(), checkout.close()]);
    }
    const accounts = '/v1/accounts/T12345678';
    expect(api.asked).toEqual([
      {
        method: 'POST',
        path: `${accounts}/auth/token`,
        body: { grant_type: 'client_credentials', audience: 'https://api.dintero.com/v1/accounts/T12345678' },
      },
      { method: 'GET', path: `${accounts}/stores/oslo-center` },
      {
        method: 'POST',
        path: `${accounts}/stores`,
        body: {
          store_id: 'oslo-center',
          store_name: 'Oslo',
          payout_destination: { payout_destination_id: 'seller-1' },
        },
      },
      { method: 'GET', path: `${accounts}/terminals/T12345678-T0001` },
      { method: 'GET', path: `${accounts}/terminals?limit=100&store_id=oslo-center` },
      {
        method: 'POST',
        path: `${accounts}/terminals`,
        body: { device_serial_number: 'SIMULATED-T12345678-001', store_id: 'oslo-center' },
      },
    ]);
    expect(checkout.asked).toEqual([
      {
        method: 'POST',
        path: '/v1/sessions-profile',
        body: {
          profile_id: 'in-store',
          url: { return_url: request.returnUrl, callback_url: request.callbackUrl },
          order: {
            amount: 39_900,
            currency: 'NOK',
            merchant_reference: 'POS-1',
            merchant_reference_2: 'p-1',
            store: { id: 'oslo-center', terminal_id: 'T-1', payout_destination_id: 'seller-1' },
          },
          expires_at: '2026-12-06T12:00:00.000Z',
          metadata: { ext_till: '3' },
        },
      },
      { method: 'GET', path: '/v1/sessions/T12345678.s' },
      // No body: the specification's cancel and void take none.
      { method: 'POST', path: '/v1/sessions/T12345678.s/cancel' },
      { method: 'GET', path: '/v1/transactions/T12345678.t' },
      {
        method: 'GET',
        path:
          '/v1/transactions?status=REFUNDED&status=PARTIALLY_REFUNDED&store_id=oslo-center' +
          '&payment_product_type=seitatech.in_person&created_at.gte=2026-12-01T00%3A00%3A00.000Z' +
          '&merchant_reference_2=p-1&limit=100&starting_after=T12345678.t',
      },
      { method: 'POST', path: '/v1/transactions/T12345678.t/capture', body: { amount: 100 } },
      {
        method: 'POST',
        path: '/v1/transactions/T12345678.t/refund',
        body: { amount: 100, refund_reference: 'r-1', terminal_id: 'T12345678-T0001' },
      },
      { method: 'POST', path: '/v1/transactions/T12345678.t/void' },
      {
        method: 'POST',
        path: '/v1/admin/terminals/operations',
        body: { terminal_id: 'T12345678-T0001', operation: 'end_of_day' },
      },
      { method: 'GET', path: '/v1/admin/terminals/operations?terminal_id=T12345678-T0001&operation_id=op-1' },
    ]);
  });
});

describe('DinteroClient naming the engine to Dintero', () => {
  it('sends the Dintero-System headers Dintero recommends on every call, the token’s too, with package.json’s version', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = await answering(200, 'application/json', '[]', seen);
    try {
      await server.dintero.listTransactions();
    } finally {
      await server.close();
    }
    const { name, version } = JSON.parse(readFileSync('package.json', 'utf8')) as { name: string; version: string };
    expect(seen).toHaveLength(2);
    for (const headers of seen)
      expect(headers).toMatchObject({ 'dintero-system-name': name, 'dintero-system-version': version });
  });
});

describe('DinteroClient read whose caller gives up (its signal)', () => {
  /**
   * A Dintero that answers the token at once (unless `holdToken`) and a transaction with `answer`: `hold` leaves it
   * unanswered. Each request's connection close is awaitable, by path.
   */
  const dintero = async (answer: 'hold' | 503, holdToken = false) => {
    const seen: { path: string; closed: Promise<void>; answer: (status: number, body: unknown) => void }[] = [];
    const server = createServer((request, response) => {
      const closed = new Promise<void>((resolve) => response.on('close', resolve));
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      seen.push({ path: request.url ?? '', closed, answer: reply });
      request.resume();
      if (request.url?.includes('/auth/token')) {
        if (!holdToken) reply(200, { access_token: 't', token_type: 'Bearer', expires_in: 3_600 });
      } else if (answer === 503) reply(503, { error: { code: 'DOWN', message: 'down' } });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new DinteroClient({
      accountId: 'T12345678',
      clientId: 'c',
      clientSecret: 's',
      apiUrl: url,
      checkoutUrl: url,
      timeoutMs: 60_000,
      retryBaseMs: 60_000,
    });
    const asked = (part: string) => seen.filter((each) => each.path.includes(part));
    /** Until the server has seen a request whose path has `part`: polled, for at most 5 s. */
    const sees = async (part: string) => {
      for (const until = Date.now() + 5_000; asked(part).length === 0;) {
        if (Date.now() > until) throw new Error(`no request for ${part}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    // The server's connections first: a request still held would keep the client's close waiting for it.
    const close = async () => {
      server.closeAllConnections();
      await client.close();
      await new Promise((resolve) => server.close(resolve));
    };
    return { client, asked, sees, close };
  };
  const stop = new Error('the delivery was answered');
  /** What the call ended with, or that it is still under way 2 s after its caller gave up. */
  const ending = async (call: Promise<unknown>) => {
    let timer: NodeJS.Timeout | undefined;
    const still = new Promise((resolve) => (timer = setTimeout(() => resolve('still under way after 2 s'), 2_000)));
    try {
      return await Promise.race([call, still]);
    } finally {
      clearTimeout(timer);
    }
  };

  it('cuts off the request under way, fails with the signal’s reason and makes no other attempt', async () => {
    const { client, asked, sees, close } = await dintero('hold');
    try {
      const caller = new AbortController();
      const call = client.getTransaction('T12345678.hung', { signal: caller.signal }).catch((error: unknown) => error);
      await sees('/v1/transactions/');
      caller.abort(stop);
      expect(await ending(call)).toBe(stop);
      // The connection closed by the client now, not at its timeout (a minute).
      await asked('/v1/transactions/')[0]!.closed;
      expect(asked('/v1/transactions/')).toHaveLength(1);
    } finally {
      await close();
    }
  }, 10_000);

  it('makes no attempt after a backoff its caller gave up in', async () => {
    const { client, asked, sees, close } = await dintero(503);
    try {
      const caller = new AbortController();
      const call = client.findSession('S-1', { signal: caller.signal }).catch((error: unknown) => error);
      await sees('/v1/sessions/');
      // Its 503 sent: the client is reading it, or already waiting before the next attempt.
      await asked('/v1/sessions/')[0]!.closed;
      caller.abort(stop);
      expect(await ending(call)).toBe(stop);
      expect(asked('/v1/sessions/')).toHaveLength(1);
    } finally {
      await close();
    }
  }, 10_000);

  it('stops waiting for a token under way without cutting it off: another caller gets it', async () => {
    const { client, asked, sees, close } = await dintero('hold', true);
    try {
      const caller = new AbortController();
      const call = client.getSession('S-1', { signal: caller.signal }).catch((error: unknown) => error);
      await sees('/auth/token');
      caller.abort(stop);
      expect(await ending(call)).toBe(stop);
      const token = client.accessToken();
      asked('/auth/token')[0]!.answer(200, { access_token: 'shared', token_type: 'Bearer', expires_in: 3_600 });
      await expect(token).resolves.toBe('shared');
      expect(asked('/auth/token')).toHaveLength(1);
      expect(asked('/v1/sessions/')).toHaveLength(0);
    } finally {
      await close();
    }
  }, 10_000);
});

import { randomUUID } from 'node:crypto';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { handleCommand, readState, type EventStore } from '@app/event-store';
import { terminalDecider, terminalStream } from '@app/payment-domain';
import { natsNames } from '@app/messaging';
import { startCommandServiceOnSimulator, type RunningCommandService } from '../../../test/support/command-service';
import { takenKey } from '../../../test/support/idempotency';
import { HQ } from '../../../test/support/pos-clients';

/** Head office's key in the message's Authorization header. */
function withKey() {
  const h = headers();
  h.set('Authorization', `Bearer ${HQ.key}`);
  return h;
}

describe('command service over NATS request/reply', () => {
  const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  let subjects: ReturnType<typeof natsNames>['commands'];
  let queries: ReturnType<typeof natsNames>['queries'];
  let service: RunningCommandService;
  let client: NatsConnection;
  let log: EventStore;
  let close: () => Promise<void>;

  beforeAll(async () => {
    let prefix: string;
    ({ service, prefix, close } = await startCommandServiceOnSimulator([
      { id: 'oslo-center', payoutDestinationId: 'seller-1', terminals: ['N-1', 'N-2', 'N-3', 'N-4'] },
    ]));
    // A prefix of its own, so that this run's subjects meet no other run's.
    subjects = natsNames(prefix).commands;
    queries = natsNames(prefix).queries;
    ({ log } = service);
    client = await connect({ servers: natsUrl });
  });
  afterAll(async () => {
    await client.close();
    await close();
  });

  const request = async (subject: string, payload: unknown) => {
    const reply = await client.request(subject, typeof payload === 'string' ? payload : JSON.stringify(payload), {
      timeout: 10_000,
      headers: withKey(),
    });
    return reply.json<{ status: number; body: Record<string, unknown> }>();
  };
  const payment = {
    storeId: 'oslo-center',
    terminalId: 'N-1',
    amount: 39_900,
    currency: 'NOK',
    merchantReference: 'POS-nats',
  };

  it('starts a payment with the same answer as HTTP, once per idempotency key, and cancels it', async () => {
    const idempotencyKey = randomUUID();
    const first = await request(subjects.start, { idempotencyKey, payment });
    expect(first).toMatchObject({ status: 201, body: { status: 'awaiting_card', terminalId: 'N-1', final: false } });
    expect(await request(subjects.start, { idempotencyKey, payment })).toEqual(first);
    const http = await (await service.fetch(`/v1/terminal-payments/${first.body.paymentId as string}`)).json();
    expect(http).toEqual(first.body);

    expect(await request(subjects.start, { idempotencyKey: randomUUID(), payment })).toMatchObject({
      status: 409,
      body: { code: 'TERMINAL_BUSY', activePaymentId: first.body.paymentId },
    });
    expect(await request(subjects.cancel, { paymentId: first.body.paymentId })).toMatchObject({
      status: 200,
      body: { status: 'cancelled' },
    });
  });

  it('takes a currency in lower case as that currency, as HTTP does', async () => {
    const started = await request(subjects.start, {
      idempotencyKey: randomUUID(),
      payment: { ...payment, terminalId: 'N-4', currency: 'nok', merchantReference: 'POS-lower' },
    });
    expect(started).toMatchObject({ status: 201, body: { terminalId: 'N-4', currency: 'NOK' } });
    const paymentId = started.body.paymentId as string;
    const requested = (await log.readStream(`payment-${paymentId}`)).find((event) => event.type === 'PaymentRequested');
    expect(requested?.data).toMatchObject({ currency: 'NOK' });
    expect(await request(subjects.cancel, { paymentId })).toMatchObject({ status: 200 });
  });

  it('takes a retry over NATS of a start made over HTTP, its currency written in another case, as the same request', async () => {
    const idempotencyKey = randomUUID();
    const body = { ...payment, terminalId: 'N-4', merchantReference: 'POS-both-ways' };
    const overHttp = await service.fetch('/v1/terminal-payments', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify({ ...body, currency: 'nok' }),
    });
    const first = { status: overHttp.status, body: (await overHttp.json()) as Record<string, unknown> };
    expect(first).toMatchObject({ status: 201, body: { terminalId: 'N-4', currency: 'NOK' } });
    expect(await request(subjects.start, { idempotencyKey, payment: { ...body, currency: 'NOK' } })).toEqual(first);
    // Another request is still refused, as before.
    expect(await request(subjects.start, { idempotencyKey, payment: { ...body, amount: 100 } })).toMatchObject({
      status: 422,
      body: { code: 'IDEMPOTENCY_KEY_REUSED' },
    });
    expect(await request(subjects.cancel, { paymentId: first.body.paymentId })).toMatchObject({ status: 200 });
  });

  it('reads one payment and one refund as HTTP does, and waits for the outcome when asked', async () => {
    const started = await request(subjects.start, {
      idempotencyKey: randomUUID(),
      payment: { ...payment, merchantReference: 'POS-read' },
    });
    const paymentId = started.body.paymentId as string;
    const read = await request(queries.payment, { paymentId });
    expect(read).toEqual({ status: 200, body: started.body });
    expect(await (await service.fetch(`/v1/terminal-payments/${paymentId}`)).json()).toEqual(read.body);

    // Not final within its timeout: answered as it is when the second runs out.
    expect(await request(queries.payment, { paymentId, waitFor: 'final', timeout: 1 })).toMatchObject({
      status: 200,
      body: { paymentId, status: 'awaiting_card', final: false },
    });
    const waiting = request(queries.payment, { paymentId, waitFor: 'final', timeout: 8 });
    expect(await request(subjects.cancel, { paymentId })).toMatchObject({ status: 200 });
    expect(await waiting).toMatchObject({ status: 200, body: { paymentId, status: 'cancelled', final: true } });

    const refundId = randomUUID();
    const noRefund = await request(queries.refund, { paymentId, refundId });
    expect(noRefund).toMatchObject({ status: 404, body: { code: 'UNKNOWN_REFUND', refundId } });
    const overHttp = await service.fetch(`/v1/terminal-payments/${paymentId}/refunds/${refundId}`);
    // The same answer, but for `instance`: the subject here, the path over HTTP.
    expect({ status: overHttp.status, body: await overHttp.json() }).toEqual({
      status: noRefund.status,
      body: { ...noRefund.body, instance: `/v1/terminal-payments/${paymentId}/refunds/${refundId}` },
    });
  });

  it('finds a payment whose id is given in capital letters (a GUID as a POS may keep it), over NATS and HTTP', async () => {
    const started = await request(subjects.start, {
      idempotencyKey: randomUUID(),
      payment: { ...payment, terminalId: 'N-3', merchantReference: 'POS-guid' },
    });
    const paymentId = started.body.paymentId as string;
    const upper = paymentId.toUpperCase();
    expect(await request(queries.payment, { paymentId: upper })).toEqual({ status: 200, body: started.body });
    const overHttp = await service.fetch(`/v1/terminal-payments/${upper}`);
    expect({ status: overHttp.status, body: await overHttp.json() }).toEqual({ status: 200, body: started.body });
    const refundId = randomUUID();
    expect(await request(queries.refund, { paymentId: upper, refundId: refundId.toUpperCase() })).toMatchObject({
      status: 404,
      body: { code: 'UNKNOWN_REFUND', refundId },
    });
    expect(await request(subjects.cancel, { paymentId: upper })).toMatchObject({
      status: 200,
      body: { paymentId, status: 'cancelled' },
    });
  });

  it.each([
    ['no payment id', {}, 400, 'VALIDATION_FAILED'],
    ['a payment id that is not a UUID', { paymentId: 'POS-1' }, 400, 'VALIDATION_FAILED'],
    [
      'a wait longer than a minute',
      { paymentId: randomUUID(), waitFor: 'final', timeout: 61 },
      400,
      'VALIDATION_FAILED',
    ],
    ['an unknown field', { paymentId: randomUUID(), storeId: 'oslo-center' }, 400, 'VALIDATION_FAILED'],
    ['a payment no one started', { paymentId: randomUUID() }, 404, 'PAYMENT_NOT_FOUND'],
  ])('answers a payment query with %s as HTTP would', async (_case, message, status, code) => {
    expect(await request(queries.payment, message)).toMatchObject({ status, body: { code } });
  });

  it.each([
    ['no payment id', {}, [{ field: 'paymentId', message: 'paymentId is required' }]],
    [
      'a timeout of true',
      { paymentId: randomUUID(), waitFor: 'final', timeout: true },
      [{ field: 'timeout', message: 'timeout must be an integer number' }],
    ],
    [
      'an empty timeout',
      { paymentId: randomUUID(), waitFor: 'final', timeout: '' },
      [{ field: 'timeout', message: 'timeout must be an integer number' }],
    ],
  ])('names the field a payment query with %s gets wrong', async (_case, message, errors) => {
    // Before, `true` was taken as a 1 s wait, and "" as 0 ("must not be less than 1").
    expect(await request(queries.payment, message)).toMatchObject({
      status: 400,
      body: { code: 'VALIDATION_FAILED', errors },
    });
  });

  it('names the message’s idempotencyKey, not an HTTP header, when it is empty', async () => {
    const before = (await log.readAll({ limit: 10_000 })).length;
    expect(await request(subjects.start, { idempotencyKey: '', payment })).toMatchObject({
      status: 400,
      body: {
        code: 'VALIDATION_FAILED',
        errors: [{ field: 'idempotencyKey', message: 'idempotencyKey must be 1-255 visible ASCII characters' }],
      },
    });
    expect((await log.readAll({ limit: 10_000 })).length).toBe(before);
  });

  it('refuses a message larger than an HTTP body may be (413), and an operation for terminal null (400), writing nothing', async () => {
    const before = (await log.readAll({ limit: 10_000 })).length;
    const padded = JSON.stringify({ idempotencyKey: randomUUID(), payment }).replace('{', `{${' '.repeat(70_000)}`);
    expect(await request(subjects.start, padded)).toMatchObject({
      status: 413,
      body: { code: 'PAYLOAD_TOO_LARGE' },
    });
    expect(
      await request(subjects.operate, {
        idempotencyKey: randomUUID(),
        storeId: 'oslo-center',
        terminalId: null,
        operation: { operation: 'send_logs' },
      }),
    ).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED', errors: [{ field: 'terminalId' }] } });
    expect((await log.readAll({ limit: 10_000 })).length).toBe(before);
  });

  /** A start's key taken `agoMs` ago by a run that then died, its lease `leaseMs` long: what a killed run leaves. */
  const keyTakenAgo = async (terminalId: string, merchantReference: string, agoMs: number, leaseMs: number) => {
    const idempotencyKey = randomUUID();
    const body = { ...payment, terminalId, merchantReference };
    const paymentId = randomUUID();
    const at = new Date(Date.now() - agoMs);
    const leaseUntil = new Date(at.getTime() + leaseMs);
    await takenKey(log, { scope: HQ.id, key: idempotencyKey, body, resourceId: paymentId, at, leaseUntil });
    return { idempotencyKey, body, paymentId, at };
  };

  it('resumes, with the same key, a start whose first run died before doing anything', async () => {
    // What a command service killed right after taking the key leaves: the key names the payment, its lease ran out.
    const { idempotencyKey, body, paymentId } = await keyTakenAgo('N-2', 'POS-nats-resumed', 60_000, 30_000);
    const resumed = await request(subjects.start, { idempotencyKey, payment: body });
    expect(resumed).toMatchObject({ status: 201, body: { paymentId, status: 'awaiting_card', terminalId: 'N-2' } });
    expect(await request(subjects.start, { idempotencyKey, payment: body })).toEqual(resumed);
    expect(await request(subjects.cancel, { paymentId })).toMatchObject({ status: 200 });
  });

  it('resumes a start whose first run died after claiming the terminal long ago with a claim as long as its session', async () => {
    // A run killed right after its claim, 175 s ago (the reconciler has not released the claim): the claim has 5 s left.
    const { idempotencyKey, body, paymentId, at } = await keyTakenAgo('N-3', 'POS-nats-late', 175_000, 60_000);
    await handleCommand(
      log,
      terminalStream('N-3'),
      terminalDecider,
      {
        type: 'ClaimTerminal',
        data: {
          terminalId: 'N-3',
          claimId: paymentId,
          kind: 'payment',
          paymentId,
          storeId: 'oslo-center',
          claimedAt: at.toISOString(),
          expiresAt: new Date(Date.now() + 5_000).toISOString(),
        },
      },
      { metadata: { correlationId: 'crashed' } },
    );
    const resumed = await request(subjects.start, { idempotencyKey, payment: body });
    expect(resumed).toMatchObject({ status: 201, body: { paymentId, status: 'awaiting_card' } });
    // The claim outlives the session the resumed run created, so that no other payment takes the terminal under it.
    const { state } = await readState(log, terminalStream('N-3'), terminalDecider);
    expect(state).toMatchObject({ status: 'claimed', claim: { claimId: paymentId } });
    const claimExpiry = state.status === 'claimed' ? Date.parse(state.claim.expiresAt) : 0;
    expect(claimExpiry).toBeGreaterThan(Date.parse(String(resumed.body.expiresAt)));
    expect(await request(subjects.cancel, { paymentId })).toMatchObject({ status: 200 });
  });

  it('refuses a refund of an uncaptured payment as HTTP does', async () => {
    const started = await request(subjects.start, {
      idempotencyKey: randomUUID(),
      payment: { ...payment, terminalId: 'N-2' },
    });
    expect(
      await request(subjects.refund, {
        paymentId: started.body.paymentId,
        idempotencyKey: randomUUID(),
        refund: { amount: 100, terminalId: 'N-1' },
      }),
    ).toMatchObject({ status: 409, body: { code: 'NOT_REFUNDABLE' } });
  });

  it("records the caller's correlation id, whatever case its header is written in, and only a well-formed one", async () => {
    const started = async (correlationId: string) => {
      const h = withKey();
      h.set('X-Correlation-Id', correlationId);
      const reply = await client.request(
        subjects.start,
        JSON.stringify({ idempotencyKey: randomUUID(), payment: { ...payment, merchantReference: 'POS-correlated' } }),
        { timeout: 10_000, headers: h },
      );
      const { status, body } = reply.json<{ status: number; body: { paymentId: string } }>();
      expect(status).toBe(201);
      const [requested] = await log.readStream(`payment-${body.paymentId}`);
      await request(subjects.cancel, { paymentId: body.paymentId });
      return requested?.metadata.correlationId;
    };
    expect(await started('pos-77.till-3')).toBe('pos-77.till-3');
    const replaced = await started('not a correlation id');
    expect(replaced).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it.each([
    ['a message that is not JSON', '{"payment":', 400, 'MALFORMED_REQUEST'],
    ['a JSON array', [], 400, 'VALIDATION_FAILED'],
    ['no idempotency key', { payment }, 400, 'VALIDATION_FAILED'],
    ['a fractional amount', { idempotencyKey: 'k-1', payment: { ...payment, amount: 1.5 } }, 400, 'VALIDATION_FAILED'],
    ['an unknown field', { idempotencyKey: 'k-2', payment, tip: 1 }, 400, 'VALIDATION_FAILED'],
    [
      'an unknown terminal',
      { idempotencyKey: 'k-3', payment: { ...payment, terminalId: 'N-404' } },
      404,
      'UNKNOWN_TERMINAL',
    ],
  ])('answers %s with a clear 4xx and writes nothing', async (_case, message, status, code) => {
    const before = (await log.readAll({ limit: 10_000 })).length;
    expect(await request(subjects.start, message)).toMatchObject({ status, body: { code } });
    expect((await log.readAll({ limit: 10_000 })).length).toBe(before);
  });

  it.each([
    [
      'constructor',
      'payment.metadata.constructor',
      'metadata.constructor',
      'constructor is not allowed as a key (__proto__, constructor and prototype are reserved)',
    ],
    [
      'prototype',
      'payment.metadata.prototype',
      'metadata.prototype',
      'prototype is not allowed as a key (__proto__, constructor and prototype are reserved)',
    ],
    // Refused as it is parsed, before it can be copied: the parser names no path.
    ['__proto__', 'message', 'body', '$where holds a __proto__ key or a constructor.prototype, which are refused'],
  ])(
    'refuses a metadata key %s with the same 400 over NATS and HTTP, and writes nothing',
    async (key, natsField, httpField, message) => {
      // Written raw: in an object literal, `__proto__` would set the prototype instead of making a key.
      const body = (terminalId: string) =>
        `{"storeId":"oslo-center","terminalId":"${terminalId}","amount":100,"currency":"NOK",` +
        `"merchantReference":"POS-odd","metadata":{"${key}":"x"}}`;
      const before = (await log.readAll({ limit: 10_000 })).length;
      const overNats = await request(subjects.start, `{"idempotencyKey":"${randomUUID()}","payment":${body('N-1')}}`);
      const overHttp = await service.fetch('/v1/terminal-payments', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: body('N-2'),
      });
      expect(overNats).toMatchObject({
        status: 400,
        body: {
          code: 'VALIDATION_FAILED',
          errors: [{ field: natsField, message: message.replace('$where', 'message') }],
        },
      });
      expect(overHttp.status).toBe(400);
      expect(await overHttp.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ field: httpField, message: message.replace('$where', 'body') }],
      });
      expect((await log.readAll({ limit: 10_000 })).length).toBe(before);
    },
  );
});

describe('command service over NATS: a wait for the outcome when the service stops', () => {
  it('answers the payment as it is at once, and does not hold the stop', async () => {
    const { service, prefix, close } = await startCommandServiceOnSimulator([
      { id: 'oslo-stop', payoutDestinationId: 'seller-1', terminals: ['S-1'] },
    ]);
    const client = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
    try {
      const { commands, queries } = natsNames(prefix);
      const ask = async (subject: string, payload: unknown) =>
        (await client.request(subject, JSON.stringify(payload), { timeout: 60_000, headers: withKey() })).json<{
          status: number;
          body: Record<string, unknown>;
        }>();
      const started = await ask(commands.start, {
        idempotencyKey: randomUUID(),
        payment: { storeId: 'oslo-stop', terminalId: 'S-1', amount: 100, currency: 'NOK', merchantReference: 'R' },
      });
      const paymentId = started.body.paymentId as string;
      const waiting = ask(queries.payment, { paymentId, waitFor: 'final', timeout: 60 });
      // The service takes this connection's messages in order, and each through the same steps: once a read sent
      // after it is answered, the wait has begun.
      expect(await ask(queries.payment, { paymentId })).toMatchObject({ status: 200 });
      const stopping = Date.now();
      await service.close();
      expect(await waiting).toMatchObject({ status: 200, body: { paymentId, final: false } });
      expect(Date.now() - stopping).toBeLessThan(10_000);
    } finally {
      await client.close();
      await close();
    }
  });
});

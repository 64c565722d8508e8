import { randomUUID } from 'node:crypto';
import {
  type DinteroClient,
  verifyCallbackSignature,
  verifyWebhookSignature,
  type DinteroTransaction,
} from '@app/dintero';
import { waitUntil } from '../../../test/support/app-process';
import {
  SEED,
  startReceiver,
  simulatorClient,
  startSimulator,
  type Receiver,
  type RunningSimulator,
} from '../../../test/support/simulator';
import type { DeliveryRecord } from '../src/delivery/delivery.service';
import { SimulatorState } from '../src/state/simulator-state';
import { TerminalTimers } from '../src/terminals/terminal-timers';

const WEBHOOK_SECRET = 'webhook-secret-1';
const CALLBACK_SECRET = 'callback-secret-1';

describe('Dintero simulator', () => {
  let sim: RunningSimulator;
  let receiver: Receiver;
  let dintero: DinteroClient;

  beforeEach(async () => {
    receiver = await startReceiver();
    sim = await startSimulator({ DINTERO_CALLBACK_SECRET: CALLBACK_SECRET });
    await sim.control('POST', '/seed', {
      ...SEED,
      webhooks: [{ url: `${receiver.url}/v1/dintero/webhooks`, secret: WEBHOOK_SECRET }],
    });
    dintero = simulatorClient(sim);
  });
  afterEach(async () => {
    await dintero.close();
    await sim.close();
    await receiver.close();
  });

  const start = (
    amount: number,
    terminalId = 'T-1',
    expiresInMs = 60_000,
    callbackQuery = 'payment_id=p1&report_error=true&report_event=REFUND',
  ) =>
    dintero.createTerminalSession({
      profileId: 'in-store',
      paymentId: randomUUID(),
      amount,
      currency: 'NOK',
      merchantReference: `POS-${amount}`,
      storeId: 'oslo-center',
      terminalId,
      payoutDestinationId: 'seller-1',
      callbackUrl: `${receiver.url}/v1/dintero/callback?${callbackQuery}`,
      returnUrl: `${receiver.url}/return`,
      expiresAt: new Date(Date.now() + expiresInMs).toISOString(),
    });
  const callbacks = () => receiver.requests.filter((r) => r.url.pathname === '/v1/dintero/callback');
  /** The checkout events delivered: not the ping each subscription gets when it is created (its own test). */
  const webhooks = () =>
    receiver.requests.filter((r) => r.url.pathname === '/v1/dintero/webhooks' && r.headers.event !== 'ping');
  const idle = () => sim.control('POST', '/idle');
  /** A raw session request, to see Dintero's exact answer rather than the client's error. */
  const postSession = async (store: Record<string, string | undefined>) =>
    fetch(`${sim.url}/v1/sessions-profile`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await dintero.accessToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        profile_id: 'p',
        url: { return_url: 'http://x.test/r' },
        order: { amount: 100, currency: 'NOK', merchant_reference: 'r', store },
      }),
    });

  describe('the amount table', () => {
    it.each([
      // The brand as Dintero spells it: "Visa, MasterCard, etc." (the specification's Card, example Visa).
      [39_900, 'CAPTURED', undefined, { brand: 'Visa', entry_method: 'contactless' }],
      [10_001, 'CAPTURED', undefined, { brand: 'MasterCard', entry_method: 'chip' }],
      [10_002, 'CAPTURED', undefined, { brand: 'Visa', entry_method: 'magstripe' }],
      [10_051, 'DECLINED', 'authorization', undefined],
      [10_054, 'DECLINED', 'authorization', undefined],
      [10_005, 'DECLINED', 'authorization', undefined],
      [10_020, 'FAILED', 'failed', undefined],
      [10_050, 'UNKNOWN', undefined, undefined],
    ])('%i ends as %s', async (amount, status, error, card) => {
      const session = await start(amount);
      await sim.control('POST', '/terminals/T-1/present', {});
      await idle();
      const [callback] = callbacks();
      expect(callback?.method).toBe('GET');
      expect(callback?.url.searchParams.get('session_id')).toBe(session.id);
      expect(callback?.url.searchParams.get('merchant_reference')).toBe(`POS-${amount}`);
      expect(callback?.url.searchParams.get('payment_id')).toBe('p1');
      expect(callback?.url.searchParams.get('error')).toBe(error ?? null);
      const tx = await dintero.getTransaction(callback!.url.searchParams.get('transaction_id')!);
      expect(tx.status).toBe(status);
      if (card) expect(tx.card).toMatchObject(card);
      if (status === 'DECLINED') expect(tx.events?.at(-1)?.error?.type).toHaveLength(1);
      const bodies = webhooks().map((hook) => JSON.parse(hook.rawBody.toString()) as Record<string, unknown>);
      const transaction = bodies.find((body) => body.event === 'checkout_transaction');
      expect(transaction).toMatchObject({ account_id: 'T12345678', transaction: { id: tx.id, status } });
      // The terminal's answer to the card is an authorisation (or its failure), with the callback's facts.
      const authorization = bodies.find((body) => body.event === 'checkout_authorization');
      if (status === 'UNKNOWN') expect(authorization).toBeUndefined();
      else
        expect(authorization).toMatchObject({
          account_id: 'T12345678',
          authorization: {
            session_id: session.id,
            transaction_id: tx.id,
            merchant_reference: `POS-${amount}`,
            ...(error ? { error } : {}),
          },
          transaction: { id: tx.id, status },
        });
      expect(bodies).toHaveLength(status === 'UNKNOWN' ? 1 : 2);
    });

    // A session yields at most one transaction (Dintero's glossary): the first card the terminal takes ends its prompt,
    // whichever that is, and nothing after it (another card, a capture of a declined one) changes the outcome.
    it.each([
      ['declined:declined', 'approved:visa:contactless', 'DECLINED'],
      ['approved:visa:contactless', 'declined:declined', 'CAPTURED'],
    ])('a session ends as its first card does: %s, then %s, is %s', async (first, second, status) => {
      const session = await start(39_900);
      const present = (outcome: string) =>
        fetch(`${sim.url}/_control/terminals/T-1/present`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ outcome }),
        });
      expect((await present(first)).status).toBe(200);
      const late = await present(second);
      expect(late.status).toBe(409);
      expect(await late.json()).toMatchObject({ error: { code: 'NOT_PROMPTING' } });
      await idle();
      const transactionId = (await dintero.getSession(session.id)).transaction_id!;
      expect((await dintero.getTransaction(transactionId)).status).toBe(status);
      const truth = await sim.control<{ transactions: { id: string; sessionId: string }[] }>('GET', '/ground-truth');
      expect(truth.transactions.filter((tx) => tx.sessionId === session.id).map((tx) => tx.id)).toEqual([
        transactionId,
      ]);
      // Nor does Dintero capture a declined one, or a captured one twice.
      const capture = await fetch(`${sim.url}/v1/transactions/${transactionId}/capture`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await dintero.accessToken()}`, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 39_900 }),
      });
      expect(capture.status).toBe(400);
      expect((await dintero.getTransaction(transactionId)).status).toBe(status);
      expect(callbacks().map((callback) => callback.url.searchParams.get('transaction_id'))).toEqual([transactionId]);
    });

    it('a customer cancel calls back with error=cancelled and no transaction', async () => {
      const session = await start(10_010);
      await sim.control('POST', '/terminals/T-1/present', {});
      await idle();
      expect(callbacks()[0]?.url.searchParams.get('error')).toBe('cancelled');
      expect(callbacks()[0]?.url.searchParams.has('transaction_id')).toBe(false);
      expect(JSON.parse(webhooks()[0]!.rawBody.toString())).toMatchObject({
        event: 'checkout_authorization',
        authorization: { session_id: session.id, error: 'cancelled' },
      });
      expect((await dintero.getSession(session.id)).cancelled_at).toBeDefined();
    });

    it('a cancel voids an authorised transaction, and a second cancel of that session is refused', async () => {
      const session = await start(39_900);
      await sim.control('POST', '/terminals/T-1/present', {});
      await idle();
      const { transaction_id: transactionId } = await dintero.getSession(session.id);
      // As a profile without auto-capture leaves it: the simulator's terminals capture at once.
      sim.app.get(SimulatorState).transactions.get(transactionId!)!.status = 'AUTHORIZED';
      expect((await dintero.cancelSession(session.id)).cancelled_at).toBeDefined();
      expect((await dintero.getTransaction(transactionId!)).status).toBe('AUTHORIZATION_VOIDED');
      await expect(dintero.cancelSession(session.id)).rejects.toMatchObject({
        status: 400,
        code: 'SESSION_CANCEL_NOT_ALLOWED',
      });
    });

    it('ON_HOLD calls back twice: on hold, then captured, its session authorised and completed', async () => {
      const session = await start(10_040);
      await sim.control('POST', '/terminals/T-1/present', {});
      await receiver.waitFor(4, 'callbacks and webhooks');
      await idle();
      const ids = callbacks().map((c) => c.url.searchParams.get('transaction_id'));
      expect(ids).toHaveLength(2);
      expect((await dintero.getTransaction(ids[0]!)).status).toBe('CAPTURED');
      expect((await dintero.getSession(session.id)).events?.map((event) => event.name)).toEqual(
        expect.arrayContaining(['AUTHORIZED', 'COMPLETED']),
      );
    });

    it('ON_HOLD may end FAILED (amounts ending in 41): on hold, then a callback with error=failed', async () => {
      await start(10_041);
      await sim.control('POST', '/terminals/T-1/present', {});
      await receiver.waitFor(4, 'callbacks and webhooks');
      await idle();
      const [held, failed] = callbacks();
      expect(held!.url.searchParams.get('error')).toBeNull();
      expect(failed!.url.searchParams.get('error')).toBe('failed');
      const transactionId = held!.url.searchParams.get('transaction_id')!;
      expect((await dintero.getTransaction(transactionId)).status).toBe('FAILED');
    });

    it('AUTHORIZED until Dintero captures it (amounts ending in 45): webhooks at once, the callback once captured', async () => {
      await sim.close();
      sim = await startSimulator({ DINTERO_CALLBACK_SECRET: CALLBACK_SECRET, SIM_CAPTURE_DELAY_MS: '200' });
      await sim.control('POST', '/seed', {
        ...SEED,
        webhooks: [{ url: `${receiver.url}/v1/dintero/webhooks`, secret: WEBHOOK_SECRET }],
      });
      await dintero.close();
      dintero = simulatorClient(sim);
      const session = await start(10_045);
      // Told by the times deliveries came, not by what has come at some moment: on a busy machine the 200 ms to the
      // capture may pass before the test looks.
      const presentedAt = Date.now();
      await sim.control('POST', '/terminals/T-1/present', {});
      await waitUntil(() => callbacks().length > 0, 15_000, 'the callback after the capture');
      await idle();
      const authorized = (await dintero.getSession(session.id)).transaction_id!;
      const statuses = () =>
        webhooks().map((hook) => [
          hook.headers.event,
          (JSON.parse(hook.rawBody.toString()) as { transaction: { status: string } }).transaction.status,
        ]);
      expect(statuses()).toEqual([
        ['checkout_authorization', 'AUTHORIZED'],
        ['checkout_transaction', 'AUTHORIZED'],
        ['checkout_transaction', 'CAPTURED'],
      ]);
      const [callback, ...more] = callbacks();
      expect(more).toEqual([]);
      expect(callback!.url.searchParams.get('transaction_id')).toBe(authorized);
      // The webhooks of the authorisation at once; the callback only once captured, the delay past.
      const [authorization, authorizedTransaction] = webhooks();
      expect(Math.max(authorization!.receivedAt, authorizedTransaction!.receivedAt)).toBeLessThanOrEqual(
        callback!.receivedAt,
      );
      expect(callback!.receivedAt - presentedAt).toBeGreaterThanOrEqual(200);
      const tx = await dintero.getTransaction(authorized);
      expect(tx).toMatchObject({ status: 'CAPTURED', amount: 10_045 });
      expect(tx.events?.map((event) => event.event)).toEqual(['INITIALIZE', 'AUTHORIZE', 'CAPTURE']);
    });

    it('voids a transaction still AUTHORIZED when its session is cancelled', async () => {
      const session = await start(10_045);
      await sim.control('POST', '/terminals/T-1/present', {});
      const cancelled = await dintero.cancelSession(session.id);
      expect(cancelled.cancelled_at).toEqual(expect.any(String));
      const tx = await dintero.getTransaction(cancelled.transaction_id!);
      expect(tx.status).toBe('AUTHORIZATION_VOIDED');
      await idle();
      expect(callbacks()).toEqual([]); // report_event=REFUND only: the void calls back to no one here
      // The terminal is free for the next customer.
      await expect(start(39_900)).resolves.toMatchObject({ id: expect.any(String) });
    });

    it('an unanswered session expires and frees the terminal without a callback', async () => {
      await start(10_030, 'T-1', 400);
      await sim.control('POST', '/terminals/T-1/present', {});
      await waitUntil(
        async () =>
          await start(39_900)
            .then(() => true)
            .catch(() => false),
        5_000,
        'the terminal free again',
      );
      await idle();
      expect(callbacks()).toHaveLength(0);
    });

    it('a next-outcome set on the terminal wins over the amount, once', async () => {
      await sim.control('PUT', '/terminals/T-1/next-outcome', { outcome: 'declined:insufficient_funds' });
      await start(39_900);
      await sim.control('POST', '/terminals/T-1/present', {});
      await idle();
      const tx = await dintero.getTransaction(callbacks()[0]!.url.searchParams.get('transaction_id')!);
      expect(tx.status).toBe('DECLINED');
    });
  });

  it('calls back about errors only when the callback URL asks, and sends webhooks only of the events subscribed', async () => {
    await sim.control('POST', '/seed', {
      webhooks: [
        { url: `${receiver.url}/v1/dintero/webhooks`, secret: WEBHOOK_SECRET, events: ['checkout_transaction'] },
      ],
    });
    const events = () => webhooks().map((hook) => hook.headers.event);
    // Declined, then cancelled by the customer, with a callback URL without report_error=true.
    for (const amount of [10_051, 10_010]) {
      await start(amount, 'T-1', 60_000, 'payment_id=p1');
      await sim.control('POST', '/terminals/T-1/present', {});
      await idle();
    }
    expect(callbacks()).toEqual([]);
    // The declined transaction is a checkout_transaction; the cancel, with no transaction, only an authorization.
    expect(events()).toEqual(['checkout_transaction']);
    await start(39_900, 'T-1', 60_000, 'payment_id=p1');
    await sim.control('POST', '/terminals/T-1/present', {});
    await idle();
    expect(callbacks().map((callback) => callback.url.searchParams.has('error'))).toEqual([false]);
    expect(events()).toEqual(['checkout_transaction', 'checkout_transaction']);
    await expect(
      sim.control('POST', '/seed', { webhooks: [{ url: receiver.url, secret: WEBHOOK_SECRET, events: ['ping'] }] }),
    ).rejects.toThrow(/: 400 /);
  });

  it('pings a subscription when it is created, as Dintero does: the event in a header, the subscription as the body', async () => {
    const pings = () => receiver.requests.filter((r) => r.headers.event === 'ping');
    await idle();
    expect(pings()).toHaveLength(1);
    const [ping] = pings();
    const body = JSON.parse(ping!.rawBody.toString()) as Record<string, unknown>;
    expect(body).toEqual({
      created_at: expect.any(String),
      created_by: expect.any(String),
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      updated_at: expect.any(String),
      active: true,
      config: {
        content_type: 'application/json',
        insecure_ssl: 0,
        secret: { type: 'HMAC-SHA1' },
        url: `${receiver.url}/v1/dintero/webhooks`,
      },
      events: ['checkout_transaction', 'checkout_authorization'],
    });
    expect(verifyWebhookSignature(ping!.rawBody, ping!.headers['event-signature'] as string, WEBHOOK_SECRET)).toEqual({
      valid: true,
    });
    expect(ping!.headers['event-delivery']).toEqual(expect.any(String));
    // The same subscription seeded again is not created again: no second ping. Another one is.
    await sim.control('POST', '/seed', {
      webhooks: [{ url: `${receiver.url}/v1/dintero/webhooks`, secret: WEBHOOK_SECRET }],
    });
    await idle();
    expect(pings()).toHaveLength(1);
    await sim.control('POST', '/seed', {
      webhooks: [
        { url: `${receiver.url}/v1/dintero/webhooks`, secret: WEBHOOK_SECRET, events: ['checkout_transaction'] },
      ],
    });
    await idle();
    expect(pings()).toHaveLength(2);
  });

  it('calls back with the transaction as the body when the callback URL asks for a POST (method=POST)', async () => {
    await start(39_900, 'T-1', 60_000, 'payment_id=p1&method=POST');
    await sim.control('POST', '/terminals/T-1/present', {});
    await idle();
    const [callback] = callbacks();
    expect(callback).toMatchObject({ method: 'POST', headers: { 'content-type': 'application/json' } });
    const body = JSON.parse(callback!.rawBody.toString()) as Record<string, unknown>;
    expect(body).toMatchObject({ id: callback!.url.searchParams.get('transaction_id'), status: 'CAPTURED' });
    expect(body).not.toHaveProperty('capturedAmount'); // the simulator's own bookkeeping stays out, as on the API
  });

  it('names the session sid in a callback whose URL says sid_parameter_name=sid, and signs it as sent', async () => {
    const session = await start(39_900, 'T-1', 60_000, 'payment_id=p1&sid_parameter_name=sid');
    await sim.control('POST', '/terminals/T-1/present', {});
    await idle();
    const [callback] = callbacks();
    expect(callback!.url.searchParams.get('sid')).toBe(session.id);
    expect(callback!.url.searchParams.has('session_id')).toBe(false);
    const url = new URL(`http://127.0.0.1${callback!.url.pathname}${callback!.url.search}`);
    expect(
      verifyCallbackSignature(
        { accountId: 'T12345678', method: 'GET', url },
        callback!.headers['dintero-signature'] as string,
        CALLBACK_SECRET,
        Math.floor(Date.now() / 1000),
      ),
    ).toEqual({ valid: true });
  });

  it('puts the session in the body of a POST callback whose URL says includes=session', async () => {
    const session = await start(39_900, 'T-1', 60_000, 'payment_id=p1&method=POST&includes=session');
    await sim.control('POST', '/terminals/T-1/present', {});
    await idle();
    const [callback] = callbacks();
    const body = JSON.parse(callback!.rawBody.toString()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: 'CAPTURED',
      session_id: session.id,
      session: { id: session.id, order: { amount: 39_900, currency: 'NOK' }, transaction_id: body.id },
    });
    expect(body.session).not.toHaveProperty('profile_id'); // as the session's read shows it
  });

  it('waits the seconds a callback URL asks for (delay_callback) before its first attempt; its webhook does not', async () => {
    await start(39_900, 'T-1', 60_000, 'payment_id=p1&delay_callback=1');
    const presented = Date.now();
    await sim.control('POST', '/terminals/T-1/present', {});
    await idle();
    const [callback] = callbacks();
    expect(callback!.receivedAt - presented).toBeGreaterThanOrEqual(950);
    const deliveries = await sim.control<DeliveryRecord[]>('GET', '/deliveries');
    expect(deliveries.filter((d) => d.kind === 'callback')).toEqual([
      expect.objectContaining({ outcome: 'delivered', attempts: 1 }),
    ]);
    expect(webhooks().every((webhook) => webhook.receivedAt < callback!.receivedAt)).toBe(true);
  });

  it('reads a transaction with its session when asked (includes=session), and refuses an include it does not know', async () => {
    const session = await start(39_900);
    await sim.control('POST', '/terminals/T-1/present', {});
    await idle();
    const transactionId = callbacks()[0]!.url.searchParams.get('transaction_id')!;
    const read = async (query: string) =>
      fetch(`${sim.url}/v1/transactions/${transactionId}?${query}`, {
        headers: { authorization: `Bearer ${await dintero.accessToken()}` },
      });
    const plain = (await (await read('')).json()) as Record<string, unknown>;
    expect(plain).not.toHaveProperty('session');
    const withSession = (await (await read('includes=session')).json()) as {
      session: { id: string; events: unknown[] };
    };
    expect(withSession.session).toMatchObject({ id: session.id, transaction_id: transactionId });
    expect(withSession.session.events.length).toBeGreaterThan(1);
    const latest = (await (await read('includes=session.events.latest')).json()) as { session: { events: unknown[] } };
    expect(latest.session.events).toEqual([withSession.session.events.at(-1)]);
    const unknown = await read('includes=sessions');
    expect(unknown.status).toBe(400);
  });

  it('signs callbacks with Dintero-Signature and webhooks with event-signature', async () => {
    await start(39_900);
    await sim.control('POST', '/terminals/T-1/present', {});
    await idle();
    const callback = callbacks()[0]!;
    const url = new URL(`http://127.0.0.1${callback.url.pathname}${callback.url.search}`);
    const check = verifyCallbackSignature(
      { accountId: 'T12345678', method: 'GET', url },
      callback.headers['dintero-signature'] as string,
      CALLBACK_SECRET,
      Math.floor(Date.now() / 1000),
    );
    expect(check).toEqual({ valid: true });
    const webhook = webhooks()[0]!;
    expect(
      verifyWebhookSignature(webhook.rawBody, webhook.headers['event-signature'] as string, WEBHOOK_SECRET),
    ).toEqual({ valid: true });
    expect(webhook.headers['event-delivery']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a second session on a busy terminal with 409 TERMINAL_BUSY and Retry-After', async () => {
    await start(39_900);
    const response = await postSession({ id: 'oslo-center', terminal_id: 'T-1', payout_destination_id: 'seller-1' });
    expect(response.status).toBe(409);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await response.json()).toEqual({
      error: { code: 'TERMINAL_BUSY', message: 'Terminal T-1 is processing another payment or a refund' },
    });
  });

  it.each([
    ['store.id', { id: undefined }],
    ['store.terminal_id', { terminal_id: undefined }],
    ['store.payout_destination_id', { payout_destination_id: undefined }],
  ])('refuses a terminal session without %s, in Dintero’s error format', async (field, change) => {
    const response = await postSession({
      id: 'oslo-center',
      terminal_id: 'T-1',
      payout_destination_id: 'seller-1',
      ...change,
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string; errors: { message: string }[] } };
    expect(body.error.code).toBe('INVALID_REQUEST');
    // The specification's `errors` are objects.
    expect(body.error.errors.map((e) => e.message).join('\n')).toContain(`order.${field}`);
  });

  it('refuses a field it does not know (one the engine misnamed or misplaced), in Dintero’s error format', async () => {
    const response = await postSession({
      id: 'oslo-center',
      terminal_id: 'T-1',
      payout_destination_id: 'seller-1',
      terminalId: 'T-1',
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; errors: { message: string }[] } };
    expect(body.error.code).toBe('INVALID_REQUEST');
    expect(body.error.errors.map((e) => e.message).join('\n')).toContain('terminalId should not exist');
  });

  it.each([
    // The specification's `order.amount`: `Format: int32`.
    ['an amount past int32', { amount: 2_147_483_648 }, 'order.amount must not be greater than 2147483647'],
    // `Format: iso4217-code`.
    ['a currency ISO 4217 does not list', { currency: 'XYZ' }, 'order.currency must be a valid ISO4217'],
    // Withdrawn (Croatia pays in euros since 2023), and refused by the engine too (its list is this one).
    ['a currency ISO 4217 has withdrawn', { currency: 'HRK' }, 'order.currency must be a valid ISO4217'],
    // `Metadata`: `{ [key: string]: string | number }`.
    ['metadata whose value is an object', { metadata: { ext_till: { id: 3 } } }, 'metadata: each value'],
  ])('refuses a session with %s, as Dintero’s specification does', async (_case, change, message) => {
    const { metadata, ...order } = change as Record<string, unknown>;
    const response = await fetch(`${sim.url}/v1/sessions-profile`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await dintero.accessToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        profile_id: 'p',
        url: { return_url: 'http://x.test/r' },
        order: {
          amount: 100,
          currency: 'NOK',
          merchant_reference: 'r',
          store: { id: 'oslo-center', terminal_id: 'T-1', payout_destination_id: 'seller-1' },
          ...order,
        },
        ...(metadata === undefined ? {} : { metadata }),
      }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; errors: { message: string }[] } };
    expect(body.error.code).toBe('INVALID_REQUEST');
    expect(body.error.errors.map((e) => e.message).join('\n')).toContain(message);
  });

  // Codes ISO 4217 added lately (XCG 2025, ZWG 2024, VED 2021): the engine takes a store in each, so the simulator
  // must take its sessions, where its list (validator.js's) lacked XCG and ZWG.
  it.each(['XCG', 'ZWG', 'VED'])('takes a session in %s, as the engine takes a store in it', async (currency) => {
    const response = await fetch(`${sim.url}/v1/sessions-profile`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await dintero.accessToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        profile_id: 'p',
        url: { return_url: 'http://x.test/r' },
        order: {
          amount: 100,
          currency,
          merchant_reference: 'r',
          store: { id: 'oslo-center', terminal_id: 'T-1', payout_destination_id: 'seller-1' },
        },
      }),
    });
    expect(await response.json()).toMatchObject({ id: expect.any(String) });
    expect(response.status).toBe(200);
  });

  it("lists transactions by every filter of the specification's transactions_get", async () => {
    const before = new Date(Date.now() - 1_000).toISOString();
    const small = await start(10_000, 'T-1');
    await sim.control('POST', '/terminals/T-1/present', {});
    const large = await start(20_000, 'T-2');
    await sim.control('POST', '/terminals/T-2/present', {});
    const after = new Date(Date.now() + 1_000).toISOString();
    const smallTx = (await dintero.getSession(small.id)).transaction_id!;
    const largeTx = (await dintero.getSession(large.id)).transaction_id!;
    const token = await dintero.accessToken();
    const listed = async (query: string) => {
      const response = await fetch(`${sim.url}/v1/transactions?${query}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await response.json()) as { id: string; events: { success?: boolean }[] }[];
      return { status: response.status, body, ids: response.status === 200 ? body.map((tx) => tx.id) : [] };
    };
    expect((await listed(`payment_product_type=seitatech.in_person&created_at.gte=${before}`)).ids).toEqual([
      largeTx,
      smallTx,
    ]);
    expect((await listed(`amount.gte=15000&currency=NOK&payment_product=seitatech`)).ids).toEqual([largeTx]);
    expect((await listed(`amount=10000&card_brand=visa&payout_destination_id=seller-1`)).ids).toEqual([smallTx]);
    expect((await listed(`captured_at.gte=${before}&captured_at.lte=${after}&id=${smallTx}`)).ids).toEqual([smallTx]);
    // A time without a zone is UTC, as the specification says.
    expect((await listed(`created_at.gte=${after.slice(0, 19)}`)).ids).toEqual([]);
    expect((await listed(`refunded_at.gte=${before}`)).ids).toEqual([]);
    expect((await listed(`search=${large.id}`)).ids).toEqual([largeTx]);
    // What the simulator's transactions never carry (customers, tokens, payment operations) matches none.
    for (const filter of ['customer_id=c-1', 'token_id=t-1', 'payment_operation=unscheduled_purchase'])
      expect((await listed(filter)).ids).toEqual([]);
    const successes = await listed(`includes=events.success.true&id=${smallTx}`);
    expect(successes.body[0]!.events.every((event) => event.success === true)).toBe(true);
    // A filter the specification does not list, or a time that is none, is refused.
    expect((await listed('created_at.gte=yesterday')).status).toBe(400);
    expect((await listed('colour=blue')).status).toBe(400);
    // A status the specification's enum does not hold (a misspelt one) is refused, not taken to match none.
    expect((await listed('status=CAPTURED&status=REFUNDED')).ids).toEqual([largeTx, smallTx]);
    expect((await listed('status=PARTIALLY_REFUND')).status).toBe(400);
  });

  it('refuses API calls without a valid token', async () => {
    const response = await fetch(`${sim.url}/v1/transactions`, { headers: { authorization: 'Bearer nope' } });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
  });

  describe('chaos', () => {
    const deliveries = async () =>
      (await sim.control<DeliveryRecord[]>('GET', '/deliveries')).filter((delivery) => delivery.event !== 'ping');

    it('drops callbacks and webhooks', async () => {
      await sim.control('PUT', '/chaos', { dropRate: 1 });
      await start(39_900);
      await sim.control('POST', '/terminals/T-1/present', {});
      await idle();
      expect([...callbacks(), ...webhooks()]).toHaveLength(0);
      expect((await deliveries()).map((d) => d.outcome)).toEqual(['dropped', 'dropped', 'dropped']);
    });

    it('duplicates deliveries', async () => {
      await sim.control('PUT', '/chaos', { duplicateRate: 1 });
      await start(39_900);
      await sim.control('POST', '/terminals/T-1/present', {});
      await idle();
      expect(callbacks()).toHaveLength(2);
      // checkout_authorization and checkout_transaction, each twice.
      expect(webhooks()).toHaveLength(4);
    });

    it('reorders: a held-back delivery arrives after a later one', async () => {
      await sim.control('PUT', '/chaos', { terminalId: 'T-1', reorderRate: 1, reorderDelayMs: 300 });
      await start(39_900, 'T-1');
      await sim.control('POST', '/terminals/T-1/present', {});
      await start(39_900, 'T-2');
      await sim.control('POST', '/terminals/T-2/present', {});
      await idle();
      const order = callbacks().map(
        (c) => c.url.searchParams.get('merchant_reference') && c.url.searchParams.get('session_id'),
      );
      const t2 = (
        await sim.control<{ sessions: { id: string; terminalId: string }[] }>('GET', '/ground-truth')
      ).sessions.find((s) => s.terminalId === 'T-2')!;
      expect(order[0]).toBe(t2.id);
    });

    it("retries a callback answered with 5xx until it is delivered, never a callback's 4xx, a webhook's up to 5 attempts", async () => {
      let failures = 3;
      receiver.respond = (request) => (request.url.pathname.endsWith('/callback') ? (failures-- > 0 ? 503 : 200) : 400);
      await start(39_900);
      await sim.control('POST', '/terminals/T-1/present', {});
      await idle();
      const records = await deliveries();
      const callback = records.find((d) => d.kind === 'callback')!;
      expect(callback).toMatchObject({ attempts: 4, outcome: 'delivered', lastStatus: 200 });
      // One `event-delivery` id for the delivery, however many attempts: the receiver de-duplicates on it.
      expect(callbacks()).toHaveLength(4);
      expect(new Set(callbacks().map((request) => request.headers['event-delivery'])).size).toBe(1);
      expect(Date.parse(callback.deliveredAt!)).toBeLessThanOrEqual(Date.now());
      // Only a 2xx counts as received for a webhook (§5): a 400 is tried again, 5 attempts in all.
      const webhook = records.find((d) => d.kind === 'webhook')!;
      expect(webhook).toMatchObject({ attempts: 5, outcome: 'failed', lastStatus: 400 });
      expect(webhook.deliveredAt).toBeUndefined();
    });

    it('fails API calls with 5xx at the configured rate', async () => {
      await dintero.accessToken();
      await sim.control('PUT', '/chaos', { api5xxRate: 1 });
      const token = await dintero.accessToken();
      const response = await fetch(`${sim.url}/v1/transactions`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(503);
    });

    it('refuses invalid chaos settings', async () => {
      await expect(sim.control('PUT', '/chaos', { dropRate: 2 })).rejects.toThrow(/dropRate must be a rate/);
      await expect(sim.control('PUT', '/chaos', { explode: true })).rejects.toThrow(/unknown chaos settings: explode/);
    });
  });

  /** A transaction authorised and not captured, as a profile without auto-capture leaves it (the simulator's terminals capture at once). */
  const authorised = async (amount: number) => {
    await start(amount);
    await sim.control('POST', '/terminals/T-1/present', {});
    await idle();
    const txId = callbacks()[0]!.url.searchParams.get('transaction_id')!;
    Object.assign(sim.app.get(SimulatorState).transactions.get(txId)!, { status: 'AUTHORIZED', capturedAmount: 0 });
    return txId;
  };

  it('captures the rest after a partial capture, and refunds a transaction captured in part', async () => {
    const txId = await authorised(39_900);
    await dintero.capture(txId, 10_000);
    expect(await dintero.getTransaction(txId)).toMatchObject({ status: 'PARTIALLY_CAPTURED' });
    await expect(dintero.capture(txId, 30_000)).rejects.toMatchObject({ code: 'CAPTURE_AMOUNT_TOO_HIGH' });
    await dintero.refund(txId, { amount: 900, terminalId: 'T-2', refundReference: 'refund-part' });
    await idle();
    expect(await dintero.getTransaction(txId)).toMatchObject({ status: 'PARTIALLY_CAPTURED_REFUNDED' });
    await expect(
      dintero.refund(txId, { amount: 9_200, terminalId: 'T-2', refundReference: 'refund-more' }),
    ).rejects.toMatchObject({ code: 'REFUND_AMOUNT_TOO_HIGH' });
  });

  it("counts a transaction captured through the API in its terminal's batch: one purchase, however many captures", async () => {
    // Amounts ending in 45 stay AUTHORIZED until captured.
    const session = await start(10_045);
    await sim.control('POST', '/terminals/T-1/present', {});
    await idle();
    const txId = (await dintero.getSession(session.id)).transaction_id!;
    await dintero.capture(txId, 4_000);
    await dintero.capture(txId, 6_045);
    const operation = await dintero.sendTerminalOperation({
      terminalId: 'T-1',
      operation: 'end_of_day',
      idempotencyKey: randomUUID(),
    });
    let closed: Awaited<ReturnType<DinteroClient['getTerminalOperation']>>;
    await waitUntil(
      async () => (closed = await dintero.getTerminalOperation('T-1', operation.id))?.status !== 'PENDING',
      10_000,
      'the close',
    );
    expect(closed!.result).toMatchObject({ purchases_count: 1, purchases_amount: 10_045 });
  });

  it('reads a transaction with its successful events only when asked (includes=events.success.true)', async () => {
    // Amounts ending in 51 are declined: the AUTHORIZE event failed.
    const session = await start(10_051);
    await sim.control('POST', '/terminals/T-1/present', {});
    await idle();
    const txId = (await dintero.getSession(session.id)).transaction_id!;
    const read = async (query: string) =>
      (await (
        await fetch(`${sim.url}/v1/transactions/${txId}?${query}`, {
          headers: { authorization: `Bearer ${await dintero.accessToken()}` },
        })
      ).json()) as { events: { success?: boolean }[] };
    expect((await read('')).events.some((event) => event.success === false)).toBe(true);
    expect((await read('includes=events.success.true')).events.every((event) => event.success === true)).toBe(true);
  });

  it('refuses to void the rest of an in-person transaction captured in part, as Dintero does; the rest is captured', async () => {
    const txId = await authorised(39_900);
    await dintero.capture(txId, 10_000);
    // Dintero voids on part capture only for the payment product types its specification lists; not seitatech.
    await expect(dintero.void(txId)).rejects.toMatchObject({ code: 'VOID_NOT_ALLOWED' });
    expect(await dintero.getTransaction(txId)).toMatchObject({ status: 'PARTIALLY_CAPTURED' });
    await dintero.capture(txId, 29_900);
    expect(await dintero.getTransaction(txId)).toMatchObject({ status: 'CAPTURED' });
    await expect(dintero.void(txId)).rejects.toMatchObject({ code: 'VOID_NOT_ALLOWED' });
  });

  it('reports refunds by webhook, and by callback when report_event=REFUND', async () => {
    await start(39_900);
    await sim.control('POST', '/terminals/T-1/present', {});
    await idle();
    const txId = callbacks()[0]!.url.searchParams.get('transaction_id')!;
    await dintero.refund(txId, { amount: 900, terminalId: 'T-2', refundReference: 'refund-1' });
    await idle();
    const refundCallback = callbacks().find((c) => c.url.searchParams.get('event') === 'REFUND');
    expect(refundCallback?.url.searchParams.get('transaction_id')).toBe(txId);
    // The specification's session callback names the event applied by its id too (`event_id`).
    const refundEvent = (await dintero.getTransaction(txId)).events?.find((e) => e.event === 'REFUND');
    expect(refundCallback?.url.searchParams.get('event_id')).toBe(refundEvent?.id);
    expect(refundEvent?.id).toEqual(expect.any(String));
    const refundHook = webhooks()
      .map((w) => JSON.parse(w.rawBody.toString()) as { transaction: DinteroTransaction })
      .find((w) => w.transaction.status === 'PARTIALLY_REFUNDED');
    expect(refundHook?.transaction.events?.at(-1)).toMatchObject({
      event: 'REFUND',
      amount: 900,
      success: true,
      event_reference: 'refund-1',
    });
  });

  it('sends checkout_transaction when it accepts a refund to do at the terminal (202), the transaction updated', async () => {
    await start(39_900);
    await sim.control('POST', '/terminals/T-1/present', {});
    await idle();
    const txId = callbacks()[0]!.url.searchParams.get('transaction_id')!;
    await sim.control('PUT', '/terminals/T-2/refund-mode', { mode: 'async_stall' });
    const before = webhooks().length;
    const answer = await dintero.refund(txId, { amount: 900, terminalId: 'T-2', refundReference: 'refund-2' });
    expect(answer.kind).toBe('accepted');
    await idle();
    const sent = webhooks()
      .slice(before)
      .map((w) => JSON.parse(w.rawBody.toString()) as { transaction: DinteroTransaction });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.transaction.events?.at(-1)).toMatchObject({
      event: 'INITIATE_REFUND',
      amount: 900,
      event_reference: 'refund-2',
    });
    // No callback: `report_event` names the refund's result, not its initiation.
    expect(callbacks().filter((c) => c.url.searchParams.get('event') === 'REFUND')).toHaveLength(0);
  });

  it('forgets what it scheduled on a reset: a prompt from before never presents the card of a session made after', async () => {
    const timers = sim.app.get(TerminalTimers);
    // Its timers, by session (private: nothing else tells what is scheduled).
    const scheduled = () => [...timers['scheduled'].keys()];
    const before = await start(39_900);
    expect(scheduled()).toEqual([before.id]);
    await sim.control('POST', '/reset');
    expect(scheduled()).toEqual([]);
    await sim.control('POST', '/seed', SEED);
    const after = await start(39_900);
    expect(scheduled()).toEqual([after.id]);
  });

  it('tells its ground truth', async () => {
    await start(39_900);
    await sim.control('POST', '/terminals/T-1/present', {});
    const truth = await sim.control<{ transactions: { status: string; captured: number; terminalId: string }[] }>(
      'GET',
      '/ground-truth',
    );
    expect(truth.transactions).toEqual([
      expect.objectContaining({ status: 'CAPTURED', captured: 39_900, terminalId: 'T-1' }),
    ]);
  });
});

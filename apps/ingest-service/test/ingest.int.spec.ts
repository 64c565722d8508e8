import { randomUUID } from 'node:crypto';
import { signWebhook, type DinteroTransaction } from '@app/dintero';
import { paymentStream, terminalStream, type PaymentState } from '@app/payment-domain';
import type { DeliveryRecord } from '../../dintero-simulator/src/delivery/delivery.service';
import { SimulatorState } from '../../dintero-simulator/src/state/simulator-state';
import { PaymentFacts } from '../src/facts/payment-facts.service';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, WEBHOOK_SECRET, type Engine } from '../../../test/support/engine';
import { signedCallback, type CallbackSigning } from '../../../test/support/signed-callback';

const ACCOUNT = 'T12345678';

describe('ingest: Dintero callbacks and webhooks become events exactly once', () => {
  let engine: Engine;
  let terminalNo = 0;

  beforeAll(async () => {
    // Dintero's automatic capture of a transaction left AUTHORIZED (amounts ending in 45) comes within the test.
    engine = await startEngine({ sim: { SIM_CAPTURE_DELAY_MS: '300' } });
  });
  afterAll(() => engine.close());

  /** A fresh terminal for each test, so that none waits on another's claim. */
  const freshTerminal = async () => {
    const terminalId = `I-${++terminalNo}`;
    await engine.terminals('oslo-center', terminalId);
    return terminalId;
  };
  const final = (state: PaymentState) =>
    state.status !== 'none' &&
    !['requested', 'awaiting_card', 'outcome_unknown', 'on_hold', 'authorized'].includes(state.status);
  const typesOf = async (stream: string) => (await engine.log.readStream(stream)).map((event) => event.type);
  const written = async () => (await engine.log.readAll({ limit: 10_000 })).length;
  /** Pays on the virtual terminal and waits until the facts of the outcome are recorded. */
  const pay = async (amount: number) => {
    const terminalId = await freshTerminal();
    const payment = await engine.start('oslo-center', terminalId, amount);
    const paymentId = payment.paymentId as string;
    await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
    const state = await engine.waitForPayment(paymentId, final, 'the outcome recorded');
    // Every delivery done and the terminal released: nothing of this payment is still being written.
    await engine.terminalFree(terminalId);
    return { paymentId, terminalId, sessionId: payment.sessionId as string, state };
  };
  const lastTerminalEvent = async (terminalId: string) => (await typesOf(terminalStream(terminalId))).at(-1);
  /** A payment on a fresh terminal whose callbacks and webhooks the simulator drops: the test says what arrives. */
  const unheardPayment = async (amount: number) => {
    const terminalId = await freshTerminal();
    await engine.sim.control('PUT', '/chaos', { terminalId, dropRate: 1 });
    const { paymentId, sessionId } = await engine.start('oslo-center', terminalId, amount);
    return { terminalId, paymentId: paymentId as string, sessionId: sessionId as string };
  };

  describe('each outcome of the simulator’s amount table ends in the right events, and frees the terminal', () => {
    it.each([
      [10_000, 'captured', 'PaymentCaptured'],
      [10_001, 'captured', 'PaymentCaptured'],
      [10_005, 'declined', 'PaymentDeclined'],
      [10_051, 'declined', 'PaymentDeclined'],
      [10_010, 'cancelled', 'PaymentCancelled'],
      [10_020, 'failed', 'PaymentFailed'],
      [10_040, 'captured', 'PaymentCaptured'],
      [10_041, 'failed', 'PaymentFailed'],
    ])('amount %d: %s', async (amount, status, event) => {
      const { paymentId, terminalId, state } = await pay(amount);
      expect(state.status).toBe(status);
      const events = await typesOf(paymentStream(paymentId));
      expect(events.filter((type) => type === event)).toHaveLength(1);
      await engine.sim.control('POST', '/idle');
      expect(await lastTerminalEvent(terminalId)).toBe('TerminalReleased');
    });

    it.each([10_003, 10_040])(
      'keeps the card and the amount of a capture (amount %d), and never a full card number',
      async (amount) => {
        const { paymentId } = await pay(amount);
        const captured = (await engine.log.readStream(paymentStream(paymentId))).find(
          (e) => e.type === 'PaymentCaptured',
        );
        expect(captured?.data).toMatchObject({ amount, currency: 'NOK', card: { brand: expect.any(String) } });
        expect(JSON.stringify({ data: captured?.data, metadata: captured?.metadata })).not.toMatch(/\d{13,19}/);
      },
    );

    it('amount 10045: authorized by the webhooks first, captured once Dintero captures it', async () => {
      const terminalId = await freshTerminal();
      const { paymentId } = await engine.start('oslo-center', terminalId, 10_045);
      await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
      await engine.waitForPayment(paymentId as string, (state) => state.status === 'authorized', 'authorized');
      const state = await engine.waitForPayment(paymentId as string, final, 'captured');
      expect(state.status).toBe('captured');
      const events = await typesOf(paymentStream(paymentId as string));
      expect(events.filter((type) => type === 'PaymentAuthorized')).toHaveLength(1);
      expect(events.filter((type) => type === 'PaymentCaptured')).toHaveLength(1);
      expect(events.indexOf('PaymentAuthorized')).toBeLessThan(events.indexOf('PaymentCaptured'));
      await engine.terminalFree(terminalId);
    });

    it('records an unknown transaction once and leaves the payment open for the reconciler', async () => {
      const terminalId = await freshTerminal();
      const { paymentId } = await engine.start('oslo-center', terminalId, 10_050);
      await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
      await engine.waitForPayment(
        paymentId as string,
        (state) => state.status !== 'none' && 'unknownTransactions' in state && state.unknownTransactions.length === 1,
        'the unknown outcome recorded',
      );
      await engine.sim.control('POST', '/idle');
      expect(
        (await typesOf(paymentStream(paymentId as string))).filter((t) => t === 'TransactionOutcomeUnknown'),
      ).toHaveLength(1);
    });
  });

  describe('the same fact many times, in any order, is one event', () => {
    /** A callback about `paymentId`, signed as Dintero signs it unless `signing` says otherwise or `signature` is given. */
    const callback = async (
      paymentId: string,
      params: Record<string, string>,
      signing: CallbackSigning = {},
      signature?: string | null,
    ) => {
      const signed = signedCallback(
        engine.ingest.url,
        ACCOUNT,
        { payment_id: paymentId, report_error: 'true', ...params },
        signing,
      );
      const headers =
        signature === undefined ? signed.headers : signature === null ? {} : { 'dintero-signature': signature };
      const response = await fetch(signed.url, { headers });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const webhook = async (
      payload: Record<string, unknown>,
      signature?: string,
      headers: Record<string, string> = {},
    ) => {
      const body = JSON.stringify({ account_id: ACCOUNT, event_delivery: `d-${Math.random()}`, ...payload });
      const response = await fetch(`${engine.ingest.url}/v1/dintero/webhooks`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'event-signature': signature ?? signWebhook(body, WEBHOOK_SECRET),
          ...headers,
        },
        body,
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const transactionOf = (sessionId: string): DinteroTransaction => {
      const state = engine.sim.app.get(SimulatorState);
      const session = state.sessions.get(sessionId)!;
      return state.transactions.get(session.transaction_id!) as unknown as DinteroTransaction;
    };

    it('five callbacks and five webhooks of one capture: one PaymentCaptured', async () => {
      const { paymentId, sessionId } = await pay(10_000);
      const tx = transactionOf(sessionId);
      const answers = await Promise.all([
        ...Array.from({ length: 5 }, () => callback(paymentId, { transaction_id: tx.id, session_id: sessionId })),
        ...Array.from({ length: 5 }, () =>
          webhook({ event: 'checkout_transaction', transaction: { id: tx.id, merchant_reference_2: paymentId } }),
        ),
      ]);
      expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
      expect((await typesOf(paymentStream(paymentId))).filter((t) => t === 'PaymentCaptured')).toHaveLength(1);
    });

    it('a webhook before the callback, and a stale status after the final one: the same final state', async () => {
      // Dropped deliveries from the simulator, so that this test alone says what arrives and when.
      const { paymentId, sessionId, terminalId } = await unheardPayment(10_000);
      await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
      const tx = transactionOf(sessionId);
      expect((await webhook({ event: 'checkout_transaction', transaction: { id: tx.id } })).status).toBe(200);
      expect((await callback(paymentId, { transaction_id: tx.id })).body).toMatchObject({
        recorded: [],
        status: 'captured',
      });
      const events = await typesOf(paymentStream(paymentId));
      expect(events).toEqual(['PaymentRequested', 'SessionCreationStarted', 'SessionCreated', 'PaymentCaptured']);
      expect(await lastTerminalEvent(terminalId)).toBe('TerminalReleased');
    });

    it('an authorization by webhook that names its transaction: the transaction as Dintero has it, recorded', async () => {
      // Dintero sends checkout_authorization when a transaction is authorised or fails authorisation, too.
      const { paymentId, sessionId, terminalId } = await unheardPayment(10_000);
      await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
      const tx = transactionOf(sessionId);
      const answer = await webhook({
        event: 'checkout_authorization',
        authorization: { session_id: sessionId, transaction_id: tx.id, merchant_reference: 'POS-1' },
        transaction: { id: tx.id },
      });
      expect(answer).toMatchObject({ status: 200, body: { recorded: ['PaymentCaptured'] } });
      expect(await typesOf(paymentStream(paymentId))).toContain('PaymentCaptured');
      expect(await lastTerminalEvent(terminalId)).toBe('TerminalReleased');
    });

    it('a cancellation by webhook (no transaction) and then by callback: one PaymentCancelled', async () => {
      const { paymentId, sessionId, terminalId } = await unheardPayment(10_010);
      await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
      const answer = await webhook({
        event: 'checkout_authorization',
        authorization: { session_id: sessionId, error: 'cancelled' },
      });
      expect(answer).toMatchObject({ status: 200, body: { recorded: ['PaymentCancelled'] } });
      expect((await callback(paymentId, { error: 'cancelled', session_id: sessionId })).body).toMatchObject({
        recorded: [],
      });
      // Dated by Dintero's session, the cancel's own time, not when the engine heard of it.
      const cancelledAt = engine.sim.app.get(SimulatorState).sessions.get(sessionId)!.cancelled_at!;
      const cancelled = (await engine.log.readStream(paymentStream(paymentId))).find(
        (e) => e.type === 'PaymentCancelled',
      );
      expect(cancelled?.data).toMatchObject({ dinteroAt: new Date(cancelledAt).toISOString() });
      expect(await lastTerminalEvent(terminalId)).toBe('TerminalReleased');
    });

    it('an error of an earlier attempt, delivered after the transaction: the payment stays as its transaction is', async () => {
      // A callback answered 503 while the log was out of reach, say, comes again after the transaction's own.
      const { paymentId, sessionId, terminalId } = await unheardPayment(10_050);
      await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
      const tx = transactionOf(sessionId);
      expect((await callback(paymentId, { transaction_id: tx.id })).body).toMatchObject({
        recorded: ['TransactionOutcomeUnknown'],
        status: 'outcome_unknown',
      });
      expect((await callback(paymentId, { error: 'failed', session_id: sessionId })).body).toEqual({
        paymentId,
        recorded: [],
        status: 'outcome_unknown',
      });
      const answer = await webhook({
        event: 'checkout_authorization',
        authorization: { session_id: sessionId, error: 'authorization' },
      });
      expect(answer).toMatchObject({ status: 200, body: { recorded: [], status: 'outcome_unknown' } });
      expect(await typesOf(paymentStream(paymentId))).toEqual([
        'PaymentRequested',
        'SessionCreationStarted',
        'SessionCreated',
        'TransactionOutcomeUnknown',
      ]);
    });

    it.each(['callback', 'webhook'] as const)(
      'an error by %s for a session that has a transaction the engine has not heard of: that transaction, recorded',
      async (path) => {
        // The capture's own deliveries are late; an error of the attempt before it comes first.
        const { paymentId, sessionId, terminalId } = await unheardPayment(10_000);
        await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
        const answer =
          path === 'callback'
            ? await callback(paymentId, { error: 'authorization', session_id: sessionId })
            : await webhook({
                event: 'checkout_authorization',
                authorization: { session_id: sessionId, error: 'authorization' },
              });
        expect(answer).toMatchObject({ status: 200, body: { recorded: ['PaymentCaptured'], status: 'captured' } });
        expect(await typesOf(paymentStream(paymentId))).not.toContain('PaymentDeclined');
        expect(await lastTerminalEvent(terminalId)).toBe('TerminalReleased');
      },
    );

    it('an error by callback for a payment whose session was never recorded: the session it names is asked', async () => {
      // Dintero's answer to the session's creation was lost (a 503 after it took effect): the payment knows no
      // session, yet the customer paid through it. An error of an earlier attempt comes before the capture's reports.
      let started: { paymentId: string; terminalId: string; sessionId: string } | undefined;
      // Half of the simulated outages come after the request took effect: a few tries give one that did.
      for (let attempt = 0; attempt < 20 && !started; attempt++) {
        const terminalId = await freshTerminal();
        await engine.sim.control('PUT', '/chaos', { terminalId, dropRate: 1 });
        await engine.sim.control('PUT', '/chaos', { api5xxRate: 1 });
        const response = await engine.command
          .fetch('/v1/terminal-payments', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': `lost-session-${terminalId}` },
            body: JSON.stringify({
              storeId: 'oslo-center',
              terminalId,
              amount: 10_000,
              currency: 'NOK',
              merchantReference: `REF-${terminalId}`,
            }),
          })
          .finally(() => engine.sim.control('PUT', '/chaos', { api5xxRate: 0 }));
        const { paymentId } = (await response.json()) as { paymentId: string };
        const session = [...engine.sim.app.get(SimulatorState).sessions.values()].find(
          (candidate) => candidate.order.merchant_reference_2 === paymentId,
        );
        if (session) started = { paymentId, terminalId, sessionId: session.id };
      }
      const { paymentId, terminalId, sessionId } = started!;
      expect(
        await engine.waitForPayment(paymentId, (state) => state.status !== 'none', 'the payment'),
      ).not.toHaveProperty('sessionId');
      await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
      const answer = await callback(paymentId, { error: 'authorization', session_id: sessionId });
      expect(answer).toMatchObject({ status: 200, body: { recorded: ['PaymentCaptured'], status: 'captured' } });
      expect(await typesOf(paymentStream(paymentId))).not.toContain('PaymentDeclined');
      await engine.terminalFree(terminalId);
    });

    it('asks the session the payment recorded whatever it says of our reference (optional in the specification)', async () => {
      const { paymentId, sessionId, terminalId } = await unheardPayment(10_000);
      await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
      const order = engine.sim.app.get(SimulatorState).sessions.get(sessionId)!.order as {
        merchant_reference_2?: string;
      };
      delete order.merchant_reference_2;
      const answer = await callback(paymentId, { error: 'authorization', session_id: sessionId });
      expect(answer).toMatchObject({ status: 200, body: { recorded: ['PaymentCaptured'], status: 'captured' } });
      await engine.terminalFree(terminalId);
    });

    it("does not take a session the callback names that is another payment's", async () => {
      const other = await unheardPayment(10_000);
      const { paymentId, sessionId, terminalId } = await unheardPayment(10_010);
      await engine.sim.control('POST', `/terminals/${other.terminalId}/present`, {});
      // The payment's own session is recorded and asked, whatever session the callback names.
      engine.sim.app.get(SimulatorState).sessions.delete(sessionId);
      const answer = await callback(paymentId, { error: 'cancelled', session_id: other.sessionId });
      expect(answer).toMatchObject({ status: 200, body: { recorded: ['PaymentCancelled'], status: 'cancelled' } });
      await engine.terminalFree(terminalId);
    });

    it('records an error as reported when Dintero does not know the session it asks about', async () => {
      const { paymentId, sessionId } = await unheardPayment(10_010);
      // Dintero answers 404 for the session: nothing can have been paid through it.
      engine.sim.app.get(SimulatorState).sessions.delete(sessionId);
      expect(await callback(paymentId, { error: 'cancelled', session_id: sessionId })).toMatchObject({
        status: 200,
        body: { recorded: ['PaymentCancelled'], status: 'cancelled' },
      });
    });

    it('takes the webhook of a large basket: 400 lines, on the transaction and again on its capture', async () => {
      const { paymentId, sessionId } = await pay(10_000);
      const tx = transactionOf(sessionId);
      const items = Array.from({ length: 400 }, (_, i) => ({
        id: `sku-${i}`,
        line_id: String(i),
        description: `Grocery item number ${i}, 500 g`,
        quantity: 1,
        amount: 25,
        vat_amount: 5,
        vat: 25,
      }));
      const transaction = {
        id: tx.id,
        merchant_reference_2: paymentId,
        status: 'CAPTURED',
        amount: 10_000,
        currency: 'NOK',
        items,
        events: [{ id: 'e1', event: 'CAPTURE', success: true, amount: 10_000, items }],
      };
      const answer = await webhook({ event: 'checkout_transaction', transaction });
      expect(JSON.stringify(transaction).length).toBeGreaterThan(64 * 1024);
      expect(answer).toMatchObject({ status: 200, body: { paymentId, recorded: [], status: 'captured' } });
    });

    it('takes a callback Dintero POSTs with the transaction as its body (method=POST), as it takes a GET', async () => {
      const terminalId = await freshTerminal();
      const { paymentId, sessionId } = await engine.start('oslo-center', terminalId, 10_000);
      const session = engine.sim.app.get(SimulatorState).sessions.get(sessionId as string)!;
      // As a session created with a callback URL asking for POSTs (the engine's ask for GETs).
      Object.assign(session.url, { callback_url: `${session.url.callback_url}&method=POST` });
      await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
      await engine.waitForPayment(paymentId as string, final, 'the outcome recorded');
      await engine.sim.control('POST', '/idle');
      const callbacks = (await engine.sim.control<DeliveryRecord[]>('GET', '/deliveries')).filter(
        (delivery) => delivery.kind === 'callback' && delivery.sessionId === sessionId,
      );
      expect(callbacks).toEqual([
        expect.objectContaining({ url: expect.stringContaining('method=POST'), outcome: 'delivered', lastStatus: 200 }),
      ]);
      expect(await typesOf(paymentStream(paymentId as string))).toContain('PaymentCaptured');
    });

    it('answers 200 to webhooks that are not ours, and records nothing', async () => {
      const before = await written();
      expect(await webhook({ event: 'account_update' })).toMatchObject({
        status: 200,
        body: { ignored: 'event account_update' },
      });
      expect(await written()).toBe(before);
    });

    it('answers 200 to Dintero’s ping, whose body is the subscription and whose event is in a header alone', async () => {
      // The simulator pinged the subscription the engine's start seeded, as Dintero does when one is created.
      await waitUntil(
        async () =>
          (await engine.sim.control<DeliveryRecord[]>('GET', '/deliveries')).some(
            (delivery) => delivery.event === 'ping' && delivery.outcome === 'delivered' && delivery.lastStatus === 200,
          ),
        10_000,
        'the subscription’s ping delivered',
      );
      const before = await written();
      const subscription = {
        created_at: '2026-12-04T10:00:00Z',
        created_by: 'T12345678',
        id: randomUUID(),
        updated_at: '2026-12-04T10:00:00Z',
        active: true,
        config: { content_type: 'application/json', insecure_ssl: 0, secret: { type: 'HMAC-SHA1' }, url: 'x' },
        events: ['checkout_transaction'],
      };
      const pinged = await webhook(subscription, undefined, { event: 'ping', 'event-delivery': randomUUID() });
      expect(pinged).toMatchObject({ status: 200, body: { ignored: 'event ping' } });
      // Named nowhere: refused, nothing written.
      const unnamed = await webhook(subscription);
      expect(unnamed).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
      expect(JSON.stringify(unnamed.body)).toContain('`event` header');
      expect(await written()).toBe(before);
    });

    it('takes a capture whose transaction metadata has keys JavaScript reserves, and a body after a byte-order mark', async () => {
      // Another sales channel's metadata may name a key anything: a 4xx would make Dintero give the delivery up.
      const { paymentId, sessionId } = await pay(10_000);
      const tx = transactionOf(sessionId);
      const answer = await webhook({
        event: 'checkout_transaction',
        transaction: { id: tx.id, merchant_reference_2: paymentId, metadata: { constructor: 'x', prototype: 'y' } },
      });
      expect(answer.status).toBe(200);
      expect(await typesOf(paymentStream(paymentId))).toContain('PaymentCaptured');

      const body = `\uFEFF${JSON.stringify({ account_id: ACCOUNT, event_delivery: 'd-bom', event: 'ping' })}`;
      const response = await fetch(`${engine.ingest.url}/v1/dintero/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'event-signature': signWebhook(body, WEBHOOK_SECRET) },
        body,
      });
      expect(response.status).toBe(200);
    });

    it('refuses a forged webhook for its signature, whatever its shape', async () => {
      const before = await written();
      const deep = `{"event":"checkout_transaction","transaction":${'{"a":'.repeat(100)}1${'}'.repeat(100)}}`;
      const response = await fetch(`${engine.ingest.url}/v1/dintero/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'event-signature': 'f'.repeat(40) },
        body: deep,
      });
      expect(response.status).toBe(401);
      expect(await written()).toBe(before);
    });

    it('refuses a forged delivery for its signature before parsing its body: a body that is no JSON gets 401, not 400', async () => {
      const before = await written();
      const notJson = `{"event":"checkout_transaction","transaction":${'['.repeat(50_000)}`;
      for (const [path, headers] of [
        ['/v1/dintero/webhooks', { 'event-signature': 'f'.repeat(40) }],
        [
          '/v1/dintero/callback?payment_id=x&transaction_id=T12345678.x&method=POST',
          { 'dintero-signature': 't=1,v1=00' },
        ],
      ] as const) {
        const response = await fetch(`${engine.ingest.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: notJson,
        });
        expect({ path, status: response.status, body: await response.json() }).toMatchObject({
          path,
          status: 401,
          body: { code: 'INVALID_SIGNATURE' },
        });
      }
      expect(await written()).toBe(before);
    });

    it('answers 200 to webhooks about another system’s payment with a UUID reference, and records nothing', async () => {
      // The subscription covers the whole Dintero account: its web shop, or another environment's engine, may put
      // a UUID in merchant_reference_2 too. A 404 would count as a failed delivery at Dintero.
      const { sessionId, terminalId } = await unheardPayment(10_000);
      await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
      const state = engine.sim.app.get(SimulatorState);
      const theirs = randomUUID();
      const foreign = { ...state.transactions.get(transactionOf(sessionId).id)!, id: `T-${theirs}` };
      state.transactions.set(foreign.id, { ...foreign, merchant_reference_2: theirs });
      const before = await written();
      for (const body of [
        { event: 'checkout_transaction', transaction: { id: foreign.id } },
        { event: 'checkout_authorization', authorization: { transaction_id: foreign.id, merchant_reference: 'WEB-1' } },
      ])
        expect(await webhook(body)).toMatchObject({
          status: 200,
          body: { ignored: `payment ${theirs} is not in this engine's log` },
        });
      expect(await written()).toBe(before);
    });

    it('answers 503 to a callback for a payment not in its log, so that Dintero delivers it again', async () => {
      // The callback URL is this engine's own, its payment_id one it issued: where reads may lag (KurrentDB's
      // followers) the payment is in the log a moment later. A 404 would make Dintero give the callback up for good.
      const { sessionId, terminalId } = await unheardPayment(10_000);
      await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
      const state = engine.sim.app.get(SimulatorState);
      const notYet = randomUUID();
      const tx = { ...state.transactions.get(transactionOf(sessionId).id)!, id: `T-${notYet}` };
      state.transactions.set(tx.id, { ...tx, merchant_reference_2: notYet });
      const before = await written();
      for (const params of [{ transaction_id: tx.id }, { error: 'cancelled', session_id: sessionId }] as Record<
        string,
        string
      >[])
        expect(await callback(notYet, params)).toMatchObject({
          status: 503,
          body: { code: 'PAYMENT_NOT_IN_LOG', paymentId: notYet },
        });
      expect(await written()).toBe(before);
    });

    it('takes error and event codes it does not know: the transaction named is recorded, an error alone is left to the reconciler', async () => {
      // Dintero's `error` and `event` are free strings: `error=capture` comes with the transaction, and events such as
      // INITIATE_REFUND exist. A 400 would make Dintero give the callback up.
      const { paymentId, sessionId, terminalId } = await unheardPayment(10_000);
      await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
      const tx = transactionOf(sessionId);
      const before = await written();
      expect(await callback(paymentId, { error: 'some_new_code', session_id: sessionId })).toEqual({
        status: 200,
        body: { ignored: 'error some_new_code is not one this engine records; it asks Dintero about the payment' },
      });
      expect(
        await webhook({
          event: 'checkout_authorization',
          authorization: { session_id: sessionId, error: 'some_new_code' },
        }),
      ).toMatchObject({ status: 200, body: { ignored: expect.stringContaining('some_new_code') } });
      expect(await written()).toBe(before);
      expect(
        await callback(paymentId, { error: 'capture', event: 'INITIATE_CAPTURE', transaction_id: tx.id }),
      ).toMatchObject({ status: 200, body: { recorded: ['PaymentCaptured'] } });
    });

    describe('forged, unsigned and stale deliveries: 401, nothing written', () => {
      it.each<{ what: string; signing?: CallbackSigning; signature?: string | null }>([
        { what: 'no signature', signature: null },
        {
          what: 'a forged signature',
          signature: `t=${Math.floor(Date.now() / 1000)},v0-hmac-sha256=${'0'.repeat(64)}`,
        },
        { what: 'a signature made with another secret', signing: { secret: 'not-the-secret' } },
        { what: 'a stale timestamp', signing: { timestamp: Math.floor(Date.now() / 1000) - 301 } },
      ])('callback with $what', async ({ signing, signature }) => {
        const { paymentId, sessionId } = await unheardPayment(10_010);
        const before = await written();
        const answer = await callback(paymentId, { error: 'cancelled', session_id: sessionId }, signing, signature);
        expect(answer).toMatchObject({ status: 401, body: { code: 'INVALID_SIGNATURE' } });
        expect(await written()).toBe(before);
      });

      it('webhook with a wrong signature', async () => {
        const before = await written();
        expect(
          await webhook({ event: 'checkout_transaction', transaction: { id: 'T12345678.x' } }, 'f'.repeat(40)),
        ).toMatchObject({
          status: 401,
          body: { code: 'INVALID_SIGNATURE' },
        });
        expect(await written()).toBe(before);
      });
    });

    describe('malformed deliveries: 400, nothing written', () => {
      it.each([
        ['no payment_id', {}],
        ['a payment_id that is not a UUID', { payment_id: 'abc', error: 'cancelled' }],
        ['neither transaction nor error', { payment_id: '00000000-0000-4000-8000-000000000000' }],
        ['an overlong error', { payment_id: '00000000-0000-4000-8000-000000000000', error: 'x'.repeat(101) }],
        [
          'a transaction id with a slash',
          { payment_id: '00000000-0000-4000-8000-000000000000', transaction_id: 'a/b' },
        ],
      ])('callback with %s', async (_case, params) => {
        const { url, headers } = signedCallback(engine.ingest.url, ACCOUNT, params);
        const before = await written();
        const response = await fetch(url, { headers });
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
        expect(await written()).toBe(before);
      });

      it.each([
        ['not JSON', '{"event":'],
        ['no event', '{}'],
        ['a transaction event without a transaction', '{"event":"checkout_transaction"}'],
        [
          'an authorization without session or transaction',
          '{"event":"checkout_authorization","authorization":{"error":"cancelled"}}',
        ],
        [
          'a transaction nested 5,000 levels deep',
          `{"event":"checkout_transaction","transaction":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`,
        ],
      ])('webhook with %s', async (_case, body) => {
        const before = await written();
        const response = await fetch(`${engine.ingest.url}/v1/dintero/webhooks`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'event-signature': signWebhook(body, WEBHOOK_SECRET) },
          body,
        });
        expect(response.status).toBe(400);
        expect(await written()).toBe(before);
      });
    });

    it("books nothing of a capture Dintero reports in another currency than the payment's, answering 503 until it can", async () => {
      // Dintero keeps a session's transaction in the session's currency: SEK on a NOK payment is a report not to book
      // (booked, the SEK were added to the store day's NOK totals). A 4xx would make Dintero give it up; if it never
      // becomes bookable, the reconciler hands the payment to a person (reconciler.int: a payment it cannot settle).
      const { paymentId, sessionId, terminalId } = await unheardPayment(10_000);
      await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
      const state = engine.sim.app.get(SimulatorState);
      const tx = transactionOf(sessionId);
      state.transactions.set(tx.id, { ...state.transactions.get(tx.id)!, currency: 'SEK' });
      const before = await written();
      const refused = {
        status: 503,
        body: {
          code: 'TRANSACTION_IN_OTHER_CURRENCY',
          detail: `Dintero transaction ${tx.id} is CAPTURED in SEK, but payment ${paymentId} is in NOK: nothing was booked`,
        },
      };
      expect(await callback(paymentId, { transaction_id: tx.id })).toMatchObject(refused);
      expect(await webhook({ event: 'checkout_transaction', transaction: { id: tx.id } })).toMatchObject(refused);
      expect(await written()).toBe(before);
      // Reported in the payment's currency at last: booked once, nothing lost.
      state.transactions.set(tx.id, { ...state.transactions.get(tx.id)!, currency: 'NOK' });
      expect(await callback(paymentId, { transaction_id: tx.id })).toMatchObject({
        status: 200,
        body: { recorded: ['PaymentCaptured'], status: 'captured' },
      });
      await engine.terminalFree(terminalId);
    });

    it("hands a person a further capture of a captured payment's transaction in another currency, answering 503 still", async () => {
      // No reconciler looks at a captured payment: refused at every report and flagged by none, the money Dintero
      // shows captured was known to nobody.
      const { paymentId, sessionId, terminalId } = await unheardPayment(10_000);
      await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
      const state = engine.sim.app.get(SimulatorState);
      const tx = transactionOf(sessionId);
      const simulated = state.transactions.get(tx.id)!;
      const capture = simulated.events.find((event) => event.event === 'CAPTURE')!;
      // Captured in part first (6,000 of 10,000), in the payment's currency: booked.
      const partly = simulated.events.map((event) => (event === capture ? { ...event, amount: 6_000 } : event));
      state.transactions.set(tx.id, { ...simulated, status: 'PARTIALLY_CAPTURED', events: partly });
      expect(await callback(paymentId, { transaction_id: tx.id })).toMatchObject({
        status: 200,
        body: { recorded: ['PaymentCaptured'], status: 'captured' },
      });
      // The rest captured later, shown in SEK: not booked, and a person told once, however often Dintero reports it.
      const rest = { ...capture, id: `${capture.id}-2`, amount: 4_000 };
      state.transactions.set(tx.id, { ...simulated, currency: 'SEK', events: [...partly, rest] });
      const refused = {
        status: 503,
        body: {
          code: 'TRANSACTION_IN_OTHER_CURRENCY',
          detail: `Dintero transaction ${tx.id} is CAPTURED in SEK, but payment ${paymentId} is in NOK: nothing was booked`,
        },
      };
      expect(await callback(paymentId, { transaction_id: tx.id })).toMatchObject(refused);
      expect(await webhook({ event: 'checkout_transaction', transaction: { id: tx.id } })).toMatchObject(refused);
      expect(await callback(paymentId, { transaction_id: tx.id })).toMatchObject(refused);
      const events = await engine.log.readStream(`payment-${paymentId}`);
      expect(events.map((event) => event.type)).not.toContain('FurtherCaptureRecorded');
      expect(events.filter((event) => event.type === 'PaymentFlaggedForReview').map((event) => event.data)).toEqual([
        {
          reason: 'not_settleable',
          transactionId: tx.id,
          since: expect.any(String) as string,
          problem: refused.body.detail,
          capturedAmount: 10_000,
          at: expect.any(String) as string,
        },
      ]);
      await engine.terminalFree(terminalId);
    });

    it('hands that capture over no more once a person resolved it, and more captured since again', async () => {
      const { paymentId, sessionId, terminalId } = await unheardPayment(10_000);
      await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
      const state = engine.sim.app.get(SimulatorState);
      const tx = transactionOf(sessionId);
      const simulated = state.transactions.get(tx.id)!;
      const capture = simulated.events.find((event) => event.event === 'CAPTURE')!;
      const partly = simulated.events.map((event) => (event === capture ? { ...event, amount: 6_000 } : event));
      state.transactions.set(tx.id, { ...simulated, status: 'PARTIALLY_CAPTURED', events: partly });
      expect((await callback(paymentId, { transaction_id: tx.id })).status).toBe(200);
      const rest = { ...capture, id: `${capture.id}-2`, amount: 3_000 };
      state.transactions.set(tx.id, { ...simulated, currency: 'SEK', events: [...partly, rest] });
      expect((await callback(paymentId, { transaction_id: tx.id })).status).toBe(503);
      const flags = async () =>
        (await engine.log.readStream(`payment-${paymentId}`))
          .filter((event) => event.type === 'PaymentFlaggedForReview')
          .map((event) => (event.data as { capturedAmount?: number }).capturedAmount);
      expect(await flags()).toEqual([9_000]);
      // The back office gave the SEK back at Dintero and says so.
      const resolved = await engine.command.fetch(`/v1/terminal-payments/${paymentId}/review/resolve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ note: 'Refunded the SEK capture in Dintero Backoffice' }),
      });
      expect(resolved.status).toBe(200);
      // Dintero reports the same capture again and again: refused as before, and handed to nobody again.
      expect((await callback(paymentId, { transaction_id: tx.id })).status).toBe(503);
      expect((await webhook({ event: 'checkout_transaction', transaction: { id: tx.id } })).status).toBe(503);
      expect(await flags()).toEqual([9_000]);
      // More captured in SEK since: a new cause, handed over as before.
      const more = { ...capture, id: `${capture.id}-3`, amount: 1_000 };
      state.transactions.set(tx.id, { ...simulated, currency: 'SEK', events: [...partly, rest, more] });
      expect((await callback(paymentId, { transaction_id: tx.id })).status).toBe(503);
      expect(await flags()).toEqual([9_000, 10_000]);
      await engine.terminalFree(terminalId);
    });

    it('refuses a transaction that names another payment', async () => {
      const first = await pay(10_000);
      const second = await pay(10_000);
      const before = await written();
      const answer = await callback(first.paymentId, { transaction_id: transactionOf(second.sessionId).id });
      expect(answer).toMatchObject({ status: 422, body: { code: 'TRANSACTION_OF_ANOTHER_PAYMENT' } });
      expect(await written()).toBe(before);
    });
  });

  it('records a capture after a cancellation, flagged for reversal (late capture)', async () => {
    const { paymentId, sessionId, terminalId } = await unheardPayment(10_000);
    // The customer cancels (the callback says so), and yet the money is taken.
    await engine.ingest.app
      .get(PaymentFacts)
      .recordError(paymentId, 'cancelled', { source: 'callback', correlationId: 'test' });
    await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
    const tx = engine.sim.app.get(SimulatorState).sessions.get(sessionId)!.transaction_id!;
    const { url, headers } = signedCallback(engine.ingest.url, ACCOUNT, { payment_id: paymentId, transaction_id: tx });
    const answer = await fetch(url, { headers });
    expect(await answer.json()).toMatchObject({ recorded: ['LateCaptureRecorded'], status: 'cancelled' });
    const late = (await engine.log.readStream(paymentStream(paymentId))).find((e) => e.type === 'LateCaptureRecorded');
    expect(late?.data).toMatchObject({
      transactionId: tx,
      amount: 10_000,
      endedAs: 'cancelled',
      flaggedForReversal: true,
    });
    // The POS sees the money taken, and by which transaction, beside the payment's end.
    const view = await engine.command.fetch(`/v1/terminal-payments/${paymentId}`);
    expect(await view.json()).toMatchObject({
      status: 'cancelled',
      final: true,
      lateCaptures: [{ transactionId: tx, amount: 10_000 }],
    });
  });
});

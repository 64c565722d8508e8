import fc from 'fast-check';
import { signWebhook } from '@app/dintero';
import { startEngine, WEBHOOK_SECRET, type Engine } from '../../../test/support/engine';
import { signedCallback } from '../../../test/support/signed-callback';

/**
 * Generated deliveries, correctly signed so that they reach parsing and lookups: never a 5xx from the
 * service itself (but the 503 that has Dintero deliver a callback for a payment not in the log again), and nothing
 * written unless the delivery named a real transaction of a real payment. The generated values include the ids of
 * real payments (one captured, one waiting for its card), their transactions and sessions, so that deliveries reach
 * the payments' own paths too; the captured one's money never changes.
 */
describe('ingest under generated deliveries', () => {
  let engine: Engine;
  let real: string[] = [];
  let capturedId = '';
  beforeAll(async () => {
    engine = await startEngine();
    await engine.terminals('fz', 'FZ-1', 'FZ-2');
    const waiting = (await engine.start('fz', 'FZ-1', 10_000)).paymentId as string;
    capturedId = (await engine.start('fz', 'FZ-2', 20_000)).paymentId as string;
    await engine.sim.control('POST', '/terminals/FZ-2/present', {});
    const captured = await engine.waitForPayment(capturedId, (s) => s.status === 'captured', 'the capture');
    const open = await engine.waitForPayment(waiting, (s) => s.status === 'awaiting_card', 'the prompt');
    real = [waiting, capturedId];
    for (const state of [captured, open])
      if (state.status !== 'none') {
        if (state.sessionId) real.push(state.sessionId);
        if ('transactionId' in state && typeof state.transactionId === 'string') real.push(state.transactionId);
      }
    expect(real.length).toBeGreaterThanOrEqual(4);
  }, 60_000);
  afterAll(() => engine.close());

  /** One of the real payments', sessions' and transactions' ids (read when a value is generated). */
  const ids = () => fc.constant(undefined).chain(() => fc.constantFrom(...real));
  /**
   * Each delivery with a correlation id of its own: what it wrote carries it, so that "nothing written" is told
   * apart from what the engine writes meanwhile (the reconciler, a late delivery of the capture).
   */
  let deliveries = 0;
  const delivery = () => {
    const correlationId = `fuzz-${++deliveries}`;
    return {
      correlationId,
      wrote: async () => {
        for (let after = 0n; ;) {
          const page = await engine.log.readAll({ after, limit: 10_000 });
          if (page.some((event) => event.metadata.correlationId === correlationId)) return true;
          if (page.length < 10_000) return false;
          after = page[page.length - 1]!.position;
        }
      },
    };
  };
  const param = fc.oneof(
    fc.uuid(),
    fc.string({ maxLength: 120 }),
    fc.constantFrom('cancelled', 'authorization', 'failed', 'CAPTURE', 'T12345678.abc'),
    ids(),
  );
  const names = fc.constantFrom(
    'payment_id',
    'transaction_id',
    'session_id',
    'sid',
    'merchant_reference',
    'error',
    'event',
    'time',
    'unknown_param',
  );

  it('callbacks with generated query strings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.dictionary(names, param, { maxKeys: 6 }),
          // Shaped as Dintero's own: most reach the payment's path.
          fc.record(
            {
              payment_id: fc.oneof(ids(), fc.uuid()),
              transaction_id: ids(),
              session_id: ids(),
              error: fc.constantFrom('cancelled', 'authorization', 'failed', 'capture'),
              event: fc.constantFrom('CAPTURE', 'REFUND', 'VOID'),
              merchant_reference: fc.constantFrom('POS-1', 'x'),
            },
            { requiredKeys: ['payment_id'] },
          ),
        ),
        fc.constantFrom('GET', 'POST'),
        async (params, method) => {
          const { correlationId, wrote } = delivery();
          const { url, headers } = signedCallback(engine.ingest.url, 'T12345678', params, {
            method,
            headers: { 'x-correlation-id': correlationId },
          });
          const response = await fetch(url, { method, headers });
          const { code } = (await response.json()) as { code?: string };
          if (code === 'PAYMENT_NOT_IN_LOG') expect(real).not.toContain(params.payment_id);
          else expect(response.status).toBeLessThan(500);
          if (response.status >= 400) expect(await wrote()).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('webhooks with generated bodies', async () => {
    const body = fc.oneof(
      fc
        .record(
          {
            event: fc.oneof(fc.constantFrom('checkout_transaction', 'checkout_authorization', 'ping'), fc.string()),
            transaction: fc.oneof(
              fc.record({ id: param, merchant_reference_2: param }, { requiredKeys: [] }),
              fc.jsonValue(),
            ),
            authorization: fc.oneof(
              fc.record({ session_id: param, transaction_id: param, error: param }, { requiredKeys: [] }),
              fc.jsonValue(),
            ),
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 300 }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (raw) => {
        const { correlationId, wrote } = delivery();
        const response = await fetch(`${engine.ingest.url}/v1/dintero/webhooks`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'event-signature': signWebhook(raw, WEBHOOK_SECRET),
            'x-correlation-id': correlationId,
          },
          body: raw,
        });
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) expect(await wrote()).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves the captured payment as Dintero has it, whatever was delivered', async () => {
    const state = await engine.waitForPayment(capturedId, () => true, 'the captured payment');
    expect(state).toMatchObject({ status: 'captured', amount: 20_000 });
    expect(state.status === 'captured' && Object.keys(state.refunds)).toEqual([]);
  });
});

import fc from 'fast-check';
import { signCallback, signWebhook } from '@app/dintero';
import { CALLBACK_SECRET, startEngine, WEBHOOK_SECRET, type Engine } from '../../../test/support/engine';

/**
 * Generated deliveries, correctly signed so that they reach parsing and lookups: never a 5xx from the
 * service itself, and nothing written unless the delivery named a real transaction of a real payment.
 */
describe('ingest under generated deliveries', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await startEngine();
  });
  afterAll(() => engine.close());

  const written = async () => (await engine.log.readAll({ limit: 10_000 })).length;
  const param = fc.oneof(
    fc.uuid(),
    fc.string({ maxLength: 120 }),
    fc.constantFrom('cancelled', 'authorization', 'failed', 'CAPTURE', 'T12345678.abc'),
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
        fc.dictionary(names, param, { maxKeys: 6 }),
        fc.constantFrom('GET', 'POST'),
        async (params, method) => {
          const url = new URL(`${engine.ingest.url}/v1/dintero/callback`);
          for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
          const signature = signCallback(
            { accountId: 'T12345678', method, url },
            CALLBACK_SECRET,
            Math.floor(Date.now() / 1000),
          );
          const before = await written();
          const response = await fetch(url, { method, headers: { 'dintero-signature': signature } });
          expect(response.status).toBeLessThan(500);
          if (response.status >= 400) expect(await written()).toBe(before);
        },
      ),
      { numRuns: 150 },
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
        const before = await written();
        const response = await fetch(`${engine.ingest.url}/v1/dintero/webhooks`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'event-signature': signWebhook(raw, WEBHOOK_SECRET) },
          body: raw,
        });
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) expect(await written()).toBe(before);
      }),
      { numRuns: 150 },
    );
  });
});

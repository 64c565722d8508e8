import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { natsNames } from '@app/messaging';
import { startCommandServiceOnSimulator, type RunningCommandService } from '../../../test/support/command-service';
import { HQ } from '../../../test/support/pos-clients';

/**
 * Generated input against every POS endpoint, HTTP and NATS: never a 5xx, and a refused request never
 * writes. (The valid-looking cases may start payments: those are accepted requests and may write.)
 */
describe('command service under generated input', () => {
  let prefix: string;
  let service: RunningCommandService;
  let nats: NatsConnection;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ service, prefix, close } = await startCommandServiceOnSimulator([
      { id: 'oslo', payoutDestinationId: 'seller-1', terminals: ['F-1'] },
    ]));
    nats = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
  });
  afterAll(async () => {
    await nats.close();
    await close();
  });

  const written = async () => (await service.log.readAll({ limit: 10_000 })).length;
  /** A valid start on the one terminal. */
  const validStart = fc.record({
    storeId: fc.constant('oslo'),
    terminalId: fc.constant('F-1'),
    amount: fc.integer({ min: 1, max: 10_000 }).map((n) => n * 100),
    currency: fc.constant('NOK'),
    merchantReference: fc.string({ minLength: 1, maxLength: 20 }).filter((reference) => reference.trim() !== ''),
  });
  const startFields = ['storeId', 'terminalId', 'amount', 'currency', 'merchantReference', 'metadata', 'items'];
  /**
   * A start body: valid, or valid but for one field (left out, or anything in its place), or anything at all. Most
   * are close to valid, so that the service's work past validation is what is tried, not only its refusals.
   */
  const startBody = fc.oneof(
    { weight: 2, arbitrary: validStart },
    {
      weight: 3,
      arbitrary: fc
        .tuple(validStart, fc.constantFrom(...startFields), fc.option(fc.anything(), { nil: undefined }))
        .map(([body, field, value]) => {
          const { [field]: _left, ...rest } = body as Record<string, unknown>;
          return value === undefined ? rest : { ...rest, [field]: value };
        }),
    },
    { weight: 1, arbitrary: fc.jsonValue() },
  );
  const text = fc.string({ maxLength: 300 });
  /** An Idempotency-Key: a good one most often, else any text or none. */
  const uuidKey: fc.Arbitrary<string | null> = fc.uuid();
  const startKey: fc.Arbitrary<string | null> = fc.oneof(uuidKey, uuidKey, uuidKey, uuidKey, fc.option(text));

  it('POST /v1/terminal-payments', async () => {
    let started = 0;
    await fc.assert(
      fc.asyncProperty(startBody, startKey, async (body, key) => {
        const before = await written();
        const response = await service.fetch('/v1/terminal-payments', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(key === null ? {} : { 'idempotency-key': key.replace(/[\r\n]/g, '') }),
          },
          body: JSON.stringify(body),
        });
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) expect(await written()).toBe(before);
        else {
          started += 1;
          const { paymentId } = (await response.json()) as { paymentId: string };
          const cancelled = await service.fetch(`/v1/terminal-payments/${paymentId}/cancel`, { method: 'POST' });
          expect(cancelled.status).toBeLessThan(500);
        }
      }),
      { numRuns: 150 },
    );
    // The generated starts reached the work past validation too: a session at Dintero, the terminal claimed.
    expect(started).toBeGreaterThanOrEqual(20);
  });

  it('raw bodies that are not JSON, and other content types', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 500 }),
        fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'),
        async (raw, type) => {
          const before = await written();
          const response = await service.fetch('/v1/terminal-payments', {
            method: 'POST',
            headers: { 'content-type': type, 'idempotency-key': randomUUID() },
            body: raw,
          });
          expect(response.status).toBeLessThan(500);
          if (response.status >= 400) expect(await written()).toBe(before);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('answers a body that is not JSON by its content type with 415, in Problem Details', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const response = await service.fetch('/v1/terminal-payments', {
        method: 'POST',
        headers: { 'content-type': type, 'idempotency-key': randomUUID() },
        body: 'storeId=oslo',
      });
      expect(response.status).toBe(415);
      expect(await response.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 });
    }
  });

  it('registry, reads, cancels and refunds with generated ids, queries and bodies', async () => {
    const id = fc.oneof(fc.constant('oslo'), fc.string({ maxLength: 80 }));
    await fc.assert(
      fc.asyncProperty(id, id, fc.jsonValue(), text, async (storeId, terminalId, body, query) => {
        const before = await written();
        const s = encodeURIComponent(storeId);
        const t = encodeURIComponent(terminalId);
        const q = encodeURIComponent(query);
        const answers = await Promise.all([
          service.fetch(`/v1/stores/${s}`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          }),
          service.fetch(`/v1/stores/${s}/terminals/${t}/deactivate`, { method: 'POST' }),
          service.fetch(`/v1/stores/${s}`),
          service.fetch(`/v1/terminal-payments/${t}?waitFor=${q}&timeout=${q}`),
          service.fetch(`/v1/terminal-payments/${t}/cancel`, { method: 'POST' }),
          service.fetch(`/v1/terminal-payments/${randomUUID()}/refunds`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
            body: JSON.stringify(body),
          }),
        ]);
        for (const answer of answers) expect(answer.status).toBeLessThan(500);
        // A PUT of a store may be a valid registration (it writes); anything refused writes nothing.
        if (answers[0].status >= 400 && answers[1].status >= 400) expect(await written()).toBe(before);
      }),
      { numRuns: 100 },
    );
  });

  /** A JSON text nested `depth` levels (a field of the body), or an object with `width` keys: built as text. */
  const hostile = fc.oneof(
    fc.integer({ min: 1, max: 8_000 }).map((depth) => {
      const inner = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
      return `{"storeId":"oslo","terminalId":"F-1","amount":100,"currency":"NOK","merchantReference":"x","metadata":${inner}}`;
    }),
    fc.integer({ min: 1, max: 8_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
    fc
      .integer({ min: 1, max: 12_000 })
      .map(
        (width) =>
          `{"name":"x","payoutDestinationId":"p","timeZone":"Europe/Oslo","extra":{${Array.from({ length: width }, (_, i) => `"k${i}":${i}`).join(',')}}}`,
      ),
  );

  it('bodies nested thousands deep or thousands wide: a 4xx, never a 5xx, nothing written', async () => {
    const subjects = [...Object.values(natsNames(prefix).commands), natsNames(prefix).queries.payments];
    await fc.assert(
      fc.asyncProperty(hostile, fc.constantFrom(...subjects), async (body, subject) => {
        const before = await written();
        const answers = await Promise.all([
          service.fetch('/v1/terminal-payments', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
            body,
          }),
          service.fetch('/v1/stores/oslo-hostile', {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body,
          }),
        ]);
        for (const answer of answers) expect(answer.status).toBeGreaterThanOrEqual(400);
        for (const answer of answers) expect(answer.status).toBeLessThan(500);
        const h = headers();
        h.set('Authorization', `Bearer ${HQ.key}`);
        const wrapped = subject.endsWith('query.payments')
          ? `{"query":${body}}`
          : `{"idempotencyKey":"k","payment":${body},"paymentId":"${randomUUID()}","refund":${body}}`;
        const reply = (await nats.request(subject, wrapped, { timeout: 10_000, headers: h })).json<{
          status: number;
        }>();
        expect(reply.status).toBeGreaterThanOrEqual(400);
        expect(reply.status).toBeLessThan(500);
        expect(await written()).toBe(before);
      }),
      { numRuns: 40 },
    );
  });

  it('NATS command subjects', async () => {
    const subjects = Object.values(natsNames(prefix).commands);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...subjects),
        fc.oneof(
          fc.jsonValue().map((v) => JSON.stringify(v)),
          text,
        ),
        async (subject, payload) => {
          const before = await written();
          const h = headers();
          h.set('Authorization', `Bearer ${HQ.key}`);
          const reply = (await nats.request(subject, payload, { timeout: 10_000, headers: h })).json<{
            status: number;
          }>();
          expect(reply.status).toBeLessThan(500);
          if (reply.status >= 400) expect(await written()).toBe(before);
        },
      ),
      { numRuns: 150 },
    );
  });
});

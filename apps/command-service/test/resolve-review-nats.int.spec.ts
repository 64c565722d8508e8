import { randomUUID } from 'node:crypto';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { natsNames } from '@app/messaging';
import { paymentStream } from '@app/payment-domain';
import { at } from '../../../libs/payment-domain/test/payment-fixtures';
import { startCommandService, type RunningCommandService } from '../../../test/support/command-service';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/nats-state';
import { HQ, type TestPosClient } from '../../../test/support/pos-clients';
import { BERGEN, flaggedPayment, NOTE, TILL } from './flagged-payment';

type Answer = { status: number; body: Record<string, unknown> };

/**
 * `payments.v1.cmd.resolve-review` over the real NATS server: the HTTP routes' answers (status and body, but for
 * `instance`), rights and validation, the payment's review or its refund's by `refundId`.
 */
describe('command service: resolving a review over NATS request/reply', () => {
  const prefix = uniquePrefix();
  const subject = natsNames(prefix).commands.resolveReview;
  let service: RunningCommandService;
  let nats: NatsConnection;
  beforeAll(async () => {
    service = await startCommandService({ NATS_PREFIX: prefix }, [HQ, TILL, BERGEN]);
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    await nats?.close();
    await service?.close();
    await removeNatsState(prefix);
  });

  const request = async (message: unknown, client: TestPosClient = HQ): Promise<Answer> => {
    const h = headers();
    h.set('Authorization', `Bearer ${client.key}`);
    const reply = await nats.request(subject, JSON.stringify(message), { timeout: 10_000, headers: h });
    return reply.json<Answer>();
  };
  const overHttp = async (route: string, body: unknown, client: TestPosClient = HQ): Promise<Answer> => {
    const response = await service.fetch(
      `/v1/terminal-payments/${route}/review/resolve`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      client,
    );
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  /** A refusal as HTTP answers it: the same, but for `instance` (the path there, the subject here). */
  const asOverHttp = (answer: Answer, path: string): Answer => ({
    status: answer.status,
    body: { ...answer.body, instance: path },
  });
  const events = (paymentId: string) => service.log.readStream(paymentStream(paymentId));

  it("resolves the payment's review, answers the same note again with the same resolution, writing it once", async () => {
    const { paymentId } = await flaggedPayment(service.log);
    const first = await request({ paymentId, resolution: { note: NOTE, flaggedAt: at(30) } });
    expect(first).toEqual({
      status: 200,
      body: { paymentId, flaggedAt: at(30), resolvedBy: 'hq', resolvedAt: expect.any(String) as unknown, note: NOTE },
    });
    const written = await events(paymentId);
    expect(written.at(-1)).toMatchObject({
      type: 'PaymentReviewResolved',
      data: { flaggedAt: at(30), by: 'hq', note: NOTE },
      metadata: { paymentId, storeId: 'oslo-center', posClientId: 'hq' },
    });
    // The same note again, over NATS (a retry whose answer was lost) or HTTP: the first resolution, nothing written.
    expect(await request({ paymentId, resolution: { note: NOTE } })).toEqual(first);
    expect(await overHttp(paymentId, { note: NOTE })).toEqual(first);
    expect(await events(paymentId)).toHaveLength(written.length);
  });

  it("resolves a refund's review when the message names it, in capitals as a POS may keep it", async () => {
    const { paymentId, refundId } = await flaggedPayment(service.log);
    const message = {
      paymentId: paymentId.toUpperCase(),
      refundId: refundId.toUpperCase(),
      resolution: { note: NOTE },
    };
    expect(await request(message)).toMatchObject({
      status: 200,
      body: { paymentId, refundId, flaggedAt: at(90), resolvedBy: 'hq', note: NOTE },
    });
    expect((await events(paymentId)).at(-1)).toMatchObject({ type: 'RefundReviewResolved', data: { refundId } });
    const unknown = randomUUID();
    const noRefund = await request({ paymentId, refundId: unknown, resolution: { note: NOTE } });
    expect(noRefund).toMatchObject({ status: 404, body: { code: 'UNKNOWN_REFUND', refundId: unknown } });
    const path = `/v1/terminal-payments/${paymentId}/refunds/${unknown}/review/resolve`;
    expect(await overHttp(`${paymentId}/refunds/${unknown}`, { note: NOTE })).toEqual(asOverHttp(noRefund, path));
  });

  it('answers 409 NOT_UNDER_REVIEW to another note on a review resolved, as HTTP does, writing nothing', async () => {
    const { paymentId } = await flaggedPayment(service.log);
    expect(await request({ paymentId, resolution: { note: NOTE } })).toMatchObject({ status: 200 });
    const before = await events(paymentId);
    const refused = await request({ paymentId, resolution: { note: 'Booked it by hand' } });
    expect(refused).toMatchObject({ status: 409, body: { code: 'NOT_UNDER_REVIEW', paymentId } });
    const path = `/v1/terminal-payments/${paymentId}/review/resolve`;
    expect(await overHttp(paymentId, { note: 'Booked it by hand' })).toEqual(asOverHttp(refused, path));
    expect(await events(paymentId)).toHaveLength(before.length);
  });

  it.each([
    ['a blank note', { resolution: { note: '   ' } }, 'resolution.note'],
    ['no note', { resolution: {} }, 'resolution.note'],
    ['no resolution', {}, 'resolution'],
    ['a flaggedAt that is no instant', { resolution: { note: NOTE, flaggedAt: 'yesterday' } }, 'resolution.flaggedAt'],
    ['a refund id of null', { refundId: null, resolution: { note: NOTE } }, 'refundId'],
    ['an unknown field', { resolution: { note: NOTE }, by: 'someone else' }, 'by'],
  ])('refuses %s with 400 VALIDATION_FAILED naming it, writing nothing', async (_case, message, field) => {
    const { paymentId } = await flaggedPayment(service.log);
    const before = await events(paymentId);
    expect(await request({ paymentId, ...message })).toMatchObject({
      status: 400,
      body: { code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ field }) as unknown] },
    });
    expect(await events(paymentId)).toEqual(before);
  });

  it('refuses a till’s key (403) and hides another store’s payment (404), as HTTP does, writing nothing', async () => {
    const { paymentId, refundId } = await flaggedPayment(service.log);
    const before = await events(paymentId);
    const path = `/v1/terminal-payments/${paymentId}/review/resolve`;
    const till = await request({ paymentId, resolution: { note: NOTE } }, TILL);
    expect(till).toMatchObject({
      status: 403,
      body: { code: 'STORE_NOT_ALLOWED', detail: 'POS client till may not resolve reviews' },
    });
    expect(await overHttp(paymentId, { note: NOTE }, TILL)).toEqual(asOverHttp(till, path));
    expect(await request({ paymentId, refundId, resolution: { note: NOTE } }, TILL)).toMatchObject({ status: 403 });
    const bergen = await request({ paymentId, resolution: { note: NOTE } }, BERGEN);
    expect(bergen).toMatchObject({ status: 404, body: { code: 'PAYMENT_NOT_FOUND' } });
    expect(await overHttp(paymentId, { note: NOTE }, BERGEN)).toEqual(asOverHttp(bergen, path));
    // The answer to an id never issued: the key does not learn that the payment exists.
    const never = randomUUID();
    expect((await request({ paymentId: never, resolution: { note: NOTE } })).body).toMatchObject({
      code: bergen.body.code,
      detail: (bergen.body.detail as string).replace(paymentId, never),
    });
    expect(await events(paymentId)).toEqual(before);
  });

  it('refuses a message without a known key, 401', async () => {
    const { paymentId } = await flaggedPayment(service.log);
    const stranger: TestPosClient = { id: 'x', key: 'pos_not-a-key', stores: ['*'] };
    expect(await request({ paymentId, resolution: { note: NOTE } }, stranger)).toMatchObject({
      status: 401,
      body: { code: 'UNAUTHENTICATED' },
    });
  });
});

import { randomUUID } from 'node:crypto';
import { paymentStream } from '@app/payment-domain';
import { at } from '../../../libs/payment-domain/test/payment-fixtures';
import { startCommandService, type RunningCommandService } from '../../../test/support/command-service';
import { HQ, type TestPosClient } from '../../../test/support/pos-clients';
import {
  appendToPayment,
  BERGEN,
  captureFlagged,
  flaggedPayment as flagged,
  NOTE,
  paymentInDoubt,
  refundFlagged,
  TILL,
} from './flagged-payment';

describe('command service: resolving a review over HTTP', () => {
  let service: RunningCommandService;
  beforeAll(async () => {
    service = await startCommandService({}, [HQ, TILL, BERGEN]);
  });
  afterAll(() => service.close());

  const flaggedPayment = () => flagged(service.log);

  const resolve = async (route: string, body: unknown, client: TestPosClient = HQ) => {
    const response = await service.fetch(
      `/v1/terminal-payments/${route}/review/resolve`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      client,
    );
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const types = async (paymentId: string) =>
    (await service.log.readStream(paymentStream(paymentId))).map((event) => event.type);
  const note = NOTE;

  it('records the resolution once, answering the same note again with it, and refuses another', async () => {
    const { paymentId } = await flaggedPayment();
    const first = await resolve(paymentId, { note });
    expect(first).toEqual({
      status: 200,
      body: { paymentId, flaggedAt: at(30), resolvedBy: 'hq', resolvedAt: expect.any(String) as unknown, note },
    });
    const written = await types(paymentId);
    expect(written.at(-1)).toBe('PaymentReviewResolved');
    const events = await service.log.readStream(paymentStream(paymentId));
    expect(events.at(-1)).toMatchObject({
      data: { flaggedAt: at(30), by: 'hq', note },
      metadata: { paymentId, storeId: 'oslo-center', posClientId: 'hq' },
    });
    expect(await resolve(paymentId, { note })).toEqual(first);
    expect(await resolve(paymentId, { note: 'Booked it by hand' })).toMatchObject({
      status: 409,
      body: { code: 'NOT_UNDER_REVIEW' },
    });
    expect(await types(paymentId)).toEqual(written);
  });

  it('answers the same note again, once Dintero captured the payment, 409 NOT_UNDER_REVIEW saying so', async () => {
    const { paymentId, transactionId } = await paymentInDoubt(service.log);
    const first = await resolve(paymentId, { note, flaggedAt: at(59) });
    expect(first).toMatchObject({ status: 200, body: { paymentId, flaggedAt: at(59), note } });
    // Dintero reports the capture after all (as ingest records it): the flag, and the word on it, leave the payment.
    const capturedAt = new Date().toISOString();
    await appendToPayment(
      service.log,
      paymentId,
      [
        {
          type: 'PaymentCaptured',
          data: { transactionId, amount: 39_900, currency: 'NOK', source: 'webhook', at: capturedAt },
        },
      ],
      'c-2',
      'any',
    );
    const written = await types(paymentId);
    // A retry whose first answer was lost: not "resolved with another note", but what happened.
    const again = await resolve(paymentId, { note, flaggedAt: at(59) });
    expect(again).toMatchObject({
      status: 409,
      body: {
        code: 'NOT_UNDER_REVIEW',
        paymentId,
        flaggedAt: at(59),
        paymentStatus: 'captured',
        detail:
          `Payment ${paymentId} is no longer under review: Dintero told how it stands at ${capturedAt}, since it was ` +
          `handed over at ${at(59)}; it is captured now; the resolution by hq at ` +
          `${first.body.resolvedAt as string} stays on the log`,
      },
    });
    expect(await types(paymentId)).toEqual(written);
  });

  it('resolves the flag named by its review entry’s at, and refuses another, 409 REVIEW_CHANGED, writing nothing', async () => {
    const { paymentId, refundId } = await flaggedPayment();
    const before = await types(paymentId);
    expect(await resolve(paymentId, { note, flaggedAt: at(20) })).toMatchObject({
      status: 409,
      body: { code: 'REVIEW_CHANGED', flaggedAt: at(20), standing: at(30) },
    });
    expect(await resolve(`${paymentId}/refunds/${refundId}`, { note, flaggedAt: at(30) })).toMatchObject({
      status: 409,
      body: { code: 'REVIEW_CHANGED', refundId, standing: at(90) },
    });
    expect(await resolve(paymentId, { note, flaggedAt: 'yesterday' })).toMatchObject({
      status: 400,
      body: { code: 'VALIDATION_FAILED' },
    });
    expect(await types(paymentId)).toEqual(before);
    expect(await resolve(paymentId, { note, flaggedAt: at(30) })).toMatchObject({
      status: 200,
      body: { paymentId, flaggedAt: at(30), note },
    });
  });

  it('refuses the same note again, naming no flag, once handed over anew since: 409 REVIEW_CHANGED, writing nothing', async () => {
    const { paymentId, refundId } = await flaggedPayment();
    const refundRoute = `${paymentId}/refunds/${refundId}`;
    expect(await resolve(paymentId, { note })).toMatchObject({ status: 200, body: { flaggedAt: at(30) } });
    expect(await resolve(refundRoute, { note })).toMatchObject({ status: 200, body: { flaggedAt: at(90) } });
    // Handed over anew (as ingest records it): more captured in SEK since, and the refund flagged again.
    await appendToPayment(
      service.log,
      paymentId,
      [captureFlagged(39_900, 70), refundFlagged(refundId, 120)],
      'c-2',
      'any',
    );
    const written = await types(paymentId);
    // A retry of each first request whose answer was lost: not a word on the new flags, which nobody has seen.
    expect(await resolve(paymentId, { note })).toMatchObject({
      status: 409,
      body: {
        code: 'REVIEW_CHANGED',
        paymentId,
        flaggedAt: at(30),
        standing: at(70),
        detail: expect.stringMatching(
          new RegExp(
            `^The same word by hq was recorded at .* on the review flagged at ${at(30)}; it was handed over again at ` +
              `${at(70)}: look at it, and name flaggedAt to resolve it$`,
          ),
        ) as unknown,
      },
    });
    expect(await resolve(refundRoute, { note })).toMatchObject({
      status: 409,
      body: { code: 'REVIEW_CHANGED', refundId, flaggedAt: at(90), standing: at(120) },
    });
    expect(await types(paymentId)).toEqual(written);
    // Named, the new flag is resolved with the same note.
    expect(await resolve(paymentId, { note, flaggedAt: at(70) })).toMatchObject({
      status: 200,
      body: { paymentId, flaggedAt: at(70), note },
    });
  });

  it("resolves a refund's review on its own route, leaving the payment's", async () => {
    const { paymentId, refundId } = await flaggedPayment();
    expect(await resolve(`${paymentId}/refunds/${refundId}`, { note: 'Asked Dintero support' })).toMatchObject({
      status: 200,
      body: { paymentId, refundId, flaggedAt: at(90), resolvedBy: 'hq' },
    });
    expect((await types(paymentId)).at(-1)).toBe('RefundReviewResolved');
    expect(await resolve(`${paymentId}/refunds/${randomUUID()}`, { note })).toMatchObject({
      status: 404,
      body: { code: 'UNKNOWN_REFUND' },
    });
  });

  it('refuses a key without registry rights for the store (403), and hides another store’s payment (404)', async () => {
    const { paymentId, refundId } = await flaggedPayment();
    const before = await types(paymentId);
    // Said as what it may not do here, not as a change of the registry the till never asked for.
    expect(await resolve(paymentId, { note }, TILL)).toMatchObject({
      status: 403,
      body: { code: 'STORE_NOT_ALLOWED', detail: 'POS client till may not resolve reviews' },
    });
    expect(await resolve(`${paymentId}/refunds/${refundId}`, { note }, TILL)).toMatchObject({
      status: 403,
      body: { code: 'STORE_NOT_ALLOWED', detail: 'POS client till may not resolve reviews' },
    });
    expect(await resolve(paymentId, { note }, BERGEN)).toMatchObject({
      status: 404,
      body: { code: 'PAYMENT_NOT_FOUND' },
    });
    expect(await resolve(randomUUID(), { note })).toMatchObject({ status: 404, body: { code: 'PAYMENT_NOT_FOUND' } });
    expect(await types(paymentId)).toEqual(before);
  });

  it.each([
    ['no note', {}],
    ['an empty note', { note: '' }],
    ['a blank note', { note: '   ' }],
    ['a note over 500 characters', { note: 'x'.repeat(501) }],
    ['a note that is no string', { note: 42 }],
    ['an unknown field', { note, by: 'someone else' }],
  ])('refuses %s with 400, writing nothing', async (_case, body) => {
    const { paymentId } = await flaggedPayment();
    const before = await types(paymentId);
    expect(await resolve(paymentId, body)).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect(await types(paymentId)).toEqual(before);
  });

  it('refuses a payment id that is no UUID with 400', async () => {
    expect(await resolve('pay-1', { note })).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
  });
});

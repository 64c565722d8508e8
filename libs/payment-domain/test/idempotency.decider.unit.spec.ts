import { idempotencyDecider, type IdempotencyEvent } from '@app/payment-domain';
import { deciderSpec } from './decider-spec';

const spec = deciderSpec(idempotencyDecider);
const use = (bodyHash: string, at: string) => ({
  type: 'UseIdempotencyKey' as const,
  data: { bodyHash, at, expiresAt: new Date(Date.parse(at) + 86_400_000).toISOString() },
});
const used: IdempotencyEvent = { type: 'IdempotencyKeyUsed', data: use('body-a', '2026-11-23T10:00:00.000Z').data };
const answered: IdempotencyEvent = {
  type: 'IdempotentAnswerRecorded',
  data: { answer: { status: 201, body: { paymentId: 'p1' } }, at: '2026-11-23T10:00:01.000Z' },
};

describe('idempotency key (invariant 6)', () => {
  it('runs the first request', () => spec.given([]).when(use('body-a', '2026-11-23T10:00:00.000Z')).then([used]));
  it('lets the same request wait for or repeat the first answer', () => {
    spec.given([used]).when(use('body-a', '2026-11-23T10:00:02.000Z')).thenNothing();
    spec.given([used, answered]).when(use('body-a', '2026-11-23T12:00:00.000Z')).thenNothing();
  });
  it('refuses the key with another body', () =>
    spec.given([used, answered]).when(use('body-b', '2026-11-23T10:00:02.000Z')).thenFails('IDEMPOTENCY_KEY_REUSED'));
  it('frees the key after 24 hours', () =>
    spec
      .given([used, answered])
      .when(use('body-b', '2026-11-24T10:00:00.000Z'))
      .then([{ type: 'IdempotencyKeyUsed', data: use('body-b', '2026-11-24T10:00:00.000Z').data }]));
  it('records one answer, and releases a key whose request failed on the server', () => {
    spec.given([used]).when({ type: 'RecordIdempotentAnswer', data: answered.data }).then([answered]);
    spec.given([used, answered]).when({ type: 'RecordIdempotentAnswer', data: answered.data }).thenNothing();
    spec
      .given([used])
      .when({ type: 'ReleaseIdempotencyKey', data: { at: '2026-11-23T10:00:01.000Z' } })
      .then([{ type: 'IdempotencyKeyReleased', data: { at: '2026-11-23T10:00:01.000Z' } }]);
    spec
      .given([used, { type: 'IdempotencyKeyReleased', data: { at: '2026-11-23T10:00:01.000Z' } }])
      .when(use('body-a', '2026-11-23T10:00:02.000Z'))
      .then([{ type: 'IdempotencyKeyUsed', data: use('body-a', '2026-11-23T10:00:02.000Z').data }]);
  });
});

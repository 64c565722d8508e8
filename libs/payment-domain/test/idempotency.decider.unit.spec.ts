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
  it('refuses the key with another body, saying to send a new key for a new request', () =>
    spec
      .given([used, answered])
      .when(use('body-b', '2026-11-23T10:00:02.000Z'))
      .thenFails('IDEMPOTENCY_KEY_REUSED', {}, /another request body: send a new key for a new request/));
  it('takes a request whose fingerprint of before is the key’s (taken before an upgrade) as the same request', () => {
    const retry = (earlierHashes: string[]) => {
      const { type, data } = use('body-a2', '2026-11-23T10:00:02.000Z');
      return { type, data: { ...data, earlierHashes } };
    };
    spec
      .given([used, answered])
      .when(retry(['body-x', 'body-a']))
      .thenNothing();
    spec
      .given([used, answered])
      .when(retry(['body-x']))
      .thenFails('IDEMPOTENCY_KEY_REUSED', {}, /another request body/);
    // A key taken records the request's fingerprint only.
    spec
      .given([])
      .when(retry(['body-a']))
      .then([{ type: 'IdempotencyKeyUsed', data: use('body-a2', '2026-11-23T10:00:02.000Z').data }]);
  });
  it('frees the key after 24 hours', () =>
    spec
      .given([used, answered])
      .when(use('body-b', '2026-11-24T10:00:00.000Z'))
      .then([{ type: 'IdempotencyKeyUsed', data: use('body-b', '2026-11-24T10:00:00.000Z').data }]));
  it('records one answer', () => {
    spec.given([used]).when({ type: 'RecordIdempotentAnswer', data: answered.data }).then([answered]);
    spec.given([used, answered]).when({ type: 'RecordIdempotentAnswer', data: answered.data }).thenNothing();
  });

  describe('resuming a request whose process died', () => {
    const leased: IdempotencyEvent = {
      type: 'IdempotencyKeyUsed',
      data: { ...used.data, resourceId: 'pay-1', leaseUntil: '2026-11-23T10:00:30.000Z' },
    };
    const resume = (at: string) => ({
      type: 'ResumeIdempotentRequest' as const,
      data: { at, leaseUntil: new Date(Date.parse(at) + 30_000).toISOString() },
    });

    it('is refused within the lease, and taken once after it', () => {
      spec.given([leased]).when(resume('2026-11-23T10:00:29.000Z')).thenNothing();
      spec
        .given([leased])
        .when(resume('2026-11-23T10:00:30.000Z'))
        .then([{ type: 'IdempotentRequestResumed', data: resume('2026-11-23T10:00:30.000Z').data }]);
      // A second retry finds the new lease.
      spec
        .given([leased, { type: 'IdempotentRequestResumed', data: resume('2026-11-23T10:00:30.000Z').data }])
        .when(resume('2026-11-23T10:00:31.000Z'))
        .thenNothing();
    });

    it('may resume at once a request interrupted by a server error, and never an answered one', () => {
      const interrupted: IdempotencyEvent = {
        type: 'IdempotentRequestInterrupted',
        data: { at: '2026-11-23T10:00:05.000Z' },
      };
      spec.given([leased]).when({ type: 'InterruptIdempotentRequest', data: interrupted.data }).then([interrupted]);
      spec
        .given([leased, interrupted])
        .when(resume('2026-11-23T10:00:06.000Z'))
        .then([{ type: 'IdempotentRequestResumed', data: resume('2026-11-23T10:00:06.000Z').data }]);
      spec.given([leased, answered]).when(resume('2026-11-23T10:01:00.000Z')).thenNothing();
    });

    it('lets only the run holding the lease answer or end it early', () => {
      const owned: IdempotencyEvent = { type: 'IdempotencyKeyUsed', data: { ...leased.data, attemptId: 'run-a' } };
      const resumedByB: IdempotencyEvent = {
        type: 'IdempotentRequestResumed',
        data: { ...resume('2026-11-23T10:00:30.000Z').data, attemptId: 'run-b' },
      };
      // Run A was only slow: after B resumed, A's answer and A's server error change nothing.
      spec
        .given([owned, resumedByB])
        .when({ type: 'RecordIdempotentAnswer', data: { ...answered.data, attemptId: 'run-a' } })
        .thenNothing();
      spec
        .given([owned, resumedByB])
        .when({ type: 'InterruptIdempotentRequest', data: { at: '2026-11-23T10:00:31.000Z', attemptId: 'run-a' } })
        .thenNothing();
      spec
        .given([owned, resumedByB])
        .when({ type: 'RecordIdempotentAnswer', data: { ...answered.data, attemptId: 'run-b' } })
        .then([{ type: 'IdempotentAnswerRecorded', data: { ...answered.data, attemptId: 'run-b' } }]);
    });

    it('never resumes a key taken before requests named what they create', () =>
      spec.given([used]).when(resume('2026-11-24T09:00:00.000Z')).thenNothing());

    it('reads a key freed by a server error in an older log as free', () =>
      spec
        .given([used, { type: 'IdempotencyKeyReleased', data: { at: '2026-11-23T10:00:01.000Z' } }])
        .when(use('body-a', '2026-11-23T10:00:02.000Z'))
        .then([{ type: 'IdempotencyKeyUsed', data: use('body-a', '2026-11-23T10:00:02.000Z').data }]));
  });
});

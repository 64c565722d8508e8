import { giveUpReason, nextAttempt, stateOf, type CloseAttempt } from '../src/fleet/close-attempt';

const MAX = 3;
const RETRY = { maxAttempts: MAX, retryMs: 600_000 };
const close = (more: Partial<CloseAttempt>): CloseAttempt => ({
  businessDay: '2026-12-01',
  attempt: 1,
  status: 'requested',
  notBefore: 0,
  ...more,
});

describe('a nightly close attempt', () => {
  it('is given up at once when Dintero or the domain refused it, with its reason', () => {
    expect(giveUpReason(close({ status: 'rejected', reason: 'unknown terminal' }), MAX)).toBe('unknown terminal');
    expect(giveUpReason(close({ status: 'refused' }), MAX)).toBe('refused');
  });

  it('is given up once its last attempt ended without closing, or its starts failed that many times', () => {
    expect(giveUpReason(close({ status: 'timed_out', attempt: 2 }), MAX)).toBeUndefined();
    expect(giveUpReason(close({ status: 'timed_out', attempt: 3, reason: 'no answer' }), MAX)).toBe('no answer');
    expect(giveUpReason(close({ status: 'unstarted', failedStarts: 2 }), MAX)).toBeUndefined();
    expect(giveUpReason(close({ status: 'unstarted', failedStarts: 3, reason: 'log away' }), MAX)).toBe('log away');
    expect(giveUpReason(close({ status: 'busy' }), MAX)).toBeUndefined();
    expect(giveUpReason(close({ status: 'completed' }), MAX)).toBeUndefined();
  });

  it('starts the first attempt, the same again after a busy terminal or a failed start, and the next after one that ended', () => {
    expect(nextAttempt(undefined, 1_000, RETRY)).toBe(1);
    expect(nextAttempt(close({ status: 'busy', notBefore: 2_000 }), 1_000, RETRY)).toBeUndefined();
    expect(nextAttempt(close({ status: 'busy', notBefore: 2_000 }), 2_000, RETRY)).toBe(1);
    expect(nextAttempt(close({ status: 'unstarted', attempt: 2 }), 1_000, RETRY)).toBe(2);
    expect(nextAttempt(close({ status: 'failed', attempt: 2 }), 1_000, RETRY)).toBe(3);
    expect(nextAttempt(close({ status: 'failed', attempt: 3 }), 1_000, RETRY)).toBeUndefined();
    expect(nextAttempt(close({ status: 'requested' }), 1_000, RETRY)).toBeUndefined();
    expect(nextAttempt(close({ status: 'completed' }), 1_000, RETRY)).toBeUndefined();
  });

  it('waits the retry pause of the instance asking from when an attempt ended, whatever instance folded the end', () => {
    const ended = close({ status: 'timed_out', attempt: 1, endedAt: 1_000 });
    expect(nextAttempt(ended, 600_999, RETRY)).toBeUndefined();
    expect(nextAttempt(ended, 601_000, RETRY)).toBe(2);
    expect(nextAttempt(ended, 60_999, { maxAttempts: MAX, retryMs: 60_000 })).toBeUndefined();
    expect(nextAttempt(ended, 61_000, { maxAttempts: MAX, retryMs: 60_000 })).toBe(2);
  });

  it('stands, for the gauge, as closed, under way, waiting or given up', () => {
    expect(stateOf(undefined, MAX)).toBe('waiting');
    expect(stateOf(close({ status: 'completed' }), MAX)).toBe('completed');
    expect(stateOf(close({ status: 'requested' }), MAX)).toBe('running');
    expect(stateOf(close({ status: 'busy' }), MAX)).toBe('waiting');
    expect(stateOf(close({ status: 'given_up' }), MAX)).toBe('failed');
    expect(stateOf(close({ status: 'expired', attempt: 3 }), MAX)).toBe('failed');
  });
});

import { logOfEvents } from '../../../test/support/recorded-events';
import { DuePayments, type DueSnapshot } from '../src/reconciler/due-payments';

const event = logOfEvents();
const NOW = Date.parse('2026-11-24T10:00:00.000Z');
const settings = { graceMs: 30_000, unknownDelayMs: 5_000, refundWaitMs: 60_000, orphanClaimMs: 20_000 };
const claimed = event('terminal-T-1', 'TerminalClaimed', {
  terminalId: 'T-1',
  claimId: 'p-1',
  paymentId: 'p-1',
  claimedAt: '2026-11-24T10:00:00.000Z',
  expiresAt: '2026-11-24T10:03:00.000Z',
});
const requested = event('payment-p-1', 'PaymentRequested', { expiresAt: '2026-11-24T10:02:00.000Z' });

describe('which payments the reconciler looks at, and when', () => {
  it('is due once the session is over and the grace has passed, not before', () => {
    const due = new DuePayments(settings);
    [claimed, requested].forEach((e) => due.apply(e, NOW));
    expect(due.takeDue(Date.parse('2026-11-24T10:02:29.999Z'), 10)).toEqual([]);
    expect(due.takeDue(Date.parse('2026-11-24T10:02:30.000Z'), 10)).toEqual(['p-1']);
    expect(due.takeDue(Date.parse('2026-11-24T10:09:00.000Z'), 10)).toEqual([]);
  });

  it('looks again at a refund failed for silence that Dintero then took (202), until its result is recorded', () => {
    const due = new DuePayments(settings);
    const refundClaim = event('terminal-T-1', 'TerminalClaimed', {
      terminalId: 'T-1',
      claimId: 'r-1',
      paymentId: 'p-1',
      kind: 'refund',
      claimedAt: '2026-11-24T10:00:00.000Z',
      expiresAt: '2026-11-24T10:03:00.000Z',
    });
    [
      refundClaim,
      event('payment-p-1', 'RefundRequested', { refundId: 'r-1' }),
      event('payment-p-1', 'RefundFailed', { refundId: 'r-1', noTrace: true }),
      event('terminal-T-1', 'TerminalReleased', { claimId: 'r-1', paymentId: 'p-1' }),
    ].forEach((e) => due.apply(e, NOW));
    expect(due.dueAt('p-1')).toBeUndefined();
    due.apply(event('payment-p-1', 'RefundAccepted', { refundId: 'r-1', requestId: 'req-1' }), NOW);
    expect(due.dueAt('p-1')).toBe(NOW + 60_000);
    expect([...due.pendingRefunds('p-1')]).toEqual(['r-1']);
    due.apply(event('payment-p-1', 'LateRefundRecorded', { refundId: 'r-1', amount: 100 }), NOW);
    expect(due.size).toBe(0);
  });

  it('brings an unknown outcome forward', () => {
    const due = new DuePayments(settings);
    [claimed, requested, event('payment-p-1', 'SessionCreationOutcomeUnknown', {})].forEach((e) => due.apply(e, NOW));
    expect(due.takeDue(NOW + 5_000, 10)).toEqual(['p-1']);
  });

  it('keeps an unknown transaction forward when the session is recorded after it (its answer came late)', () => {
    const due = new DuePayments(settings);
    const session = event('payment-p-1', 'SessionCreated', { expiresAt: '2026-11-24T10:02:00.000Z' });
    [claimed, requested, event('payment-p-1', 'TransactionOutcomeUnknown', {}), session].forEach((e) =>
      due.apply(e, NOW),
    );
    expect(due.takeDue(NOW + 5_000, 10)).toEqual(['p-1']);
    // Without the unknown, the session's end is when to look.
    const plain = new DuePayments(settings);
    [claimed, requested, session].forEach((e) => plain.apply(e, NOW));
    expect(plain.takeDue(NOW + 5_000, 10)).toEqual([]);
    expect(plain.takeDue(Date.parse('2026-11-24T10:02:30.000Z'), 10)).toEqual(['p-1']);
  });

  it('looks soon at a payment the POS asked to cancel, whether its session was recorded before or after the cancel', () => {
    const session = event('payment-p-1', 'SessionCreated', { expiresAt: '2026-11-24T10:02:00.000Z' });
    const cancel = event('payment-p-1', 'CancellationRequested', { by: 'pos-1' });
    const after = new DuePayments(settings);
    [claimed, requested, session, cancel].forEach((e) => after.apply(e, NOW));
    expect(after.takeDue(NOW + 4_999, 10)).toEqual([]);
    expect(after.takeDue(NOW + 5_000, 10)).toEqual(['p-1']);
    // Asked for while Dintero created the session, and looked at before it was recorded: due again once it is.
    const before = new DuePayments(settings);
    [claimed, requested, cancel].forEach((e) => before.apply(e, NOW));
    expect(before.takeDue(NOW + 5_000, 10)).toEqual(['p-1']);
    before.retry('p-1', NOW + 5_000, { baseMs: 1_000, maxMs: 300_000, notBefore: Date.parse('2026-11-24T10:02:30Z') });
    before.apply(session, NOW + 6_000);
    expect(before.dueAt('p-1')).toBe(NOW + 11_000);
    // Kept across a restart from the checkpoint.
    const restored = new DuePayments(settings);
    restored.restore(JSON.parse(JSON.stringify(before.snapshot(NOW + 6_000))) as DueSnapshot);
    restored.schedule('p-1', Date.parse('2026-11-24T10:02:30Z'));
    restored.apply(session, NOW + 7_000);
    expect(restored.dueAt('p-1')).toBe(NOW + 12_000);
  });

  it('looks again at an ended payment while its terminal is claimed, and forgets it once released', () => {
    const due = new DuePayments(settings);
    [claimed, requested, event('payment-p-1', 'PaymentCaptured', {})].forEach((e) => due.apply(e, NOW));
    expect(due.takeDue(NOW + 5_000, 10)).toEqual(['p-1']);
    due.apply(event('terminal-T-1', 'TerminalReleased', { claimId: 'p-1', paymentId: 'p-1' }), NOW);
    expect(due.size).toBe(0);
  });

  it('forgets an ended payment whose terminal was released first', () => {
    const due = new DuePayments(settings);
    [
      claimed,
      requested,
      event('terminal-T-1', 'TerminalReleased', { claimId: 'p-1', paymentId: 'p-1' }),
      event('payment-p-1', 'PaymentDeclined', {}),
    ].forEach((e) => due.apply(e, NOW));
    expect(due.size).toBe(0);
  });

  it('waits for a refund’s outcome, then forgets the payment', () => {
    const due = new DuePayments(settings);
    due.apply(event('payment-p-2', 'RefundRequested', { refundId: 'r-1' }), NOW);
    expect(due.takeDue(NOW + 59_999, 10)).toEqual([]);
    expect(due.takeDue(NOW + 60_000, 10)).toEqual(['p-2']);
    due.apply(event('payment-p-2', 'RefundSucceeded', { refundId: 'r-1' }), NOW);
    expect(due.size).toBe(0);
  });

  it('brings forward a refund Dintero accepted after a look, while it was sent, had put it off until its silence', () => {
    const due = new DuePayments(settings);
    due.apply(event('payment-p-2', 'RefundRequested', { refundId: 'r-1' }), NOW);
    due.apply(event('payment-p-2', 'RefundSubmitted', { refundId: 'r-1' }), NOW);
    expect(due.takeDue(NOW + 60_000, 10)).toEqual(['p-2']);
    // Dintero had no trace of it yet: not asked again before its send could have ended (the reconciler's `schedule`).
    due.schedule('p-2', NOW + 60_000 + 10 * 60_000);
    due.apply(event('payment-p-2', 'RefundAccepted', { refundId: 'r-1', requestId: 'req-1' }), NOW + 61_000);
    expect(due.dueAt('p-2')).toBe(NOW + 61_000 + 60_000);
  });

  it('keeps a refund brought forward by its unknown outcome while a look that could not see it was under way', () => {
    const due = new DuePayments(settings);
    due.apply(event('payment-p-2', 'RefundRequested', { refundId: 'r-1' }), NOW);
    due.apply(event('payment-p-2', 'RefundSubmitted', { refundId: 'r-1' }), NOW);
    expect(due.takeDue(NOW + 60_000, 10)).toEqual(['p-2']);
    // The command service's call timed out while the reconciler asked Dintero, which had no trace of the refund yet.
    due.apply(event('payment-p-2', 'RefundOutcomeUnknown', { refundId: 'r-1', reason: 'timeout' }), NOW + 60_400);
    // The look ends: from what it read, not before the refund's silence could be a no.
    due.schedule('p-2', NOW + 60_000 + 10 * 60_000);
    expect(due.dueAt('p-2')).toBe(NOW + 60_400 + 5_000);
    // Once; a later look's time stands.
    expect(due.takeDue(NOW + 65_400, 10)).toEqual(['p-2']);
    due.schedule('p-2', NOW + 10 * 60_000);
    expect(due.dueAt('p-2')).toBe(NOW + 10 * 60_000);
  });

  it.each([
    ['SessionCreationOutcomeUnknown', {}],
    ['TransactionOutcomeUnknown', {}],
    ['CancellationRequested', { by: 'pos-1' }],
  ])('keeps an open payment brought forward by %s during a look that could not see it', (type, data) => {
    const due = new DuePayments(settings);
    [claimed, requested].forEach((e) => due.apply(e, NOW));
    expect(due.takeDue(NOW + 150_000, 10)).toEqual(['p-1']);
    due.apply(event('payment-p-1', type, data), NOW + 150_500);
    // Still open at Dintero, as the look read it: asked about again after a pause.
    due.retry('p-1', NOW + 151_000, { baseMs: 60_000, maxMs: 300_000 });
    expect(due.dueAt('p-1')).toBe(NOW + 150_500 + 5_000);
  });

  it('forgets again a payment it had forgotten when money moves after its end', () => {
    const due = new DuePayments(settings);
    [
      event('payment-p-3', 'LateCaptureRecorded', { transactionId: 'tx-2', amount: 100 }),
      event('payment-p-4', 'FurtherCaptureRecorded', { transactionId: 'tx-1', amount: 100 }),
      event('payment-p-5', 'LateRefundRecorded', { refundId: 'r-1', amount: 100 }),
    ].forEach((e) => due.apply(e, NOW));
    expect(due.size).toBe(0);
  });

  it('forgets again a captured payment it had forgotten when it is handed to a person, and keeps an open one', () => {
    // A further capture of its transaction in another currency (FlagUnbookableCapture): it had ended.
    const flagged = (paymentId: string) =>
      event(`payment-${paymentId}`, 'PaymentFlaggedForReview', {
        reason: 'not_settleable',
        transactionId: 'tx-1',
        since: new Date(NOW).toISOString(),
        problem: 'in SEK',
        at: new Date(NOW).toISOString(),
      });
    const due = new DuePayments(settings);
    due.apply(flagged('p-6'), NOW);
    expect(due.size).toBe(0);
    // An open payment flagged stays followed: Dintero is still asked.
    [claimed, requested, flagged('p-1')].forEach((e) => due.apply(e, NOW));
    expect(due.size).toBe(1);
  });

  it('forgets again a payment it had forgotten when a person resolves its review, or its refund’s', () => {
    const word = {
      flaggedAt: new Date(NOW).toISOString(),
      by: 'hq',
      note: 'dealt with',
      at: new Date(NOW).toISOString(),
    };
    const due = new DuePayments(settings);
    due.apply(event('payment-p-7', 'PaymentReviewResolved', word), NOW);
    due.apply(event('payment-p-8', 'RefundReviewResolved', { refundId: 'r-1', ...word }), NOW);
    expect(due.size).toBe(0);
    // An open payment resolved stays followed: Dintero is still asked.
    [claimed, requested, event('payment-p-1', 'PaymentReviewResolved', word)].forEach((e) => due.apply(e, NOW));
    expect(due.size).toBe(1);
  });

  it('forgets again a payment it had forgotten when its refund is handed to a person', () => {
    // Only a payment that has ended has refunds: whatever this index had forgotten of it, it had ended.
    const due = new DuePayments(settings);
    due.apply(
      event('payment-p-9', 'RefundFlaggedForReview', {
        refundId: 'r-1',
        amount: 100,
        terminalId: 'T-1',
        reason: 'not_final',
        since: new Date(NOW).toISOString(),
        at: new Date(NOW).toISOString(),
      }),
      NOW,
    );
    expect(due.size).toBe(0);
  });

  it('hands out at most the budget, earliest first', () => {
    const due = new DuePayments(settings);
    for (const n of [3, 1, 2]) {
      due.apply(
        event(`payment-p-${n}`, 'PaymentRequested', { expiresAt: new Date(NOW + n * 1000).toISOString() }),
        NOW,
      );
    }
    expect(due.takeDue(NOW + 60_000, 2)).toEqual(['p-1', 'p-2']);
    expect(due.takeDue(NOW + 60_000, 2)).toEqual(['p-3']);
  });

  it('looks at a claim with nothing recorded behind it after the short grace, and forgets it once released', () => {
    const due = new DuePayments(settings);
    due.apply(claimed, NOW);
    expect(due.takeDue(NOW + 19_999, 10)).toEqual([]);
    expect(due.takeDue(NOW + 20_000, 10)).toEqual(['p-1']);
    expect(due.openClaims('p-1').get('p-1')).toEqual({
      terminalId: 'T-1',
      claimedAt: NOW,
      expiresAt: Date.parse('2026-11-24T10:03:00.000Z'),
    });
    due.apply(event('terminal-T-1', 'TerminalReleased', { claimId: 'p-1', paymentId: 'p-1' }), NOW);
    expect(due.size).toBe(0);
  });

  it('keeps a refund claim of an ended payment until the refund it was taken for is settled', () => {
    const due = new DuePayments(settings);
    const refundClaim = event('terminal-T-2', 'TerminalClaimed', {
      terminalId: 'T-2',
      claimId: 'r-1',
      paymentId: 'p-3',
      claimedAt: '2026-11-24T10:00:00.000Z',
    });
    due.apply(refundClaim, NOW);
    due.apply(event('payment-p-3', 'RefundRequested', { refundId: 'r-1' }), NOW);
    due.apply(event('payment-p-3', 'RefundSucceeded', { refundId: 'r-1' }), NOW);
    expect(due.size).toBe(1);
    due.apply(event('terminal-T-2', 'TerminalReleased', { claimId: 'r-1', paymentId: 'p-3' }), NOW);
    expect(due.size).toBe(0);
  });

  it('asks again about a payment still open less and less often, up to the most, never before its end', () => {
    const due = new DuePayments(settings);
    [claimed, requested].forEach((e) => due.apply(e, NOW));
    const retry = { baseMs: 1_000, maxMs: 8_000 };
    const pauses = [1, 2, 3, 4, 5].map(() => due.retry('p-1', NOW, retry)! - NOW);
    expect(pauses).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(due.retry('p-1', NOW, { ...retry, notBefore: NOW + 60_000 })).toBe(NOW + 60_000);
  });
});

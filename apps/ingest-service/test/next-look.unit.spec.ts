import { paymentDecider, type OpenPayment, type PaymentEvent } from '@app/payment-domain';
import { at, awaitingCard, paymentRequested, requested } from '../../../libs/payment-domain/test/payment-fixtures';
import { DuePayments } from '../src/reconciler/due-payments';
import { nextLook, unansweredAskedAgainAt } from '../src/reconciler/next-look';

// The reconciler's defaults: a 30 s grace (so a 30 s retry pause), five minutes at most between looks.
const settings = { graceMs: 30_000, reviewAfterMs: 3_600_000, retryMs: 30_000, maxRetryMs: 300_000 };
const sessionOver = Date.parse(requested.expiresAt) + settings.graceMs;

const paymentOf = (events: readonly PaymentEvent[]) =>
  events.reduce((state, event) => paymentDecider.evolve(state, event), paymentDecider.initialState) as OpenPayment;

/** The times the reconciler looks at the payment, from `firstLook` on, while it stays as `payment` says. */
function looks(payment: OpenPayment, firstLook: number, until: number): number[] {
  const due = new DuePayments({ graceMs: 30_000, unknownDelayMs: 5_000, refundWaitMs: 60_000, orphanClaimMs: 20_000 });
  const times: number[] = [];
  due.restore([
    { paymentId: 'p', dueAt: firstLook, ended: false, known: true, attempts: 0, openClaims: [], pendingRefunds: [] },
  ]);
  for (let now = firstLook; now <= until;) {
    due.takeDue(now, 1);
    times.push(now);
    now = due.retry('p', now, nextLook(payment, now, settings))!;
  }
  return times;
}

describe('when the reconciler looks again at a payment still open', () => {
  it('leaves a session Dintero created, and no transaction yet, to its own report until its end and the grace', () => {
    const payment = paymentOf(awaitingCard);
    expect(looks(payment, Date.parse(at(10)), sessionOver)).toEqual([Date.parse(at(10)), sessionOver]);
  });

  it('asks again, with a growing pause, about a session whose creation Dintero never answered, until its end', () => {
    const payment = paymentOf([
      paymentRequested,
      { type: 'SessionCreationStarted', data: { at: at(0) } },
      { type: 'SessionCreationOutcomeUnknown', data: { reason: 'timeout', at: at(10) } },
    ]);
    // The first look after RECONCILER_UNKNOWN_DELAY_SECONDS; then a pause of the time since the session was sent
    // (from the retry pause), the last look at the session's end and the grace, where its silence is a no. Not one
    // look and then none until the session's end, while a card presented meanwhile may have been captured.
    const sent = Date.parse(at(0));
    const times = looks(payment, Date.parse(at(15)), sessionOver).map((time) => (time - sent) / 1000);
    expect(times).toEqual([15, 45, 90, 180, (sessionOver - sent) / 1000]);
  });

  it('never looks at an unanswered session creation between its expiry and the grace, where silence is read as expired', () => {
    // A look after the session's expiry finds no transaction and records the payment expired: one inside the grace
    // would not wait for Dintero's report of a card presented at the last moment (then a capture after an expiry).
    // With the defaults, a 120 s session sent at 0 s and first looked at 5 s later: 5, 35 and 70 s, then 150 s.
    const expiresAt = at(120);
    const payment = paymentOf([
      { type: 'PaymentRequested', data: { ...requested, expiresAt } },
      { type: 'SessionCreationStarted', data: { at: at(0) } },
      { type: 'SessionCreationOutcomeUnknown', data: { reason: 'timeout', at: at(0) } },
    ]);
    const sent = Date.parse(at(0));
    const over = Date.parse(expiresAt) + settings.graceMs;
    const times = looks(payment, Date.parse(at(5)), over).map((time) => (time - sent) / 1000);
    expect(times).toEqual([5, 35, 70, 150]);
  });

  it('asks again about a transaction Dintero calls UNKNOWN with a doubling pause, whatever the session', () => {
    const unknown: PaymentEvent = {
      type: 'TransactionOutcomeUnknown',
      data: { transactionId: 'T12345678.tx1', source: 'callback', at: at(20) },
    };
    const payment = paymentOf([...awaitingCard, unknown]);
    const first = Date.parse(at(25));
    expect(looks(payment, first, first + 210_000).map((time) => (time - first) / 1000)).toEqual([0, 30, 90, 210]);
  });

  it('asks again about a call whose answer never came with a pause of its age, the last look at its deadline', () => {
    const sent = Date.parse(at(0));
    const deadline = sent + 60_000;
    const retry = { retryMs: 1_000, maxRetryMs: 300_000 };
    expect(unansweredAskedAgainAt(sent, deadline, sent + 5_000, retry)).toBe(sent + 10_000);
    expect(unansweredAskedAgainAt(sent, deadline, sent + 10_000, retry)).toBe(sent + 20_000);
    expect(unansweredAskedAgainAt(sent, deadline, sent + 40_000, retry)).toBe(deadline);
    // Past the deadline (its last look found it still open): a retry pause on.
    expect(unansweredAskedAgainAt(sent, deadline, deadline, retry)).toBe(deadline + 1_000);
  });
});

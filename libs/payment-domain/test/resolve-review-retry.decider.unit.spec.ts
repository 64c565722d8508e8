import { fold, paymentDecider, refundOf, type PaymentCommand, type PaymentEvent } from '@app/payment-domain';
import { deciderSpec } from './decider-spec';
import { at, awaitingCard, captured, refundRequested, transaction } from './payment-fixtures';

/*
 * A retry of a resolution whose first answer was lost (the same `by`, the same `note`, no `flaggedAt`), sent once the
 * payment or refund was handed over again: it was about the flag before, and nobody has looked at the one standing.
 */

const spec = deciderSpec(paymentDecider);
/** Applies commands in turn, as command handling does, and returns every event recorded. */
function run(given: readonly PaymentEvent[], commands: readonly PaymentCommand[]): PaymentEvent[] {
  const events = [...given];
  for (const command of commands) events.push(...paymentDecider.decide(command, fold(paymentDecider, events)));
  return events.slice(given.length);
}
const NOTE = 'Refunded the SEK capture at Dintero';
const resolve = (note = NOTE, refundId?: string, flaggedAt?: string, by = 'backoffice'): PaymentCommand => ({
  type: 'ResolveReview',
  data: {
    ...(refundId === undefined ? {} : { refundId }),
    ...(flaggedAt === undefined ? {} : { flaggedAt }),
    by,
    note,
    at: at(50),
  },
});
const record = (status: Parameters<typeof transaction>[0], change = {}, second = 20): PaymentCommand => ({
  type: 'RecordDinteroTransaction',
  data: { transaction: transaction(status, change), source: 'reconciler', at: at(second) },
});
const unbookable = (capturedAmount: number, second: number): PaymentCommand => ({
  type: 'FlagUnbookableCapture',
  data: { transaction: transaction('CAPTURED', { currency: 'SEK', capturedAmount }), at: at(second) },
});
const typesOf = (events: readonly PaymentEvent[]) => events.map((event) => event.type);

describe("the same word again on the payment's own review, handed over anew since", () => {
  it('is refused once a new cause was flagged over the resolved one (REVIEW_CHANGED), and resolves it named', () => {
    const partly = run(awaitingCard, [record('PARTIALLY_CAPTURED', { capturedAmount: 30_000 })]);
    const flagged = run([...awaitingCard, ...partly], [unbookable(35_000, 30)]);
    const resolved = run([...awaitingCard, ...partly, ...flagged], [resolve()]);
    expect(typesOf(resolved)).toEqual(['PaymentReviewResolved']);
    // More captured in that currency since: handed over anew, which clears the word on the old flag.
    const again = run([...awaitingCard, ...partly, ...flagged, ...resolved], [unbookable(39_900, 70)]);
    expect(typesOf(again)).toEqual(['PaymentFlaggedForReview']);
    const given = [...awaitingCard, ...partly, ...flagged, ...resolved, ...again];
    spec
      .given(given)
      .when(resolve())
      .thenFails(
        'REVIEW_CHANGED',
        { paymentId: 'pay-1', flaggedAt: at(30), standing: at(70) },
        new RegExp(
          `^The same word by backoffice was recorded at ${at(50)} on the review flagged at ${at(30)}; it was handed ` +
            `over again at ${at(70)}: look at it, and name flaggedAt to resolve it$`,
        ),
      );
    // Named, the standing flag is resolved, the same note or not; another word (another note, another person) names
    // none and resolves whichever stands, as before.
    spec
      .given(given)
      .when(resolve(NOTE, undefined, at(70)))
      .then([{ type: 'PaymentReviewResolved', data: { flaggedAt: at(70), by: 'backoffice', note: NOTE, at: at(50) } }]);
    expect(typesOf(run(given, [resolve('Booked it by hand')]))).toEqual(['PaymentReviewResolved']);
    expect(typesOf(run(given, [resolve(NOTE, undefined, undefined, 'store-manager')]))).toEqual([
      'PaymentReviewResolved',
    ]);
    // Once the new flag is resolved with the same word, named, the same word again is a retry of that: nothing.
    const named = run(given, [resolve(NOTE, undefined, at(70))]);
    spec
      .given([...given, ...named])
      .when(resolve())
      .thenNothing();
  });

  it('is refused for a word older than the last one, the payment handed over twice since (REVIEW_CHANGED)', () => {
    // Flag 1 resolved with word A, flag 2 with word B, then flag 3: a late retry of A, naming no flag, was taken for a
    // new word when only the last one (B) was kept, and resolved flag 3 unseen.
    const OTHER = 'Booked it by hand';
    const partly = run(awaitingCard, [record('PARTIALLY_CAPTURED', { capturedAmount: 30_000 })]);
    const steps = [unbookable(35_000, 30), resolve(), unbookable(39_900, 70), resolve(OTHER), unbookable(45_000, 90)];
    const later = run([...awaitingCard, ...partly], steps);
    expect(typesOf(later)).toEqual([
      'PaymentFlaggedForReview',
      'PaymentReviewResolved',
      'PaymentFlaggedForReview',
      'PaymentReviewResolved',
      'PaymentFlaggedForReview',
    ]);
    const given = [...awaitingCard, ...partly, ...later];
    spec
      .given(given)
      .when(resolve())
      .thenFails('REVIEW_CHANGED', { paymentId: 'pay-1', flaggedAt: at(30), standing: at(90) }, /name flaggedAt/);
    spec
      .given(given)
      .when(resolve(OTHER))
      .thenFails('REVIEW_CHANGED', { paymentId: 'pay-1', flaggedAt: at(70), standing: at(90) }, /name flaggedAt/);
    // A word given on flag 1 and again, named, on flag 3: a retry of the latest, which changes nothing.
    const named = run(given, [resolve(NOTE, undefined, at(90))]);
    expect(typesOf(named)).toEqual(['PaymentReviewResolved']);
    spec
      .given([...given, ...named])
      .when(resolve())
      .thenNothing();
    // Another person's word, or another note, names none and resolves the standing flag, as before.
    expect(typesOf(run(given, [resolve('Asked Dintero support')]))).toEqual(['PaymentReviewResolved']);
  });

  it('is refused once Dintero settled the review resolved and a new flag came (REVIEW_CHANGED)', () => {
    const unknown = run(awaitingCard, [record('UNKNOWN')]);
    const flagged = run([...awaitingCard, ...unknown], [{ type: 'FlagForReview', data: { at: at(59) } }]);
    const resolved = run([...awaitingCard, ...unknown, ...flagged], [resolve()]);
    // Dintero tells the transaction again (the review is settled, the word leaves the flag), then calls a new one
    // UNKNOWN, handed over anew: the settled review is forgotten.
    const before = [...awaitingCard, ...unknown, ...flagged, ...resolved];
    const known = run(before, [record('INITIATED', { transactionId: 'T12345678.tx2' }, 60)]);
    const unknownAgain = run([...before, ...known], [record('UNKNOWN', { transactionId: 'T12345678.tx2' }, 61)]);
    const flaggedAgain = run([...before, ...known, ...unknownAgain], [{ type: 'FlagForReview', data: { at: at(80) } }]);
    expect(typesOf([...known, ...unknownAgain, ...flaggedAgain])).toEqual([
      'TransactionStarted',
      'TransactionOutcomeUnknown',
      'PaymentFlaggedForReview',
    ]);
    const given = [...before, ...known, ...unknownAgain, ...flaggedAgain];
    expect(fold(paymentDecider, given)).not.toHaveProperty('reviewSettled');
    spec
      .given(given)
      .when(resolve())
      .thenFails('REVIEW_CHANGED', { paymentId: 'pay-1', flaggedAt: at(59), standing: at(80) }, /name flaggedAt/);
    spec
      .given(given)
      .when(resolve(NOTE, undefined, at(80)))
      .then([{ type: 'PaymentReviewResolved', data: { flaggedAt: at(80), by: 'backoffice', note: NOTE, at: at(50) } }]);
  });

  it('is refused once Dintero captured the payment resolved and its further capture was flagged (REVIEW_CHANGED)', () => {
    const unknown = run(awaitingCard, [record('UNKNOWN')]);
    const flagged = run([...awaitingCard, ...unknown], [{ type: 'FlagForReview', data: { at: at(59) } }]);
    const resolved = run([...awaitingCard, ...unknown, ...flagged], [resolve()]);
    const before = [...awaitingCard, ...unknown, ...flagged, ...resolved];
    const capture = run(before, [record('PARTIALLY_CAPTURED', { capturedAmount: 30_000 }, 60)]);
    const again = run([...before, ...capture], [unbookable(35_000, 70)]);
    expect(typesOf([...capture, ...again])).toEqual(['PaymentCaptured', 'PaymentFlaggedForReview']);
    spec
      .given([...before, ...capture, ...again])
      .when(resolve())
      .thenFails('REVIEW_CHANGED', { paymentId: 'pay-1', flaggedAt: at(59), standing: at(70) });
  });
});

describe("the same word again on a refund's review, handed over anew since", () => {
  const requested = refundRequested('r1', 30_000);
  const flag = (second: number, problem?: string): PaymentCommand => ({
    type: 'FlagRefundForReview',
    data: { refundId: 'r1', at: at(second), ...(problem === undefined ? {} : { problem }) },
  });

  it('is refused once a new flag was recorded over the resolved one (REVIEW_CHANGED), and resolves it named', () => {
    const accepted: PaymentEvent = {
      type: 'RefundAccepted',
      data: { refundId: 'r1', source: 'command-service', at: at(41) },
    };
    const pending = [...awaitingCard, captured, requested, accepted];
    const flagged = run(pending, [flag(90)]);
    const resolved = run([...pending, ...flagged], [resolve(NOTE, 'r1')]);
    expect(typesOf(resolved)).toEqual(['RefundReviewResolved']);
    // A new flag as the log may hold it: the fold takes it whatever wrote it (the decider writes none over a standing
    // flag), and it clears the word on the old one.
    const [first] = flagged;
    if (first?.type !== 'RefundFlaggedForReview') throw new Error('no flag');
    const again: PaymentEvent = { ...first, data: { ...first.data, at: at(120) } };
    const given = [...pending, ...flagged, ...resolved, again];
    expect(refundOf(fold(paymentDecider, given), 'r1')?.reviewResolved).toBeUndefined();
    spec
      .given(given)
      .when(resolve(NOTE, 'r1'))
      .thenFails(
        'REVIEW_CHANGED',
        { paymentId: 'pay-1', refundId: 'r1', flaggedAt: at(90), standing: at(120) },
        /on the review flagged at .*; it was handed over again at .*: look at it, and name flaggedAt to resolve it$/,
      );
    spec
      .given(given)
      .when(resolve(NOTE, 'r1', at(120)))
      .then([
        {
          type: 'RefundReviewResolved',
          data: { refundId: 'r1', flaggedAt: at(120), by: 'backoffice', note: NOTE, at: at(50) },
        },
      ]);
    expect(typesOf(run(given, [resolve('Asked Dintero support', 'r1')]))).toEqual(['RefundReviewResolved']);
  });

  it('is refused for a word older than the last one, the refund flagged twice since (REVIEW_CHANGED)', () => {
    const OTHER = 'Asked Dintero support';
    const accepted: PaymentEvent = {
      type: 'RefundAccepted',
      data: { refundId: 'r1', source: 'command-service', at: at(41) },
    };
    const pending = [...awaitingCard, captured, requested, accepted];
    const flagged = run(pending, [flag(90)]);
    const [first] = flagged;
    if (first?.type !== 'RefundFlaggedForReview') throw new Error('no flag');
    // New flags as the log may hold them (the fold takes them whatever wrote them), each after a word on the one before.
    const flagAt = (second: number): PaymentEvent => ({ ...first, data: { ...first.data, at: at(second) } });
    const wordA = run([...pending, ...flagged], [resolve(NOTE, 'r1')]);
    const wordB = run([...pending, ...flagged, ...wordA, flagAt(120)], [resolve(OTHER, 'r1')]);
    expect(typesOf([...wordA, ...wordB])).toEqual(['RefundReviewResolved', 'RefundReviewResolved']);
    const given = [...pending, ...flagged, ...wordA, flagAt(120), ...wordB, flagAt(150)];
    spec
      .given(given)
      .when(resolve(NOTE, 'r1'))
      .thenFails('REVIEW_CHANGED', { refundId: 'r1', flaggedAt: at(90), standing: at(150) }, /name flaggedAt/);
    spec
      .given(given)
      .when(resolve(OTHER, 'r1'))
      .thenFails('REVIEW_CHANGED', { refundId: 'r1', flaggedAt: at(120), standing: at(150) }, /name flaggedAt/);
  });

  it('is refused once Dintero took it late after the word and it was flagged again (REVIEW_CHANGED)', () => {
    // Never reached at Dintero, handed over for what stopped the reconciler, resolved; then Dintero takes it (its word
    // clears the flag and the word on it), and never finishes it: handed over anew.
    const unsettleable = run([...awaitingCard, captured, requested], [flag(90, 'Dintero unreachable')]);
    const before = [...awaitingCard, captured, requested, ...unsettleable];
    const resolved = run(before, [resolve(NOTE, 'r1')]);
    const taken = run(
      [...before, ...resolved],
      [{ type: 'RecordRefundOutcome', data: { refundId: 'r1', outcome: 'accepted', source: 'webhook', at: at(120) } }],
    );
    const flaggedAgain = run([...before, ...resolved, ...taken], [flag(150)]);
    expect(typesOf([...taken, ...flaggedAgain])).toEqual(['RefundAccepted', 'RefundFlaggedForReview']);
    const given = [...before, ...resolved, ...taken, ...flaggedAgain];
    spec
      .given(given)
      .when(resolve(NOTE, 'r1'))
      .thenFails('REVIEW_CHANGED', { refundId: 'r1', flaggedAt: at(90), standing: at(150) }, /name flaggedAt/);
    spec
      .given(given)
      .when(resolve(NOTE, 'r1', at(150)))
      .then([
        {
          type: 'RefundReviewResolved',
          data: { refundId: 'r1', flaggedAt: at(150), by: 'backoffice', note: NOTE, at: at(50) },
        },
      ]);
  });
});

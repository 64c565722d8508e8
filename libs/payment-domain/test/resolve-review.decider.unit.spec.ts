import { fold, paymentDecider, refundOf, type PaymentCommand, type PaymentEvent } from '@app/payment-domain';
import { deciderSpec } from './decider-spec';
import { at, awaitingCard, captured, refundRequested, transaction } from './payment-fixtures';

const spec = deciderSpec(paymentDecider);
/** Applies commands in turn, as command handling does, and returns every event recorded. */
function run(given: readonly PaymentEvent[], commands: readonly PaymentCommand[]): PaymentEvent[] {
  const events = [...given];
  for (const command of commands) events.push(...paymentDecider.decide(command, fold(paymentDecider, events)));
  return events.slice(given.length);
}
const record = (status: Parameters<typeof transaction>[0], change = {}): PaymentCommand => ({
  type: 'RecordDinteroTransaction',
  data: { transaction: transaction(status, change), source: 'reconciler', at: at(20) },
});
const resolve = (note = 'Refunded the SEK capture at Dintero', refundId?: string, when = at(50)): PaymentCommand => ({
  type: 'ResolveReview',
  data: { ...(refundId === undefined ? {} : { refundId }), by: 'backoffice', note, at: when },
});

describe('a captured payment whose further capture in another currency was handed to a person', () => {
  const partly = run(awaitingCard, [record('PARTIALLY_CAPTURED', { capturedAmount: 30_000 })]);
  const unbookable = (capturedAmount: number, when = at(30)): PaymentCommand => ({
    type: 'FlagUnbookableCapture',
    data: { transaction: transaction('CAPTURED', { currency: 'SEK', capturedAmount }), at: when },
  });
  const flagged = run([...awaitingCard, ...partly], [unbookable(35_000)]);
  const given = [...awaitingCard, ...partly, ...flagged];

  it('is resolved by a person, once, with what they did', () => {
    spec
      .given(given)
      .when(resolve())
      .then([
        {
          type: 'PaymentReviewResolved',
          data: { flaggedAt: at(30), by: 'backoffice', note: 'Refunded the SEK capture at Dintero', at: at(50) },
        },
      ]);
    // The same word again (a retry) records nothing; another word on a review resolved is refused.
    const resolved = run(given, [resolve()]);
    spec
      .given([...given, ...resolved])
      .when(resolve('Refunded the SEK capture at Dintero', undefined, at(55)))
      .thenNothing();
    spec
      .given([...given, ...resolved])
      .when(resolve('Booked it by hand'))
      .thenFails('NOT_UNDER_REVIEW', { paymentId: 'pay-1' }, /not under review/);
  });

  it('is not handed over again for the same capture, and is for more captured since', () => {
    const resolved = run(given, [resolve()]);
    // Dintero reports the same capture again (each report refused, 503): nothing more for the person.
    spec
      .given([...given, ...resolved])
      .when(unbookable(35_000, at(60)))
      .thenNothing();
    // More captured in that currency since: a new cause, handed over as before.
    const again = run([...given, ...resolved], [unbookable(39_900, at(70))]);
    expect(again).toEqual([
      {
        type: 'PaymentFlaggedForReview',
        data: expect.objectContaining({ reason: 'not_settleable', capturedAmount: 39_900, at: at(70) }) as unknown,
      },
    ]);
    // And that new flag is the person's to resolve again, in their new word (the same word, naming no flag, was
    // about the flag before: REVIEW_CHANGED, below).
    expect(run([...given, ...resolved, ...again], [resolve('Booked it by hand')]).map((event) => event.type)).toEqual([
      'PaymentReviewResolved',
    ]);
  });

  it('leaves what Dintero reports to be recorded as before', () => {
    const resolved = run(given, [resolve()]);
    // Shown in the payment's currency: the further capture is booked (money truth is Dintero's).
    expect(
      run([...given, ...resolved], [record('PARTIALLY_CAPTURED', { capturedAmount: 35_000 })]).map((e) => e.type),
    ).toEqual(['FurtherCaptureRecorded']);
    spec
      .given([...given, ...resolved])
      .when(record('CAPTURED', { currency: 'SEK', capturedAmount: 35_000 }))
      .thenFails('TRANSACTION_IN_OTHER_CURRENCY');
  });

  it('takes an old flag, without the amount it was for, to cover the captures Dintero shows', () => {
    const [oldFlag] = flagged;
    if (oldFlag?.type !== 'PaymentFlaggedForReview') throw new Error('no flag');
    const { capturedAmount: _amount, ...data } = oldFlag.data;
    const old = [...awaitingCard, ...partly, { ...oldFlag, data }];
    const resolved = run(old, [resolve()]);
    spec
      .given([...old, ...resolved])
      .when(unbookable(39_900, at(70)))
      .thenNothing();
  });
});

describe('an open payment handed to a person', () => {
  const unknown = run(awaitingCard, [record('UNKNOWN')]);
  const flagged = run([...awaitingCard, ...unknown], [{ type: 'FlagForReview', data: { at: at(59) } }]);
  const given = [...awaitingCard, ...unknown, ...flagged];

  it('is not handed over again by the reconciler for the same cause once resolved', () => {
    const resolved = run(given, [resolve('Customer paid again; voided at Dintero')]);
    expect(resolved.map((event) => event.type)).toEqual(['PaymentReviewResolved']);
    spec
      .given([...given, ...resolved])
      .when({ type: 'FlagForReview', data: { at: '2026-11-23T10:30:00.000Z' } })
      .thenNothing();
    spec
      .given([...given, ...resolved])
      .when({ type: 'FlagForReview', data: { at: '2026-11-23T10:30:00.000Z', problem: 'Dintero unreachable' } })
      .thenNothing();
  });

  it("records Dintero's outcome reported later, and hands a new doubt over again", () => {
    const resolved = run(given, [resolve()]);
    expect(run([...given, ...resolved], [record('CAPTURED')]).map((event) => event.type)).toEqual(['PaymentCaptured']);
    // Dintero tells the transaction again, then calls a new one UNKNOWN: a new cause, handed over as before.
    const known = run([...given, ...resolved], [record('INITIATED', { transactionId: 'T12345678.tx2' })]);
    const unknownAgain = run(
      [...given, ...resolved, ...known],
      [record('UNKNOWN', { transactionId: 'T12345678.tx2' })],
    );
    const flaggedAgain = run(
      [...given, ...resolved, ...known, ...unknownAgain],
      [{ type: 'FlagForReview', data: { at: at(59) } }],
    );
    expect(flaggedAgain).toEqual([
      {
        type: 'PaymentFlaggedForReview',
        data: { reason: 'outcome_unknown', transactionId: 'T12345678.tx2', since: at(20), at: at(59) },
      },
    ]);
  });

  it('hands over again a new transaction Dintero calls UNKNOWN first, with nothing told between', () => {
    // The terminal's next attempt, reported only once Dintero could not tell it either (its start never delivered).
    const resolved = run(given, [resolve('Customer paid again; voided at Dintero')]);
    const unknownAgain = run([...given, ...resolved], [record('UNKNOWN', { transactionId: 'T12345678.tx2' })]);
    expect(unknownAgain.map((event) => event.type)).toEqual(['TransactionOutcomeUnknown']);
    const flaggedAgain = run(
      [...given, ...resolved, ...unknownAgain],
      [{ type: 'FlagForReview', data: { at: at(59) } }],
    );
    expect(flaggedAgain).toEqual([
      {
        type: 'PaymentFlaggedForReview',
        data: { reason: 'outcome_unknown', transactionId: 'T12345678.tx2', since: at(20), at: at(59) },
      },
    ]);
  });

  it('answers the same note again, once Dintero captured the payment resolved, that Dintero told how it stands since', () => {
    // A retry whose first answer was lost, after the capture cleared the flag and the resolution with it: the note is
    // on the log, but no longer on the payment. Refused still, in words true of it: not "resolved with another note".
    const note = 'Customer paid again; voided at Dintero';
    const resolved = run(given, [resolve(note)]);
    const settled = run([...given, ...resolved], [record('CAPTURED')]);
    expect(settled.map((event) => event.type)).toEqual(['PaymentCaptured']);
    spec
      .given([...given, ...resolved, ...settled])
      .when(resolve(note, undefined, at(55)))
      .thenFails(
        'NOT_UNDER_REVIEW',
        { paymentId: 'pay-1', flaggedAt: at(59), paymentStatus: 'captured' },
        /^Payment pay-1 is no longer under review: Dintero told how it stands at .*, since it was handed over at .*; it is captured now; the resolution by backoffice at .* stays on the log$/,
      );
    // Settled before any person said a word: the same words, without a resolution to name.
    spec
      .given([...given, ...settled])
      .when(resolve(note))
      .thenFails(
        'NOT_UNDER_REVIEW',
        { flaggedAt: at(59), paymentStatus: 'captured' },
        /^(?!.*resolution).*Dintero told how it stands/,
      );
    // Handed over anew afterwards: the flag standing is the one to resolve, the one Dintero ended is forgotten.
    const unbookable: PaymentCommand = {
      type: 'FlagUnbookableCapture',
      data: { transaction: transaction('CAPTURED', { currency: 'SEK', capturedAmount: 45_000 }), at: at(58) },
    };
    const again = run([...given, ...resolved, ...settled], [unbookable]);
    expect(again.map((event) => event.type)).toEqual(['PaymentFlaggedForReview']);
    expect(fold(paymentDecider, [...given, ...resolved, ...settled, ...again])).not.toHaveProperty('reviewSettled');
  });

  it('says which of its reasons keeps a payment from being under review', () => {
    spec
      .given([...awaitingCard, ...unknown])
      .when(resolve())
      .thenFails('NOT_UNDER_REVIEW', { paymentId: 'pay-1' }, /never handed to a person/);
    const resolved = run(given, [resolve()]);
    spec
      .given([...given, ...resolved])
      .when(resolve('Booked it by hand'))
      .thenFails(
        'NOT_UNDER_REVIEW',
        { paymentId: 'pay-1', flaggedAt: at(59) },
        /resolved already, by backoffice at .*, with another note/,
      );
    // Dintero told its outcome again (authorised): still open, but no longer the person's.
    const told = run([...given, ...resolved], [record('AUTHORIZED')]);
    spec
      .given([...given, ...resolved, ...told])
      .when(resolve())
      .thenFails(
        'NOT_UNDER_REVIEW',
        { paymentStatus: 'authorized' },
        /no longer under review: Dintero told how it stands.*it is authorized now/,
      );
  });

  it('dates the word of Dintero that ended the review, not what the payment became after it', () => {
    // Authorised at 10:01:10 (the flag ends there), captured at 10:01:20: the 10:01:10 is not the capture's time.
    const told = (status: Parameters<typeof transaction>[0], second: number): PaymentCommand => ({
      type: 'RecordDinteroTransaction',
      data: { transaction: transaction(status), source: 'reconciler', at: at(second) },
    });
    const resolved = run(given, [resolve()]);
    const authorised = run([...given, ...resolved], [told('AUTHORIZED', 70)]);
    const capturedLater = run([...given, ...resolved, ...authorised], [told('CAPTURED', 80)]);
    expect([...authorised, ...capturedLater].map((event) => event.type)).toEqual([
      'PaymentAuthorized',
      'PaymentCaptured',
    ]);
    spec
      .given([...given, ...resolved, ...authorised, ...capturedLater])
      .when(resolve())
      .thenFails(
        'NOT_UNDER_REVIEW',
        { flaggedAt: at(59), paymentStatus: 'captured' },
        new RegExp(
          `^Payment pay-1 is no longer under review: Dintero told how it stands at ${at(70)}, since it was handed ` +
            `over at ${at(59)}; it is captured now; the resolution by backoffice at ${at(50)} stays on the log$`,
        ),
      );
  });

  it('tells another person sending the same note that it was resolved with that note, not with another', () => {
    // Two back-office keys deal with one review, and say so in the same words: the second is refused (another
    // person's word is another word), but its note is not another note.
    const byManager: PaymentCommand = {
      type: 'ResolveReview',
      data: { by: 'store-manager', note: 'Voided', at: at(52) },
    };
    const resolved = run(given, [resolve('Voided')]);
    spec
      .given([...given, ...resolved])
      .when(byManager)
      .thenFails(
        'NOT_UNDER_REVIEW',
        { flaggedAt: at(59) },
        /^(?!.*another note).*resolved already, by backoffice at .*, with the same note$/,
      );
    spec
      .given([...given, ...resolved])
      .when(resolve('Booked it by hand'))
      .thenFails(
        'NOT_UNDER_REVIEW',
        { flaggedAt: at(59) },
        /resolved already, by backoffice at .*, with another note$/,
      );
  });

  it('is refused when nothing waits for a person, and when the payment is settled', () => {
    spec
      .given([...awaitingCard, ...unknown])
      .when(resolve())
      .thenFails('NOT_UNDER_REVIEW', { paymentId: 'pay-1' });
    spec
      .given([...given, captured])
      .when(resolve())
      .thenFails('NOT_UNDER_REVIEW');
    spec.given([]).when(resolve()).thenFails('PAYMENT_NOT_FOUND');
  });

  it.each([
    ['an empty note', ''],
    ['a blank note', '   '],
    ['a note over 500 characters', 'x'.repeat(501)],
  ])('refuses %s, writing nothing', (_case, note) =>
    spec.given(given).when(resolve(note)).thenFails('VALIDATION_FAILED', { field: 'note' }),
  );
});

describe('a refund handed to a person', () => {
  const requested = refundRequested('r1', 30_000);
  const accepted: PaymentEvent = {
    type: 'RefundAccepted',
    data: { refundId: 'r1', source: 'command-service', at: at(41) },
  };
  const flag: PaymentCommand = { type: 'FlagRefundForReview', data: { refundId: 'r1', at: at(90) } };
  const pending = [...awaitingCard, captured, requested, accepted];
  const flagged = run(pending, [flag]);
  const given = [...pending, ...flagged];

  it('is resolved once, and not handed over again while Dintero has not finished it', () => {
    const resolved = run(given, [resolve('Asked Dintero support', 'r1'), resolve('Asked Dintero support', 'r1')]);
    expect(resolved).toEqual([
      {
        type: 'RefundReviewResolved',
        data: { refundId: 'r1', flaggedAt: at(90), by: 'backoffice', note: 'Asked Dintero support', at: at(50) },
      },
    ]);
    spec
      .given([...given, ...resolved])
      .when({ type: 'FlagRefundForReview', data: { refundId: 'r1', at: at(120), problem: 'Dintero unreachable' } })
      .thenNothing();
    // Its outcome, when Dintero says, is recorded as before.
    expect(
      run(
        [...given, ...resolved],
        [
          {
            type: 'RecordRefundOutcome',
            data: { refundId: 'r1', outcome: 'succeeded', source: 'webhook', at: at(130) },
          },
        ],
      ).map((event) => event.type),
    ).toEqual(['RefundSucceeded']);
  });

  it('is handed over anew when Dintero takes it after its review was resolved, should Dintero never finish it', () => {
    // Never reached at Dintero (no 202 yet), handed over for what stopped the reconciler, resolved by a person.
    const unsettleable = run(
      [...awaitingCard, captured, requested],
      [{ type: 'FlagRefundForReview', data: { refundId: 'r1', at: at(90), problem: 'Dintero unreachable' } }],
    );
    const before = [...awaitingCard, captured, requested, ...unsettleable];
    const resolved = run(before, [resolve('Asked Dintero support', 'r1')]);
    // Then Dintero takes it after all: a new cause, waited for from then.
    const taken = run(
      [...before, ...resolved],
      [{ type: 'RecordRefundOutcome', data: { refundId: 'r1', outcome: 'accepted', source: 'webhook', at: at(120) } }],
    );
    expect(taken.map((event) => event.type)).toEqual(['RefundAccepted']);
    const refund = refundOf(fold(paymentDecider, [...before, ...resolved, ...taken]), 'r1');
    expect(refund).toMatchObject({ status: 'accepted', acceptedLateAt: at(120) });
    expect(refund?.flaggedForReviewAt).toBeUndefined();
    // The same note again (a retry) is told why nothing waits, not that it was resolved with another note.
    spec
      .given([...before, ...resolved, ...taken])
      .when(resolve('Asked Dintero support', 'r1'))
      .thenFails('NOT_UNDER_REVIEW', { refundId: 'r1' }, /not under review: Dintero took it late \(recorded at .*\)/);
    spec
      .given([...before, ...resolved, ...taken])
      .when({ type: 'FlagRefundForReview', data: { refundId: 'r1', at: at(150) } })
      .then([expect.objectContaining({ type: 'RefundFlaggedForReview' }) as PaymentEvent]);
  });

  it('tells a refund taken late that Dintero has finished since: its outcome, not that it is followed anew', () => {
    // Handed over, resolved, taken by Dintero late (the flag and the word go), then finished at the terminal.
    const unsettleable = run(
      [...awaitingCard, captured, requested],
      [{ type: 'FlagRefundForReview', data: { refundId: 'r1', at: at(90), problem: 'Dintero unreachable' } }],
    );
    const before = [...awaitingCard, captured, requested, ...unsettleable];
    const resolved = run(before, [resolve('Asked Dintero support', 'r1')]);
    const outcome = (outcome: 'accepted' | 'succeeded' | 'failed', second: number): PaymentCommand => ({
      type: 'RecordRefundOutcome',
      data: { refundId: 'r1', outcome, source: 'webhook', at: at(second) },
    });
    const taken = run([...before, ...resolved], [outcome('accepted', 120)]);
    for (const [status, ending] of [
      ['succeeded', run([...before, ...resolved, ...taken], [outcome('succeeded', 130)])],
      ['failed', run([...before, ...resolved, ...taken], [outcome('failed', 130)])],
    ] as const) {
      expect(refundOf(fold(paymentDecider, [...before, ...resolved, ...taken, ...ending]), 'r1')?.status).toBe(status);
      // The same note again (a retry whose answer was lost): Dintero finished it, nobody follows it any more.
      spec
        .given([...before, ...resolved, ...taken, ...ending])
        .when(resolve('Asked Dintero support', 'r1'))
        .thenFails(
          'NOT_UNDER_REVIEW',
          { refundId: 'r1' },
          new RegExp(
            `^(?!.*followed anew).*Dintero took it late \\(recorded at .*\\) and told its outcome \\(${status}\\) since$`,
          ),
        );
    }
  });

  it('tells another person sending the same note that it was resolved with that note, not with another', () => {
    const resolved = run(given, [resolve('Voided', 'r1')]);
    spec
      .given([...given, ...resolved])
      .when({ type: 'ResolveReview', data: { refundId: 'r1', by: 'store-manager', note: 'Voided', at: at(52) } })
      .thenFails(
        'NOT_UNDER_REVIEW',
        { refundId: 'r1', flaggedAt: at(90) },
        /^(?!.*another note).*resolved already, by backoffice at .*, with the same note$/,
      );
  });

  it('is refused for a refund not under review, or one with an outcome, or none of that id', () => {
    spec.given(pending).when(resolve('x', 'r1')).thenFails('NOT_UNDER_REVIEW', { refundId: 'r1' });
    const succeeded = run(given, [
      { type: 'RecordRefundOutcome', data: { refundId: 'r1', outcome: 'succeeded', source: 'webhook', at: at(95) } },
    ]);
    spec
      .given([...given, ...succeeded])
      .when(resolve('x', 'r1'))
      .thenFails(
        'NOT_UNDER_REVIEW',
        { flaggedAt: at(90) },
        /no longer under review: Dintero told its outcome \(succeeded\)/,
      );
    spec
      .given(pending)
      .when(resolve('x', 'r1'))
      .thenFails('NOT_UNDER_REVIEW', { refundId: 'r1' }, /never handed to a person/);
    spec.given(given).when(resolve('x', 'r9')).thenFails('UNKNOWN_REFUND');
    // The payment's own review is another: not under review here.
    spec.given(given).when(resolve('x')).thenFails('NOT_UNDER_REVIEW');
  });
});

describe('a person naming the flag they dealt with (flaggedAt, the review entry’s at)', () => {
  const partly = run(awaitingCard, [record('PARTIALLY_CAPTURED', { capturedAmount: 30_000 })]);
  const unbookable = (capturedAmount: number, when: string): PaymentCommand => ({
    type: 'FlagUnbookableCapture',
    data: { transaction: transaction('CAPTURED', { currency: 'SEK', capturedAmount }), at: when },
  });
  const given = [...awaitingCard, ...partly, ...run([...awaitingCard, ...partly], [unbookable(35_000, at(30))])];
  const naming = (
    flaggedAt: string,
    note = 'Refunded the SEK capture at Dintero',
    refundId?: string,
  ): PaymentCommand => ({
    type: 'ResolveReview',
    data: { ...(refundId === undefined ? {} : { refundId }), flaggedAt, by: 'backoffice', note, at: at(50) },
  });

  it('resolves the flag named, the same instant however it is written, and a retry of it once', () => {
    spec
      .given(given)
      .when(naming('2026-11-23T10:00:30Z'))
      .then([
        {
          type: 'PaymentReviewResolved',
          data: { flaggedAt: at(30), by: 'backoffice', note: 'Refunded the SEK capture at Dintero', at: at(50) },
        },
      ]);
    const resolved = run(given, [naming(at(30))]);
    spec
      .given([...given, ...resolved])
      .when(naming(at(30)))
      .thenNothing();
  });

  it('refuses a retry whose first answer was lost once a new cause was handed over since: REVIEW_CHANGED', () => {
    const resolved = run(given, [naming(at(30))]);
    // More captured in that currency since: handed over anew, which clears the person's word on the old flag.
    const again = run([...given, ...resolved], [unbookable(39_900, at(70))]);
    spec
      .given([...given, ...resolved, ...again])
      .when(naming(at(30)))
      .thenFails('REVIEW_CHANGED', { paymentId: 'pay-1', flaggedAt: at(30), standing: at(70) }, /handed over again/);
    // Named, the new flag is the person's to resolve; unnamed, whichever stands, as before.
    expect(run([...given, ...resolved, ...again], [naming(at(70))]).map((event) => event.type)).toEqual([
      'PaymentReviewResolved',
    ]);
  });

  it('refuses a refund’s review named by another flag than its own, and a flaggedAt that is no instant', () => {
    const refund: PaymentEvent[] = [
      refundRequested('r1', 10_000),
      { type: 'RefundAccepted', data: { refundId: 'r1', source: 'command-service', at: at(41) } },
    ];
    const flagged = run(
      [...awaitingCard, captured, ...refund],
      [{ type: 'FlagRefundForReview', data: { refundId: 'r1', at: at(90) } }],
    );
    const refundGiven = [...awaitingCard, captured, ...refund, ...flagged];
    spec
      .given(refundGiven)
      .when(naming(at(30), 'Asked Dintero support', 'r1'))
      .thenFails('REVIEW_CHANGED', { refundId: 'r1', standing: at(90) });
    spec.given(given).when(naming('yesterday')).thenFails('VALIDATION_FAILED', { field: 'flaggedAt' });
  });
});

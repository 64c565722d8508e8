import {
  DINTERO_TRANSACTION_STATUSES,
  fold,
  paymentDecider,
  refundFollowed,
  type DinteroTransactionFact,
  type PaymentCommand,
  type PaymentEvent,
  type PaymentState,
  type Refund,
} from '@app/payment-domain';
import { deciderSpec } from './decider-spec';
import {
  at,
  awaitingCard,
  captured,
  paymentRequested,
  refundRequested,
  requested,
  sessionCreated,
  transaction,
} from './payment-fixtures';

const spec = deciderSpec(paymentDecider);
const record = (
  status: Parameters<typeof transaction>[0],
  source: 'callback' | 'webhook' | 'reconciler' = 'callback',
  change = {},
): PaymentCommand => ({
  type: 'RecordDinteroTransaction',
  data: { transaction: transaction(status, change), source, at: at(20) },
});
/** The refund `r1` of a captured payment's state. */
const refundOf = (state: PaymentState): Refund => {
  if (state.status !== 'captured') throw new Error(`payment is ${state.status}`);
  return state.refunds['r1']!;
};
/** Applies commands in turn, as command handling does, and returns every event recorded. */
function run(given: readonly PaymentEvent[], commands: readonly PaymentCommand[]): PaymentEvent[] {
  const events = [...given];
  for (const command of commands) events.push(...paymentDecider.decide(command, fold(paymentDecider, events)));
  return events.slice(given.length);
}

describe('requesting a payment', () => {
  it('records the request', () =>
    spec.given([]).when({ type: 'RequestPayment', data: requested }).then([paymentRequested]));

  it.each([
    ['a fractional amount', { amount: 399.5 }],
    ['a negative amount', { amount: -100 }],
    ['a zero amount', { amount: 0 }],
    ['an unknown currency', { currency: 'XXY' }],
    ['a lower-case currency', { currency: 'nok' }],
    ['no merchant reference', { merchantReference: '' }],
    ['a terminal id that is not a subject token', { terminalId: 'T 1' }],
    ['an expiry before the request', { expiresAt: '2026-11-23T09:59:59.000Z' }],
    ['a time that is not UTC ISO-8601', { requestedAt: '23/11/2026 10:00' }],
    [
      'items that do not add up to the amount',
      { items: [{ id: 'a', lineId: '1', description: 'A', quantity: 1, amount: 100, vat: 25 }] },
    ],
  ])('refuses %s (invariant 8, invariant 9)', (_case, change) =>
    spec
      .given([])
      .when({ type: 'RequestPayment', data: { ...requested, ...change } })
      .thenFails('VALIDATION_FAILED'),
  );

  it('records the same request once (a resumed run of it), and refuses another request with the same id', () => {
    spec.given([paymentRequested]).when({ type: 'RequestPayment', data: requested }).thenNothing();
    spec
      .given([paymentRequested])
      .when({ type: 'RequestPayment', data: { ...requested, amount: requested.amount + 1 } })
      .thenFails('PAYMENT_EXISTS');
  });
});

describe('beginning the session’s creation (a recovery point)', () => {
  const begin = { type: 'BeginSessionCreation' as const, data: { at: at(1) } };

  it('is recorded once: only its recorder calls Dintero', () => {
    spec
      .given([paymentRequested])
      .when(begin)
      .then([{ type: 'SessionCreationStarted', data: { at: at(1) } }]);
    spec
      .given([paymentRequested, { type: 'SessionCreationStarted', data: { at: at(1) } }])
      .when(begin)
      .thenNothing();
  });

  it('cancels instead a payment the POS asked to cancel before any session existed', () =>
    spec
      .given([paymentRequested, { type: 'CancellationRequested', data: { by: 'till-3', at: at(0) } }])
      .when(begin)
      .then([{ type: 'PaymentCancelled', data: { by: 'pos', source: 'command-service', at: at(1) } }]));
});

describe('creating the Dintero session', () => {
  const created = { type: 'RecordSessionCreated' as const, data: sessionCreated.data };

  it('records the session, once', () => {
    spec.given([paymentRequested]).when(created).then([sessionCreated]);
    spec.given(awaitingCard).when(created).thenNothing();
  });

  it('records the session after a transaction Dintero reported first, keeping what the transaction says', () => {
    // The callback beat the answer to the session's creation: an UNKNOWN transaction, or an authorised one.
    for (const [status, expected] of [
      ['UNKNOWN', 'outcome_unknown'],
      ['AUTHORIZED', 'authorized'],
      ['ON_HOLD', 'on_hold'],
      ['INITIATED', 'awaiting_card'],
    ] as const) {
      const first = run([paymentRequested], [record(status)]);
      const events = [paymentRequested, ...first, ...run([paymentRequested, ...first], [created])];
      expect(events.map((e) => e.type)).toContain('SessionCreated');
      expect(fold(paymentDecider, events)).toMatchObject({
        status: expected,
        sessionId: sessionCreated.data.sessionId,
        transactionId: 'T12345678.tx1',
      });
    }
    // A transaction started, then the session's creation unknown (a start run interrupted), then the session: the
    // terminal prompts.
    const started = run([paymentRequested], [record('INITIATED')]);
    const interrupted: PaymentEvent = { type: 'SessionCreationOutcomeUnknown', data: { reason: 'timeout', at: at(2) } };
    const before = [paymentRequested, ...started, interrupted];
    expect(fold(paymentDecider, [...before, ...run(before, [created])]).status).toBe('awaiting_card');
    // A rejection of the session's creation is not taken once Dintero has a transaction of it.
    const unknown = run([paymentRequested], [record('UNKNOWN')]);
    spec
      .given([paymentRequested, ...unknown])
      .when({ type: 'RecordSessionRejected', data: { code: 'X', message: 'x', httpStatus: 400, at: at(1) } })
      .thenNothing();
  });

  it('records a definitive rejection, which ends the payment', () => {
    const rejected = { code: 'INVALID_TERMINAL', message: 'terminal not enrolled', httpStatus: 400, at: at(1) };
    spec
      .given([paymentRequested])
      .when({ type: 'RecordSessionRejected', data: rejected })
      .then([{ type: 'SessionCreationRejected', data: rejected }]);
    expect(fold(paymentDecider, [paymentRequested, { type: 'SessionCreationRejected', data: rejected }]).status).toBe(
      'rejected',
    );
  });

  it('records an unknown outcome, which a reconciler can settle either way', () => {
    const unknown: PaymentEvent = { type: 'SessionCreationOutcomeUnknown', data: { reason: 'timeout', at: at(5) } };
    spec
      .given([paymentRequested])
      .when({ type: 'RecordSessionOutcomeUnknown', data: { reason: 'timeout', at: at(5) } })
      .then([unknown]);
    spec.given([paymentRequested, unknown]).when(created).then([sessionCreated]);
    expect(fold(paymentDecider, [paymentRequested, unknown]).status).toBe('outcome_unknown');
  });

  it('ends a payment whose session was never sent: failed, or cancelled when the POS asked meanwhile', () => {
    const begun: PaymentEvent = { type: 'SessionCreationStarted', data: { at: at(1) } };
    const notSent: PaymentCommand = { type: 'RecordSessionNotSent', data: { reason: 'ECONNREFUSED', at: at(2) } };
    spec
      .given([paymentRequested, begun])
      .when(notSent)
      .then([{ type: 'PaymentFailed', data: { reason: 'DINTERO_UNAVAILABLE', source: 'command-service', at: at(2) } }]);
    const cancelAsked: PaymentEvent = { type: 'CancellationRequested', data: { by: 'pos-1', at: at(1) } };
    spec
      .given([paymentRequested, begun, cancelAsked])
      .when(notSent)
      .then([{ type: 'PaymentCancelled', data: { by: 'pos', source: 'command-service', at: at(2) } }]);
    // A session or a transaction known: it was sent after all, whatever the call said.
    spec.given([paymentRequested, begun, sessionCreated]).when(notSent).then([]);
  });

  it('refuses facts about a payment that does not exist', () =>
    spec.given([]).when(created).thenFails('PAYMENT_NOT_FOUND'));
});

describe('every Dintero transaction status has a defined reaction', () => {
  const expected: Record<(typeof DINTERO_TRANSACTION_STATUSES)[number], [PaymentEvent['type'], string]> = {
    INITIATED: ['TransactionStarted', 'awaiting_card'],
    AUTHORIZED: ['PaymentAuthorized', 'authorized'],
    AUTHORIZATION_VOIDED: ['PaymentVoided', 'voided'],
    CAPTURED: ['PaymentCaptured', 'captured'],
    PARTIALLY_CAPTURED: ['PaymentCaptured', 'captured'],
    PARTIALLY_CAPTURED_REFUNDED: ['PaymentCaptured', 'captured'],
    REFUNDED: ['PaymentCaptured', 'captured'],
    PARTIALLY_REFUNDED: ['PaymentCaptured', 'captured'],
    DECLINED: ['PaymentDeclined', 'declined'],
    FAILED: ['PaymentFailed', 'failed'],
    UNKNOWN: ['TransactionOutcomeUnknown', 'outcome_unknown'],
    ON_HOLD: ['PaymentOnHold', 'on_hold'],
  };

  it.each(DINTERO_TRANSACTION_STATUSES)('%s', (status) => {
    const [type, resultingStatus] = expected[status];
    const events = run(awaitingCard, [record(status)]);
    expect(events.map((e) => e.type)).toEqual([type]);
    expect(fold(paymentDecider, [...awaitingCard, ...events]).status).toBe(resultingStatus);
  });

  it.each(DINTERO_TRANSACTION_STATUSES)(
    '%s from callback, webhook and reconciler, five times each, is one fact (invariant 3)',
    (status) => {
      const sources = ['callback', 'webhook', 'reconciler'] as const;
      const events = run(
        awaitingCard,
        Array.from({ length: 15 }, (_, i) => record(status, sources[i % 3])),
      );
      expect(events).toHaveLength(1);
    },
  );

  it('keeps the card brand and entry method of a capture, never a full card number', () => {
    const card = { brand: 'VISA', maskedPan: '476173******0416', entryMethod: 'contactless' };
    const [event] = run(awaitingCard, [record('CAPTURED', 'callback', { card })]);
    expect(event).toEqual({
      type: 'PaymentCaptured',
      data: { transactionId: 'T12345678.tx1', amount: 39_900, currency: 'NOK', card, source: 'callback', at: at(20) },
    });
  });

  it('follows ON_HOLD to AUTHORIZED to CAPTURED', () => {
    const events = run(awaitingCard, [record('ON_HOLD'), record('AUTHORIZED'), record('CAPTURED')]);
    expect(events.map((e) => e.type)).toEqual(['PaymentOnHold', 'PaymentAuthorized', 'PaymentCaptured']);
  });

  it('refuses a status Dintero does not have', () =>
    spec
      .given(awaitingCard)
      .when(record('SETTLED' as never))
      .thenFails('VALIDATION_FAILED'));
});

describe('monotonic state (invariant 2)', () => {
  it.each(['DECLINED', 'FAILED', 'AUTHORIZATION_VOIDED', 'AUTHORIZED', 'ON_HOLD', 'UNKNOWN', 'INITIATED'] as const)(
    'a captured payment ignores a late %s',
    (status) =>
      spec
        .given([...awaitingCard, captured])
        .when(record(status))
        .thenNothing(),
  );

  it.each(['cancelled', 'authorization', 'failed'] as const)('a captured payment ignores a late error=%s', (error) =>
    spec
      .given([...awaitingCard, captured])
      .when({ type: 'RecordDinteroError', data: { error, source: 'callback', at: at(30) } })
      .thenNothing(),
  );

  it.each(['cancelled', 'authorization', 'failed'] as const)(
    'a payment with a transaction at Dintero ignores an error=%s without one, and ends as its transaction does',
    (error) => {
      // An error of an earlier attempt, delivered late (a retry after a 503): the transaction is authorised.
      const late = { type: 'RecordDinteroError', data: { error, source: 'callback', at: at(30) } } as const;
      for (const status of ['AUTHORIZED', 'ON_HOLD', 'UNKNOWN'] as const)
        spec
          .given([...awaitingCard, ...run(awaitingCard, [record(status)])])
          .when(late)
          .thenNothing();
      const events = run(awaitingCard, [record('AUTHORIZED'), late, record('CAPTURED')]);
      expect(events.map((e) => e.type)).toEqual(['PaymentAuthorized', 'PaymentCaptured']);
    },
  );

  it('an authorised payment does not go back to on hold or unknown on an older read of its transaction', () => {
    // Two deliveries asked Dintero about the same time: the ON_HOLD answer came after the AUTHORIZED one.
    const events = run(awaitingCard, [record('ON_HOLD'), record('AUTHORIZED'), record('ON_HOLD'), record('UNKNOWN')]);
    expect(events.map((e) => e.type)).toEqual(['PaymentOnHold', 'PaymentAuthorized']);
    expect(fold(paymentDecider, [...awaitingCard, ...events]).status).toBe('authorized');
  });

  it.each(['AUTHORIZED', 'ON_HOLD'] as const)(
    'a payment whose transaction is %s is not ended nor moved by a late report of an earlier attempt',
    (status) => {
      // The first card was declined (tx0), the second approved or held (tx1); tx0's reports came last.
      const earlier = (late: Parameters<typeof transaction>[0]) =>
        record(late, 'webhook', { transactionId: 'T12345678.tx0' });
      const given = [...awaitingCard, ...run(awaitingCard, [record(status)])];
      for (const late of ['DECLINED', 'FAILED', 'AUTHORIZATION_VOIDED', 'UNKNOWN', 'ON_HOLD', 'INITIATED'] as const)
        spec.given(given).when(earlier(late)).thenNothing();
      const events = run(given, [earlier('DECLINED'), earlier('UNKNOWN'), record('CAPTURED')]);
      expect(events.map((e) => e.type)).toEqual(['PaymentCaptured']);
      expect(events[0]?.data).toMatchObject({ transactionId: 'T12345678.tx1', amount: 39_900 });
    },
  );

  it('a payment held for review does not go back to unknown on an older read of its transaction', () => {
    // ON_HOLD ends AUTHORIZED or FAILED only: an UNKNOWN of the same transaction after it is an overtaken read.
    const events = run(awaitingCard, [record('ON_HOLD'), record('UNKNOWN'), record('ON_HOLD')]);
    expect(events.map((e) => e.type)).toEqual(['PaymentOnHold']);
    expect(fold(paymentDecider, [...awaitingCard, ...events]).status).toBe('on_hold');
  });

  it('a payment whose transaction Dintero cannot tell of is not ended by another attempt’s refusal', () => {
    // tx1 UNKNOWN (it may yet be captured); tx0, declined before it, is reported last.
    const given = [...awaitingCard, ...run(awaitingCard, [record('UNKNOWN')])];
    for (const late of ['DECLINED', 'FAILED', 'AUTHORIZATION_VOIDED'] as const)
      spec
        .given(given)
        .when(record(late, 'webhook', { transactionId: 'T12345678.tx0' }))
        .thenNothing();
    const events = run(given, [record('DECLINED', 'webhook', { transactionId: 'T12345678.tx0' }), record('CAPTURED')]);
    expect(events.map((e) => e.type)).toEqual(['PaymentCaptured']);
    // A new attempt started on the terminal is the payment's own: its refusal ends the payment.
    expect(
      run(given, [
        record('INITIATED', 'webhook', { transactionId: 'T12345678.tx2' }),
        record('DECLINED', 'webhook', { transactionId: 'T12345678.tx2' }),
      ]).map((e) => e.type),
    ).toEqual(['TransactionStarted', 'PaymentDeclined']);
  });

  it('a payment whose transaction only started still ends on a later attempt declined', () => {
    // Started is no answer to the card: the other transaction may be the customer's next try, and its decline final.
    const events = run(awaitingCard, [
      record('INITIATED'),
      record('DECLINED', 'webhook', { transactionId: 'T12345678.tx2' }),
    ]);
    expect(events.map((e) => e.type)).toEqual(['TransactionStarted', 'PaymentDeclined']);
  });

  it('a declined payment stays declined whatever arrives after, in any order', () => {
    const declined = run(awaitingCard, [record('DECLINED')]);
    const after = run(
      [...awaitingCard, ...declined],
      [
        record('FAILED'),
        record('AUTHORIZED'),
        record('ON_HOLD'),
        { type: 'ExpireSession', data: { source: 'reconciler', at: at(400) } },
      ],
    );
    expect(after).toEqual([]);
    expect(fold(paymentDecider, [...awaitingCard, ...declined]).status).toBe('declined');
  });
});

describe('no silent money (invariant 4)', () => {
  const cancelled: PaymentEvent = {
    type: 'PaymentCancelled',
    data: { by: 'customer', source: 'callback', at: at(10) },
  };
  const expired: PaymentEvent = { type: 'PaymentExpired', data: { source: 'reconciler', at: at(301) } };

  it.each([
    ['cancelled', cancelled],
    ['expired', expired],
  ])('records a capture after the payment was %s, flagged for reversal, once', (endedAs, ended) => {
    const events = run(
      [...awaitingCard, ended],
      [record('CAPTURED'), record('CAPTURED', 'webhook'), record('CAPTURED', 'reconciler')],
    );
    expect(events).toEqual([
      {
        type: 'LateCaptureRecorded',
        data: {
          transactionId: 'T12345678.tx1',
          amount: 39_900,
          currency: 'NOK',
          endedAs,
          flaggedForReversal: true,
          source: 'callback',
          at: at(20),
        },
      },
    ]);
    expect(fold(paymentDecider, [...awaitingCard, ended, ...events]).status).toBe(endedAs);
  });

  it('records a capture of a second transaction on a captured payment', () => {
    const events = run(
      [...awaitingCard, captured],
      [record('CAPTURED', 'webhook', { transactionId: 'T12345678.tx2' })],
    );
    expect(events.map((e) => e.type)).toEqual(['LateCaptureRecorded']);
  });
});

describe("the sale's money in the payment's currency (invariant 8)", () => {
  const inSek = (status: Parameters<typeof transaction>[0], change = {}) =>
    record(status, 'webhook', { currency: 'SEK', ...change });
  const refused = { paymentId: 'pay-1', transactionCurrency: 'SEK', paymentCurrency: 'NOK' };
  const naming = /^Dintero transaction T12345678\.tx\d is [A-Z_]+ in SEK, but payment pay-1 is in NOK/;

  it("books nothing of the payment's own capture or authorisation reported in another currency", () => {
    // Booked, SEK 399.00 was added to the store day's NOK totals: the read models count the sale in the payment's.
    for (const command of [
      inSek('CAPTURED'),
      inSek('PARTIALLY_CAPTURED', { capturedAmount: 30_000 }),
      inSek('AUTHORIZATION_VOIDED', { capturedAmount: 30_000 }),
      inSek('AUTHORIZED'),
      inSek('CAPTURED', { transactionId: 'T12345678.tx2' }),
    ])
      spec.given(awaitingCard).when(command).thenFails('TRANSACTION_IN_OTHER_CURRENCY', refused, naming);
    // Nor the rest of a partial capture, captured later.
    const partly = run(awaitingCard, [record('PARTIALLY_CAPTURED', 'callback', { capturedAmount: 30_000 })]);
    spec
      .given([...awaitingCard, ...partly])
      .when(inSek('CAPTURED', { capturedAmount: 39_900 }))
      .thenFails('TRANSACTION_IN_OTHER_CURRENCY', refused, naming);
  });

  it("hands a further capture of a captured payment's own transaction in another currency to a person, once", () => {
    // Refused (above) at every report, and no reconciler looks at a captured payment: nobody would know of the money.
    const partly = run(awaitingCard, [record('PARTIALLY_CAPTURED', 'callback', { capturedAmount: 30_000 })]);
    const flag = (change: Partial<DinteroTransactionFact>, when = at(30)): PaymentCommand => ({
      type: 'FlagUnbookableCapture',
      data: { transaction: transaction('CAPTURED', { currency: 'SEK', ...change }), at: when },
    });
    const rest = flag({ capturedAmount: 39_900 });
    const flagged = run([...awaitingCard, ...partly], [rest]);
    expect(flagged).toEqual([
      {
        type: 'PaymentFlaggedForReview',
        data: {
          reason: 'not_settleable',
          transactionId: 'T12345678.tx1',
          since: at(30),
          problem:
            'Dintero transaction T12345678.tx1 is CAPTURED in SEK, but payment pay-1 is in NOK: nothing was booked',
          capturedAmount: 39_900,
          at: at(30),
        },
      },
    ]);
    // Once: Dintero's next report is refused as before, and flags nothing more.
    spec
      .given([...awaitingCard, ...partly, ...flagged])
      .when(flag({ capturedAmount: 39_900 }, at(40)))
      .thenNothing();
    spec
      .given([...awaitingCard, ...partly, ...flagged])
      .when(record('CAPTURED', 'webhook', { currency: 'SEK', capturedAmount: 39_900 }))
      .thenFails('TRANSACTION_IN_OTHER_CURRENCY', refused, naming);
    // Nothing to hand over: nothing captured beyond the sale, another transaction (a late capture, kept apart), the
    // payment's currency (booked), or an open payment (the reconciler's, once its session is over).
    for (const [given, command] of [
      [partly, flag({ capturedAmount: 30_000 })],
      [partly, flag({ capturedAmount: 39_900, transactionId: 'T12345678.tx2' })],
      [partly, flag({ capturedAmount: 39_900, currency: 'NOK' })],
      [[], flag({ capturedAmount: 39_900 })],
    ] as const)
      spec
        .given([...awaitingCard, ...given])
        .when(command)
        .thenNothing();
  });

  it('hands a further capture in another currency to a person again once the one flagged was booked', () => {
    const partly = run(awaitingCard, [record('PARTIALLY_CAPTURED', 'callback', { capturedAmount: 30_000 })]);
    const flag = (capturedAmount: number): PaymentCommand => ({
      type: 'FlagUnbookableCapture',
      data: { transaction: transaction('CAPTURED', { currency: 'SEK', capturedAmount }), at: at(30) },
    });
    const flagged = run([...awaitingCard, ...partly], [flag(35_000)]);
    // Dintero shows the transaction in the payment's currency again: the further capture is booked, the flag settled.
    const booked = run(
      [...awaitingCard, ...partly, ...flagged],
      [record('PARTIALLY_CAPTURED', 'webhook', { capturedAmount: 35_000 })],
    );
    expect(booked.map((event) => event.type)).toEqual(['FurtherCaptureRecorded']);
    // A further capture beyond it shown in another currency is money nobody would know of again: a person is told.
    expect(run([...awaitingCard, ...partly, ...flagged, ...booked], [flag(39_900)]).map((event) => event.type)).toEqual(
      ['PaymentFlaggedForReview'],
    );
  });

  it('records what books no money as before, and a late capture in its own currency', () => {
    expect(run(awaitingCard, [inSek('DECLINED')]).map((e) => e.type)).toEqual(['PaymentDeclined']);
    expect(run(awaitingCard, [inSek('INITIATED', { transactionId: 'T12345678.tx2' })]).map((e) => e.type)).toEqual([
      'TransactionStarted',
    ]);
    // An authorised payment's own transaction read again, and what the payment captured read again: nothing to book.
    const authorised = run(awaitingCard, [record('AUTHORIZED')]);
    spec
      .given([...awaitingCard, ...authorised])
      .when(inSek('AUTHORIZED'))
      .thenNothing();
    spec
      .given([...awaitingCard, captured])
      .when(inSek('CAPTURED'))
      .thenNothing();
    // Another transaction captured after the payment ended is money apart, kept in its own currency.
    expect(run([...awaitingCard, captured], [inSek('CAPTURED', { transactionId: 'T12345678.tx2' })])).toEqual([
      expect.objectContaining({
        type: 'LateCaptureRecorded',
        data: expect.objectContaining({ transactionId: 'T12345678.tx2', amount: 39_900, currency: 'SEK' }),
      }),
    ]);
  });
});

describe('what was captured, not what was authorised (invariant 8)', () => {
  const partly = record('PARTIALLY_CAPTURED', 'callback', { capturedAmount: 30_000 });
  const refund = (amount: number): PaymentCommand => ({
    type: 'RequestRefund',
    data: { refundId: 'r1', amount, terminalId: 'T-1', claimId: 'claim-r1', by: 'till-3', at: at(40) },
  });

  it('books a partial capture at the part captured, and refunds no more than it', () => {
    const events = run(awaitingCard, [partly]);
    expect(events).toEqual([
      {
        type: 'PaymentCaptured',
        data: { transactionId: 'T12345678.tx1', amount: 30_000, currency: 'NOK', source: 'callback', at: at(20) },
      },
    ]);
    spec
      .given([...awaitingCard, ...events])
      .when(refund(30_001))
      .thenFails('REFUND_EXCEEDS_CAPTURED', { refundable: 30_000 });
  });

  it('books a partial capture whose rest Dintero then voided as the capture it is, heard of first or after', () => {
    // AUTHORIZATION_VOIDED after a capture of 30,000 of 39,900: the part taken stays taken.
    const voidedRest = record('AUTHORIZATION_VOIDED', 'reconciler', { capturedAmount: 30_000 });
    const events = run(awaitingCard, [voidedRest]);
    expect(events).toEqual([
      {
        type: 'PaymentCaptured',
        data: { transactionId: 'T12345678.tx1', amount: 30_000, currency: 'NOK', source: 'reconciler', at: at(20) },
      },
    ]);
    expect(run(awaitingCard, [partly, voidedRest]).map((e) => e.type)).toEqual(['PaymentCaptured']);
    // Voided with nothing captured is a void; a capture event under a status that is not final is not money yet.
    expect(run(awaitingCard, [record('AUTHORIZATION_VOIDED')]).map((e) => e.type)).toEqual(['PaymentVoided']);
    for (const status of ['UNKNOWN', 'ON_HOLD', 'INITIATED', 'AUTHORIZED', 'FAILED', 'DECLINED'] as const)
      expect(run(awaitingCard, [record(status, 'reconciler', { capturedAmount: 30_000 })])).not.toContainEqual(
        expect.objectContaining({ type: 'PaymentCaptured' }),
      );
  });

  it('books the rest captured later once, dated by its own capture, and refunds up to the whole', () => {
    const first = run(awaitingCard, [partly]);
    const rest = record('CAPTURED', 'webhook', {
      capturedAmount: 39_900,
      dinteroAt: '2026-11-23T10:00:20.000Z',
      captures: [
        { amount: 30_000, at: '2026-11-23T10:00:20.000Z' },
        { amount: 9_900, at: '2026-11-24T08:00:00.000Z' },
      ],
    });
    const later = run([...awaitingCard, ...first], [rest, rest, partly]);
    expect(later).toEqual([
      {
        type: 'FurtherCaptureRecorded',
        data: {
          transactionId: 'T12345678.tx1',
          amount: 9_900,
          capturedAmount: 39_900,
          source: 'webhook',
          at: at(20),
          dinteroAt: '2026-11-24T08:00:00.000Z',
        },
      },
    ]);
    const state = fold(paymentDecider, [...awaitingCard, ...first, ...later]);
    expect(state).toMatchObject({ status: 'captured', capturedAmount: 39_900 });
    expect(run([...awaitingCard, ...first, ...later], [refund(39_900)]).map((e) => e.type)).toEqual([
      'RefundRequested',
    ]);
  });

  // A refund's id is the caller's text: one that every JavaScript object answers to is a refund like any other.
  it.each(['constructor', 'toString', '__proto__'])('takes a refund with the id %s as a new refund', (refundId) => {
    const captured = [...awaitingCard, ...run(awaitingCard, [partly])];
    const asked: PaymentCommand = {
      type: 'RequestRefund',
      data: { refundId, amount: 10_000, terminalId: 'T-1', claimId: `claim-${refundId}`, by: 'till-3', at: at(40) },
    };
    const requested = run(captured, [asked]);
    expect(requested).toMatchObject([{ type: 'RefundRequested', data: { refundId, amount: 10_000 } }]);
    expect(run([...captured, ...requested], [asked])).toEqual([]);
    const { refunds } = fold(paymentDecider, [...captured, ...requested]) as { refunds: Record<string, unknown> };
    expect(Object.entries(refunds)).toMatchObject([[refundId, { status: 'pending', amount: 10_000 }]]);
  });

  it('books each capture on its own day when the first news of the transaction shows it captured twice', () => {
    const twice = record('CAPTURED', 'reconciler', {
      capturedAmount: 39_900,
      dinteroAt: '2026-11-23T10:00:20.000Z',
      captures: [
        { amount: 20_000, at: '2026-11-23T10:00:20.000Z' },
        { amount: 10_000, at: '2026-11-24T08:00:00.000Z' },
        { amount: 9_900, at: '2026-11-25T08:00:00.000Z' },
      ],
    });
    const events = run(awaitingCard, [twice, twice]);
    expect(events).toMatchObject([
      { type: 'PaymentCaptured', data: { amount: 20_000, dinteroAt: '2026-11-23T10:00:20.000Z' } },
      {
        type: 'FurtherCaptureRecorded',
        data: { amount: 10_000, capturedAmount: 30_000, dinteroAt: '2026-11-24T08:00:00.000Z' },
      },
      {
        type: 'FurtherCaptureRecorded',
        data: { amount: 9_900, capturedAmount: 39_900, dinteroAt: '2026-11-25T08:00:00.000Z' },
      },
    ]);
    expect(fold(paymentDecider, [...awaitingCard, ...events])).toMatchObject({
      status: 'captured',
      capturedAmount: 39_900,
    });
    // Known up to the second capture: only the third is new.
    const upToSecond = run(awaitingCard, [
      record('PARTIALLY_CAPTURED', 'callback', {
        capturedAmount: 30_000,
        captures: [
          { amount: 20_000, at: '2026-11-23T10:00:20.000Z' },
          { amount: 10_000, at: '2026-11-24T08:00:00.000Z' },
        ],
      }),
    ]);
    expect(run([...awaitingCard, ...upToSecond], [twice])).toMatchObject([
      { type: 'FurtherCaptureRecorded', data: { amount: 9_900, capturedAmount: 39_900 } },
    ]);
  });

  it('books a late capture at what was captured', () => {
    const expired: PaymentEvent = { type: 'PaymentExpired', data: { source: 'reconciler', at: at(301) } };
    const [late] = run([...awaitingCard, expired], [partly]);
    expect(late).toMatchObject({ type: 'LateCaptureRecorded', data: { amount: 30_000 } });
  });

  it('books a late capture taken in parts part by part, each once', () => {
    const expired: PaymentEvent = { type: 'PaymentExpired', data: { source: 'reconciler', at: at(301) } };
    const rest = record('CAPTURED', 'webhook', { capturedAmount: 39_900 });
    const events = run([...awaitingCard, expired], [partly, rest, partly, rest]);
    expect(events).toMatchObject([
      { type: 'LateCaptureRecorded', data: { amount: 30_000 } },
      { type: 'LateCaptureRecorded', data: { amount: 9_900, capturedAmount: 39_900 } },
    ]);
    expect(events[0]!.data).not.toHaveProperty('capturedAmount');
    expect(fold(paymentDecider, [...awaitingCard, expired, ...events])).toMatchObject({
      status: 'expired',
      lateCaptured: { 'T12345678.tx1': 39_900 },
    });
    // A later fact without the CAPTURE events' amounts says nothing of more parts: no authorised amount is booked.
    const afterPart = run([...awaitingCard, expired], [partly]);
    const noAmounts = record('CAPTURED', 'reconciler', { amount: 50_000 });
    expect(run([...awaitingCard, expired, ...afterPart], [noAmounts])).toEqual([]);
  });

  it('dates each part of a late capture by its own capture, so that each is booked on its own day', () => {
    const expired: PaymentEvent = { type: 'PaymentExpired', data: { source: 'reconciler', at: at(301) } };
    const first = record('PARTIALLY_CAPTURED', 'callback', {
      capturedAmount: 30_000,
      dinteroAt: '2026-11-24T19:00:00.000Z',
    });
    // The second part, a day later: the transaction's own time is still its first capture's.
    const both = record('CAPTURED', 'webhook', {
      capturedAmount: 39_900,
      dinteroAt: '2026-11-24T19:00:00.000Z',
      captures: [
        { amount: 30_000, at: '2026-11-24T19:00:00.000Z' },
        { amount: 9_900, at: '2026-11-25T09:00:00.000Z' },
      ],
    });
    expect(run([...awaitingCard, expired], [first, both, both])).toMatchObject([
      { type: 'LateCaptureRecorded', data: { amount: 30_000, dinteroAt: '2026-11-24T19:00:00.000Z' } },
      {
        type: 'LateCaptureRecorded',
        data: { amount: 9_900, capturedAmount: 39_900, dinteroAt: '2026-11-25T09:00:00.000Z' },
      },
    ]);
    // Both parts in the first news of it: one event a part, each with its own time.
    const events = run([...awaitingCard, expired], [both]);
    expect(
      events.map((e) => [(e.data as { amount?: number }).amount, (e.data as { dinteroAt?: string }).dinteroAt]),
    ).toEqual([
      [30_000, '2026-11-24T19:00:00.000Z'],
      [9_900, '2026-11-25T09:00:00.000Z'],
    ]);
    expect(fold(paymentDecider, [...awaitingCard, expired, ...events])).toMatchObject({
      lateCaptured: { 'T12345678.tx1': 39_900 },
    });
  });
});

describe('cancellation', () => {
  const cancel: PaymentCommand = { type: 'RequestCancellation', data: { by: 'till-3', at: at(5) } };

  it('is requested once while the customer is at the terminal', () => {
    spec
      .given(awaitingCard)
      .when(cancel)
      .then([{ type: 'CancellationRequested', data: { by: 'till-3', at: at(5) } }]);
    spec
      .given([...awaitingCard, { type: 'CancellationRequested', data: { by: 'till-3', at: at(5) } }])
      .when(cancel)
      .thenNothing();
  });

  it('ends as cancelled by the POS when Dintero reports the cancel', () => {
    const events = run(awaitingCard, [
      cancel,
      { type: 'RecordDinteroError', data: { error: 'cancelled', source: 'callback', at: at(6) } },
    ]);
    expect(events.at(-1)).toEqual({ type: 'PaymentCancelled', data: { by: 'pos', source: 'callback', at: at(6) } });
  });

  it('loses to a capture that wins the race, and the capture is recorded as a capture', () => {
    const events = run(awaitingCard, [cancel, record('CAPTURED')]);
    expect(events.map((e) => e.type)).toEqual(['CancellationRequested', 'PaymentCaptured']);
    spec
      .given([...awaitingCard, ...events])
      .when(cancel)
      .thenFails('PAYMENT_FINISHED', { paymentStatus: 'captured' }, /captured .*: refund it to give the money back/);
  });

  it('changes nothing on a payment that already ended without money', () =>
    spec
      .given([
        ...awaitingCard,
        { type: 'PaymentDeclined', data: { reason: 'declined', source: 'callback', at: at(9) } },
      ])
      .when(cancel)
      .thenNothing());

  it('maps the customer cancelling on the terminal', () =>
    spec
      .given(awaitingCard)
      .when({ type: 'RecordDinteroError', data: { error: 'cancelled', source: 'webhook', at: at(7) } })
      .then([{ type: 'PaymentCancelled', data: { by: 'customer', source: 'webhook', at: at(7) } }]));

  it("dates an error by its session's event where Dintero's session was asked, and refuses a time that is not one", () => {
    const dinteroAt = '2026-11-23T22:59:58.000Z';
    spec
      .given(awaitingCard)
      .when({ type: 'RecordDinteroError', data: { error: 'cancelled', source: 'webhook', at: at(7), dinteroAt } })
      .then([{ type: 'PaymentCancelled', data: { by: 'customer', source: 'webhook', at: at(7), dinteroAt } }]);
    spec
      .given(awaitingCard)
      .when({
        type: 'RecordDinteroError',
        data: { error: 'failed', source: 'webhook', at: at(7), dinteroAt: '23.11.2026 22:59' },
      })
      .thenFails('VALIDATION_FAILED', { field: 'dinteroAt' });
  });

  it.each([
    ['authorization', 'PaymentDeclined'],
    ['failed', 'PaymentFailed'],
  ] as const)('maps error=%s to %s', (error, type) => {
    const [event] = run(awaitingCard, [{ type: 'RecordDinteroError', data: { error, source: 'callback', at: at(7) } }]);
    expect(event?.type).toBe(type);
  });
});

describe('expiry', () => {
  const expire = (second: number): PaymentCommand => ({
    type: 'ExpireSession',
    data: { source: 'reconciler', at: at(second) },
  });
  it('does not expire a session before its time', () => spec.given(awaitingCard).when(expire(299)).thenNothing());
  it('expires an open session at its time', () =>
    spec
      .given(awaitingCard)
      .when(expire(300))
      .then([{ type: 'PaymentExpired', data: { source: 'reconciler', at: at(300), dinteroAt: at(300) } }]));
  it('dates an expiry by the end of its session, however late the reconciler records it', () =>
    spec
      .given(awaitingCard)
      .when(expire(4_000))
      .then([{ type: 'PaymentExpired', data: { source: 'reconciler', at: at(4_000), dinteroAt: at(300) } }]));
  it('never expires a captured payment', () =>
    spec
      .given([...awaitingCard, captured])
      .when(expire(600))
      .thenNothing());
  it.each(['ON_HOLD', 'AUTHORIZED', 'UNKNOWN'] as const)(
    'never expires a payment whose transaction Dintero reported %s: that transaction decides',
    (status) => {
      const reported = run(awaitingCard, [record(status)]);
      expect(reported.length).toBeGreaterThan(0);
      spec
        .given([...awaitingCard, ...reported])
        .when(expire(600))
        .thenNothing();
    },
  );
});

describe('void', () => {
  const authorized: PaymentEvent = {
    type: 'PaymentAuthorized',
    data: { transactionId: 'T12345678.tx1', amount: 39_900, source: 'callback', at: at(9) },
  };
  it('is requested for an authorised, uncaptured payment', () =>
    spec
      .given([...awaitingCard, authorized])
      .when({ type: 'RequestVoid', data: { by: 'till-3', at: at(10) } })
      .then([{ type: 'VoidRequested', data: { by: 'till-3', at: at(10) } }]));
  it('is refused after capture (a refund is needed instead)', () =>
    spec
      .given([...awaitingCard, captured])
      .when({ type: 'RequestVoid', data: { by: 'till-3', at: at(30) } })
      .thenFails('NOT_VOIDABLE', { paymentStatus: 'captured' }));
});

describe('an outcome Dintero reports as UNKNOWN', () => {
  const unknown = run(awaitingCard, [record('UNKNOWN')]);
  const flag: PaymentCommand = { type: 'FlagForReview', data: { at: at(59) } };

  it('gives the payment a status the POS can act on, naming the transaction', () => {
    const state = fold(paymentDecider, [...awaitingCard, ...unknown]);
    expect(state).toMatchObject({ status: 'outcome_unknown', transactionId: 'T12345678.tx1', unknownSince: at(20) });
  });

  it('is handed to a person once, and the payment stays open for Dintero to settle', () => {
    const flagged = run([...awaitingCard, ...unknown], [flag, flag]);
    expect(flagged).toEqual([
      {
        type: 'PaymentFlaggedForReview',
        data: { reason: 'outcome_unknown', transactionId: 'T12345678.tx1', since: at(20), at: at(59) },
      },
    ]);
    const settled = run([...awaitingCard, ...unknown, ...flagged], [record('CAPTURED', 'reconciler')]);
    expect(settled.map((e) => e.type)).toEqual(['PaymentCaptured']);
    expect(fold(paymentDecider, [...awaitingCard, ...unknown, ...flagged, ...settled])).not.toHaveProperty(
      'flaggedForReviewAt',
    );
  });

  it('hands a person, once, a payment whose session is over while its transaction is still on its way', () => {
    const afterExpiry: PaymentCommand = { type: 'FlagForReview', data: { at: '2026-11-23T10:20:00.000Z' } };
    for (const status of ['ON_HOLD', 'AUTHORIZED', 'INITIATED'] as const) {
      const open = run(awaitingCard, [record(status)]);
      // Before the session is over, it may yet end by itself.
      spec
        .given([...awaitingCard, ...open])
        .when(flag)
        .thenNothing();
      expect(run([...awaitingCard, ...open], [afterExpiry, afterExpiry])).toEqual([
        {
          type: 'PaymentFlaggedForReview',
          data: {
            reason: 'not_final',
            transactionId: 'T12345678.tx1',
            since: requested.expiresAt,
            at: '2026-11-23T10:20:00.000Z',
          },
        },
      ]);
    }
    // Without a transaction, an expired session ends the payment rather than a person.
    spec.given(awaitingCard).when(afterExpiry).thenNothing();
  });

  it('hands a person, once, a payment the reconciler cannot settle once its session is over, saying why', () => {
    const problem = 'Dintero transaction status "PENDING_REVIEW" is not one this engine knows';
    const cannot = (when: string): PaymentCommand => ({ type: 'FlagForReview', data: { at: when, problem } });
    // Before the session is over, Dintero's own report may yet settle it.
    spec
      .given(awaitingCard)
      .when(cannot(at(59)))
      .thenNothing();
    for (const given of [awaitingCard, [...awaitingCard, ...run(awaitingCard, [record('AUTHORIZED')])]]) {
      const flagged = run(given, [cannot('2026-11-23T10:20:00.000Z'), cannot('2026-11-23T10:21:00.000Z')]);
      expect(flagged).toEqual([
        {
          type: 'PaymentFlaggedForReview',
          data: {
            reason: 'not_settleable',
            ...(given === awaitingCard ? {} : { transactionId: 'T12345678.tx1' }),
            since: requested.expiresAt,
            problem,
            at: '2026-11-23T10:20:00.000Z',
          },
        },
      ]);
      expect(fold(paymentDecider, [...given, ...flagged]).status).toBe(fold(paymentDecider, given).status);
    }
    spec
      .given([...awaitingCard, captured])
      .when(cannot('2026-11-23T10:20:00.000Z'))
      .thenNothing();
    spec
      .given(awaitingCard)
      .when({ type: 'FlagForReview', data: { at: '2026-11-23T10:20:00.000Z', problem: 'x'.repeat(501) } })
      .thenFails('VALIDATION_FAILED', { field: 'problem' });
  });

  it('is not flagged while the outcome is known or the payment has ended', () => {
    spec.given(awaitingCard).when(flag).thenNothing();
    spec
      .given([...awaitingCard, captured])
      .when(flag)
      .thenNothing();
  });

  it('is known again when a new transaction starts: awaiting the card, no longer flagged', () => {
    const flagged = run([...awaitingCard, ...unknown], [flag]);
    const again = run(
      [...awaitingCard, ...unknown, ...flagged],
      [record('INITIATED', 'callback', { transactionId: 'T12345678.tx2' })],
    );
    const state = fold(paymentDecider, [...awaitingCard, ...unknown, ...flagged, ...again]);
    expect(state).toMatchObject({ status: 'awaiting_card', transactionId: 'T12345678.tx2' });
    expect(state).not.toHaveProperty('unknownSince');
    expect(state).not.toHaveProperty('flaggedForReviewAt');
  });

  it('does not take a late session record for a session creation that was unknown', () =>
    spec
      .given([...awaitingCard, ...unknown])
      .when({ type: 'RecordSessionCreated', data: { sessionId: 'other', expiresAt: requested.expiresAt, at: at(30) } })
      .thenNothing());
});

describe("Dintero's own time of a fact (the business day is the day Dintero captured)", () => {
  const dinteroAt = '2026-11-23T09:59:55.000Z';

  it('is kept beside the receipt time on a capture, a refusal and a void', () => {
    for (const status of ['CAPTURED', 'DECLINED', 'FAILED', 'AUTHORIZATION_VOIDED'] as const) {
      const [event] = run(awaitingCard, [record(status, 'reconciler', { dinteroAt })]);
      expect(event?.data).toMatchObject({ at: at(20), dinteroAt });
    }
  });

  it('is kept on a late capture and on a refund outcome', () => {
    const [late] = run(
      [...awaitingCard, captured],
      [record('CAPTURED', 'webhook', { transactionId: 'tx2', dinteroAt })],
    );
    expect(late).toMatchObject({ type: 'LateCaptureRecorded', data: { dinteroAt } });
    const refunded = run(
      [...awaitingCard, captured],
      [
        {
          type: 'RequestRefund',
          data: { refundId: 'r1', amount: 100, terminalId: 'T-2', claimId: 'r1', by: 'till-3', at: at(40) },
        },
        {
          type: 'RecordRefundOutcome',
          data: { refundId: 'r1', outcome: 'succeeded', source: 'callback', at: at(50), dinteroAt },
        },
      ],
    );
    expect(refunded[1]).toEqual({
      type: 'RefundSucceeded',
      data: { refundId: 'r1', source: 'callback', at: at(50), dinteroAt },
    });
  });
});

describe('refunds (invariant 8: never more than captured)', () => {
  const refund = (refundId: string, amount: number): PaymentCommand => ({
    type: 'RequestRefund',
    data: { refundId, amount, terminalId: 'T-2', claimId: `claim-${refundId}`, by: 'till-3', at: at(40) },
  });
  const outcome = (refundId: string, result: 'succeeded' | 'failed' | 'unknown'): PaymentCommand => ({
    type: 'RecordRefundOutcome',
    data: { refundId, outcome: result, source: 'webhook', at: at(50) },
  });

  it('refunds in part, then the rest, on the terminal where the cardholder is', () => {
    const events = run(
      [...awaitingCard, captured],
      [refund('r1', 10_000), outcome('r1', 'succeeded'), refund('r2', 29_900), outcome('r2', 'succeeded')],
    );
    expect(events.map((e) => e.type)).toEqual([
      'RefundRequested',
      'RefundSucceeded',
      'RefundRequested',
      'RefundSucceeded',
    ]);
  });

  it('refuses a refund over what is left, counting pending and unknown refunds', () => {
    spec
      .given([...awaitingCard, captured])
      .when(refund('r1', 39_901))
      .thenFails('REFUND_EXCEEDS_CAPTURED', { refundable: 39_900 });
    spec
      .given([...awaitingCard, captured, refundRequested('r1', 30_000)])
      .when(refund('r2', 10_000))
      .thenFails('REFUND_EXCEEDS_CAPTURED', { refundable: 9_900 });
    const unknown = run([...awaitingCard, captured, refundRequested('r1', 30_000)], [outcome('r1', 'unknown')]);
    spec
      .given([...awaitingCard, captured, refundRequested('r1', 30_000), ...unknown])
      .when(refund('r2', 10_000))
      .thenFails('REFUND_EXCEEDS_CAPTURED');
  });

  it('frees the amount of a failed refund', () => {
    const failed = run([...awaitingCard, captured, refundRequested('r1', 39_900)], [outcome('r1', 'failed')]);
    spec
      .given([...awaitingCard, captured, refundRequested('r1', 39_900), ...failed])
      .when(refund('r2', 39_900))
      .then([refundRequested('r2', 39_900)]);
  });

  it('hands a person, once, a refund Dintero accepted and has not finished, or one that cannot be settled', () => {
    const flag = (problem?: string): PaymentCommand => ({
      type: 'FlagRefundForReview',
      data: { refundId: 'r1', at: at(90), ...(problem === undefined ? {} : { problem }) },
    });
    const accepted: PaymentEvent = {
      type: 'RefundAccepted',
      data: { refundId: 'r1', source: 'command-service', at: at(41) },
    };
    const pending = [...awaitingCard, captured, refundRequested('r1', 30_000)];
    const flagged = run([...pending, accepted], [flag(), flag(), flag('Dintero unreachable')]);
    expect(flagged).toEqual([
      {
        type: 'RefundFlaggedForReview',
        data: {
          refundId: 'r1',
          amount: 30_000,
          currency: 'NOK',
          terminalId: 'T-2',
          reason: 'not_final',
          since: at(40),
          at: at(90),
        },
      },
    ]);
    // Flagged, it keeps its status and its amount committed; its outcome still settles it.
    const state = fold(paymentDecider, [...pending, accepted, ...flagged]);
    expect(state.status === 'captured' && state.refunds.r1).toMatchObject({
      status: 'accepted',
      flaggedForReviewAt: at(90),
    });
    spec
      .given([...pending, accepted, ...flagged])
      .when(refund('r2', 10_000))
      .thenFails('REFUND_EXCEEDS_CAPTURED');
    expect(run([...pending, accepted, ...flagged], [outcome('r1', 'succeeded')]).map((e) => e.type)).toEqual([
      'RefundSucceeded',
    ]);
    // Pending or unknown, the reconciler settles it itself, unless it cannot (then, with what stops it).
    spec.given(pending).when(flag()).thenNothing();
    expect(run(pending, [flag('Dintero unreachable')])).toEqual([
      {
        type: 'RefundFlaggedForReview',
        data: {
          refundId: 'r1',
          amount: 30_000,
          currency: 'NOK',
          terminalId: 'T-2',
          reason: 'not_settleable',
          since: at(40),
          problem: 'Dintero unreachable',
          at: at(90),
        },
      },
    ]);
    // With an outcome, never; an unknown refund, refused; a problem too long, refused.
    const succeeded = run(pending, [outcome('r1', 'succeeded')]);
    spec
      .given([...pending, ...succeeded])
      .when(flag('Dintero unreachable'))
      .thenNothing();
    spec
      .given(pending)
      .when({ type: 'FlagRefundForReview', data: { refundId: 'r9', at: at(90) } })
      .thenFails('UNKNOWN_REFUND');
    spec
      .given(pending)
      .when(flag('x'.repeat(501)))
      .thenFails('VALIDATION_FAILED', { field: 'problem' });
  });

  it('records a refund outcome once, and never changes a known one', () => {
    const given = [...awaitingCard, captured, refundRequested('r1', 100)];
    expect(
      run(given, [outcome('r1', 'succeeded'), outcome('r1', 'succeeded'), outcome('r1', 'failed')]).map((e) => e.type),
    ).toEqual(['RefundSucceeded']);
  });

  describe('a refund failed for Dintero’s silence (no silent money, invariant 4)', () => {
    const submitted: PaymentEvent = { type: 'RefundSubmitted', data: { refundId: 'r1', at: at(41) } };
    const silence: PaymentCommand = {
      type: 'RecordRefundOutcome',
      data: {
        refundId: 'r1',
        outcome: 'failed',
        reason: 'no trace at Dintero',
        noTrace: true,
        source: 'reconciler',
        at: at(99),
      },
    };

    it('is recorded as made, once, when Dintero shows it made after all, and stops what is left to refund', () => {
      const given = [...awaitingCard, captured, refundRequested('r1', 30_000), submitted];
      const events = run(given, [
        silence,
        outcome('r1', 'succeeded'),
        outcome('r1', 'succeeded'),
        outcome('r1', 'failed'),
      ]);
      expect(events).toEqual([
        {
          type: 'RefundFailed',
          data: { refundId: 'r1', reason: 'no trace at Dintero', noTrace: true, source: 'reconciler', at: at(99) },
        },
        {
          type: 'LateRefundRecorded',
          data: { refundId: 'r1', amount: 30_000, currency: 'NOK', terminalId: 'T-2', source: 'webhook', at: at(50) },
        },
      ]);
      const state = fold(paymentDecider, [...given, ...events]);
      expect(state.status === 'captured' && state.refunds['r1']).toEqual(
        expect.objectContaining({ status: 'succeeded', finishedAt: at(50) }),
      );
      expect(state.status === 'captured' && state.refunds['r1']).not.toHaveProperty('reason');
      spec
        .given([...given, ...events])
        .when(refund('r2', 10_000))
        .thenFails('REFUND_EXCEEDS_CAPTURED', { refundable: 9_900 });
    });

    it('leaves nothing, not less than nothing, to refund when the POS refunded again before it showed made', () => {
      const given = [...awaitingCard, captured, refundRequested('r1', 39_900), submitted];
      const failed = run(given, [silence]);
      const again = [
        refundRequested('r2', 39_900),
        ...run([...given, ...failed, refundRequested('r2', 39_900)], [outcome('r2', 'succeeded')]),
      ];
      const late = run([...given, ...failed, ...again], [outcome('r1', 'succeeded')]);
      expect(late.map((e) => e.type)).toEqual(['LateRefundRecorded']);
      spec
        .given([...given, ...failed, ...again, ...late])
        .when(refund('r3', 1))
        .thenFails('REFUND_EXCEEDS_CAPTURED', { refundable: 0 });
    });

    it('keeps its amount from being refunded again once Dintero takes it after all (202): it may yet be made', () => {
      const given = [...awaitingCard, captured, refundRequested('r1', 39_900), submitted];
      const failed = run(given, [silence]);
      // Failed for silence, and nothing since: the amount is free again.
      spec
        .given([...given, ...failed])
        .when(refund('r2', 39_900))
        .then([expect.objectContaining({ type: 'RefundRequested' })]);
      const taken = run(
        [...given, ...failed],
        [
          {
            type: 'RecordRefundOutcome',
            data: { refundId: 'r1', outcome: 'accepted', requestId: 'req-1', source: 'reconciler', at: at(100) },
          },
        ],
      );
      spec
        .given([...given, ...failed, ...taken])
        .when(refund('r2', 1))
        .thenFails('REFUND_EXCEEDS_CAPTURED', { refundable: 0 });
      // Dintero's own no frees it again.
      const refused = run([...given, ...failed, ...taken], [outcome('r1', 'failed')]);
      expect(refused.map((e) => e.type)).toEqual(['RefundFailed']);
      spec
        .given([...given, ...failed, ...taken, ...refused])
        .when(refund('r2', 39_900))
        .then([expect.objectContaining({ type: 'RefundRequested' })]);
    });

    it('takes Dintero’s own no in place of the guess, also when its 202 was never recorded, once', () => {
      const given = [...awaitingCard, captured, refundRequested('r1', 30_000), submitted];
      const failed = run(given, [silence]);
      // One delivery shows the refund's start and the cardholder's refusal together: only the refusal is told.
      const refused = run([...given, ...failed], [outcome('r1', 'failed'), outcome('r1', 'failed'), silence]);
      expect(refused).toEqual([
        expect.objectContaining({ type: 'RefundFailed', data: expect.objectContaining({ amount: 30_000 }) }),
      ]);
      const refund = refundOf(fold(paymentDecider, [...given, ...failed, ...refused]));
      expect(refund).toEqual(expect.objectContaining({ status: 'failed' }));
      expect(refund.noTrace).toBeUndefined();
      expect(refundFollowed(refund)).toBe(false);
    });

    it('learns the request id of a 202 that comes after, so that a result naming only that request is found', () => {
      const given = [...awaitingCard, captured, refundRequested('r1', 30_000), submitted];
      const accepted = (requestId: string): PaymentCommand => ({
        type: 'RecordRefundOutcome',
        data: { refundId: 'r1', outcome: 'accepted', requestId, source: 'command-service', at: at(100) },
      });
      const events = run(given, [silence, accepted('req-1'), accepted('req-1'), accepted('req-2')]);
      expect(events.map((e) => e.type)).toEqual(['RefundFailed', 'RefundAccepted']);
      const state = fold(paymentDecider, [...given, ...events]);
      expect(state.status === 'captured' && state.refunds['r1']).toEqual(
        expect.objectContaining({ status: 'failed', noTrace: true, dinteroRequestId: 'req-1' }),
      );
      expect(run([...given, ...events], [outcome('r1', 'succeeded')]).map((e) => e.type)).toEqual([
        'LateRefundRecorded',
      ]);
    });

    it('is followed once Dintero takes it after all, and handed to a person as not finished, once', () => {
      const given = [...awaitingCard, captured, refundRequested('r1', 30_000), submitted];
      const failed = run(given, [silence]);
      const review: PaymentCommand = { type: 'FlagRefundForReview', data: { refundId: 'r1', at: at(200) } };
      // Failed for silence, and nothing since: no one is to look at it.
      expect(refundFollowed(refundOf(fold(paymentDecider, [...given, ...failed])))).toBe(false);
      spec
        .given([...given, ...failed])
        .when(review)
        .thenNothing();
      const accepted = run(
        [...given, ...failed],
        [
          {
            type: 'RecordRefundOutcome',
            data: { refundId: 'r1', outcome: 'accepted', requestId: 'req-1', source: 'reconciler', at: at(150) },
          },
        ],
      );
      const taken = fold(paymentDecider, [...given, ...failed, ...accepted]);
      expect(refundOf(taken)).toMatchObject({ status: 'failed', acceptedLateAt: at(150) });
      expect(refundFollowed(refundOf(taken))).toBe(true);
      const flagged = run([...given, ...failed, ...accepted], [review, review]);
      expect(flagged).toEqual([
        expect.objectContaining({
          type: 'RefundFlaggedForReview',
          data: expect.objectContaining({ reason: 'not_final' }),
        }),
      ]);
      // Made after all: followed no longer.
      const made = run([...given, ...failed, ...accepted, ...flagged], [outcome('r1', 'succeeded')]);
      expect(
        refundFollowed(refundOf(fold(paymentDecider, [...given, ...failed, ...accepted, ...flagged, ...made]))),
      ).toBe(false);
      // Or declined by the cardholder: Dintero's word recorded once in place of the guess, and followed no longer.
      const declined = run(
        [...given, ...failed, ...accepted, ...flagged],
        [outcome('r1', 'failed'), outcome('r1', 'failed')],
      );
      expect(declined).toEqual([
        expect.objectContaining({ type: 'RefundFailed', data: expect.not.objectContaining({ noTrace: true }) }),
      ]);
      // With what a consumer forgot on the first failure: its amount and terminal.
      expect(declined[0]?.data).toMatchObject({ amount: 30_000, terminalId: 'T-2' });
      const ended = refundOf(fold(paymentDecider, [...given, ...failed, ...accepted, ...flagged, ...declined]));
      expect(ended).toMatchObject({ status: 'failed' });
      expect(ended).not.toHaveProperty('noTrace');
      expect(refundFollowed(ended)).toBe(false);
    });

    it('is handed to a person again when taken late, though it was flagged while it pended', () => {
      const given = [...awaitingCard, captured, refundRequested('r1', 30_000), submitted];
      const unsettleable = run(given, [
        { type: 'FlagRefundForReview', data: { refundId: 'r1', at: at(60), problem: 'Dintero unreachable' } },
        silence,
      ]);
      const accepted = run(
        [...given, ...unsettleable],
        [
          {
            type: 'RecordRefundOutcome',
            data: { refundId: 'r1', outcome: 'accepted', requestId: 'req-1', source: 'reconciler', at: at(150) },
          },
        ],
      );
      expect(refundOf(fold(paymentDecider, [...given, ...unsettleable, ...accepted]))).not.toHaveProperty(
        'flaggedForReviewAt',
      );
      expect(
        run(
          [...given, ...unsettleable, ...accepted],
          [{ type: 'FlagRefundForReview', data: { refundId: 'r1', at: at(200) } }],
        ),
      ).toEqual([expect.objectContaining({ type: 'RefundFlaggedForReview' })]);
    });

    it('is marked failed for silence only once sent; a refund booked failed that Dintero shows made is recorded, once', () => {
      // Not sent when its silence was taken as a no: failed, and not marked, since nothing was sent to be silent on.
      const unsent = run([...awaitingCard, captured, refundRequested('r1', 30_000)], [silence]);
      expect(unsent).toEqual([expect.not.objectContaining({ data: expect.objectContaining({ noTrace: true }) })]);
      // Yet a run that was only paused may send it after all: Dintero's record of it made is the money that moved.
      const late = run(
        [...awaitingCard, captured, refundRequested('r1', 30_000), ...unsent],
        [outcome('r1', 'succeeded'), outcome('r1', 'succeeded')],
      );
      expect(late.map((e) => e.type)).toEqual(['LateRefundRecorded']);
      // Refused by Dintero (a first try at the terminal), then made by a second try: the last word counts.
      const refused = [...awaitingCard, captured, refundRequested('r1', 30_000), submitted];
      const failed = run(refused, [outcome('r1', 'failed')]);
      expect(failed).toEqual([expect.not.objectContaining({ data: expect.objectContaining({ noTrace: true }) })]);
      const madeGood = run([...refused, ...failed], [outcome('r1', 'succeeded'), outcome('r1', 'failed')]);
      expect(madeGood).toEqual([
        {
          type: 'LateRefundRecorded',
          data: { refundId: 'r1', amount: 30_000, currency: 'NOK', terminalId: 'T-2', source: 'webhook', at: at(50) },
        },
      ]);
      const state = fold(paymentDecider, [...refused, ...failed, ...madeGood]);
      expect(state.status === 'captured' && state.refunds['r1']).toEqual(
        expect.objectContaining({ status: 'succeeded', finishedAt: at(50) }),
      );
      spec
        .given([...refused, ...failed, ...madeGood])
        .when(refund('r2', 10_000))
        .thenFails('REFUND_EXCEEDS_CAPTURED', { refundable: 9_900 });
    });

    it('marks a "not sent" failure that raced the send as failed for silence', () => {
      // The resumed request found the refund unsent and its hold lapsed; the first run, only paused, sent it meanwhile.
      const sent = [...awaitingCard, captured, refundRequested('r1', 30_000), submitted];
      expect(run(sent, [silence])).toEqual([
        expect.objectContaining({ type: 'RefundFailed', data: expect.objectContaining({ noTrace: true }) }),
      ]);
    });
  });

  it('records a refund Dintero accepted (202) once, keeps its amount committed, and settles it by its result', () => {
    const given = [...awaitingCard, captured, refundRequested('r1', 39_900)];
    const accepted: PaymentCommand = {
      type: 'RecordRefundOutcome',
      data: { refundId: 'r1', outcome: 'accepted', requestId: 'req-1', source: 'command-service', at: at(45) },
    };
    const events = run(given, [accepted, accepted, outcome('r1', 'unknown'), outcome('r1', 'succeeded')]);
    expect(events).toEqual([
      { type: 'RefundAccepted', data: { refundId: 'r1', requestId: 'req-1', source: 'command-service', at: at(45) } },
      { type: 'RefundSucceeded', data: { refundId: 'r1', source: 'webhook', at: at(50) } },
    ]);
    spec
      .given([...given, events[0]!])
      .when(refund('r2', 1))
      .thenFails('REFUND_EXCEEDS_CAPTURED', { refundable: 0 });
    const state = fold(paymentDecider, [...given, ...events]);
    expect(state.status === 'captured' && state.refunds['r1']).toMatchObject({
      status: 'succeeded',
      dinteroRequestId: 'req-1',
      finishedAt: at(50),
    });
  });

  it('is idempotent for the same refund and refuses the same id with other details', () => {
    spec
      .given([...awaitingCard, captured, refundRequested('r1', 100)])
      .when(refund('r1', 100))
      .thenNothing();
    spec
      .given([...awaitingCard, captured, refundRequested('r1', 100)])
      .when(refund('r1', 200))
      .thenFails('VALIDATION_FAILED');
  });

  it.each([
    ['an uncaptured payment', awaitingCard, 'NOT_REFUNDABLE'],
    ['no payment', [], 'PAYMENT_NOT_FOUND'],
  ] as const)('refuses to refund %s', (_case, given, code) =>
    spec.given(given).when(refund('r1', 100)).thenFails(code),
  );

  it('refuses a fractional or zero refund, and an unknown refund outcome', () => {
    spec
      .given([...awaitingCard, captured])
      .when(refund('r1', 10.5))
      .thenFails('VALIDATION_FAILED');
    spec
      .given([...awaitingCard, captured])
      .when(refund('r1', 0))
      .thenFails('VALIDATION_FAILED');
    spec
      .given([...awaitingCard, captured])
      .when(outcome('nope', 'succeeded'))
      .thenFails('UNKNOWN_REFUND');
  });
});

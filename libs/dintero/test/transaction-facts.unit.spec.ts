import {
  UnrecognisedTransactionStatusError,
  externalRefunds,
  refundOutcomes,
  sessionError,
  sessionErrorTime,
  transactionFact,
  type DinteroSession,
  type DinteroTransaction,
} from '@app/dintero';
import {
  fold,
  paymentDecider,
  refundableAmount,
  type PaymentCommand,
  type PaymentEvent,
  type PaymentState,
} from '@app/payment-domain';

/** Payment `pay-1` of 10,000 NOK asked for at Oslo center's T-1. */
const paymentRequested: PaymentEvent = {
  type: 'PaymentRequested',
  data: {
    paymentId: 'pay-1',
    storeId: 'oslo-center',
    terminalId: 'T-1',
    payoutDestinationId: 'seller-1',
    claimId: 'pay-1',
    posClientId: 'till-1',
    amount: 10_000,
    currency: 'NOK',
    merchantReference: 'POS-1',
    requestedAt: '2026-11-24T09:59:00.000Z',
    expiresAt: '2026-11-24T10:05:00.000Z',
  },
};

const tx = (change: Partial<DinteroTransaction> = {}): DinteroTransaction => ({
  id: 'T12345678.tx1',
  status: 'CAPTURED',
  amount: 10_000,
  currency: 'NOK',
  merchant_reference: 'POS-1',
  merchant_reference_2: 'pay-1',
  card: { brand: 'VISA', masked_pan: '476173******0416', entry_method: 'contactless', type: 'Debit' },
  created_at: '2026-11-24T09:59:50.000Z',
  updated_at: '2026-11-24T10:00:30.000Z',
  events: [
    {
      id: 'e1',
      event: 'INITIALIZE',
      transaction_status: 'INITIATED',
      success: true,
      created_at: '2026-11-24T09:59:50Z',
    },
    {
      id: 'e2',
      event: 'AUTHORIZE',
      transaction_status: 'AUTHORIZED',
      success: true,
      created_at: '2026-11-24T09:59:54Z',
    },
    { id: 'e3', event: 'CAPTURE', transaction_status: 'CAPTURED', success: true, created_at: '2026-11-24T09:59:55Z' },
  ],
  ...change,
});

/** Refund r-1's successful `REFUND` event, carrying our reference as the specification has it. */
const refundOfR1 = (createdAt: string) => ({
  id: 'e4',
  event: 'REFUND',
  success: true,
  amount: 100,
  event_reference: 'r-1',
  created_at: createdAt,
});

const captured = (
  refunds: Record<string, 'pending' | 'unknown' | 'succeeded' | 'accepted'>,
  requestId?: string,
): PaymentState =>
  ({
    status: 'captured',
    paymentId: 'pay-1',
    storeId: 's',
    terminalId: 'T-1',
    claimId: 'pay-1',
    transactionId: 'T12345678.tx1',
    refunds: Object.fromEntries(
      Object.entries(refunds).map(([refundId, status]) => [
        refundId,
        {
          refundId,
          amount: 100,
          terminalId: 'T-2',
          claimId: refundId,
          status,
          requestedAt: '2026-11-24T10:01:00Z',
          ...(status === 'accepted' && requestId ? { dinteroRequestId: requestId } : {}),
        },
      ]),
    ),
  }) as unknown as PaymentState;

describe("an error's time from Dintero's session", () => {
  const session = (change: Partial<DinteroSession> = {}): DinteroSession => ({
    id: 'T12345678.s1',
    order: { amount: 100, currency: 'NOK', merchant_reference: 'r' },
    events: [
      { name: 'INITIATED', created_at: '2026-11-24T22:58:00Z' },
      { name: 'DECLINED', created_at: '2026-11-24T22:59:10+00:00' },
      { name: 'CANCELLED', created_at: '2026-11-24T22:59:58Z' },
    ],
    ...change,
  });

  it('is the cancel for a cancel, the refusal for a refusal, and nothing the session does not say', () => {
    expect(sessionErrorTime(session(), 'cancelled')).toBe('2026-11-24T22:59:58.000Z');
    expect(sessionErrorTime(session({ cancelled_at: '2026-11-24T22:59:57Z' }), 'cancelled')).toBe(
      '2026-11-24T22:59:57.000Z',
    );
    expect(sessionErrorTime(session(), 'authorization')).toBe('2026-11-24T22:59:10.000Z');
    expect(sessionErrorTime(session(), 'failed')).toBeUndefined();
    expect(sessionErrorTime(session({ events: undefined }), 'cancelled')).toBeUndefined();
  });

  it('is the refusal a session shows last, none when another try or an unknown outcome followed it', () => {
    const events = (...names: string[]) =>
      session({ events: names.map((name, i) => ({ name, created_at: `2026-11-24T22:5${i}:00Z` })) });
    expect(sessionError(session())).toBe('cancelled');
    expect(sessionError(events('INITIATED', 'DECLINED', 'AUTH_CALLBACK_SENT'))).toBe('authorization');
    expect(sessionError(events('INITIATED', 'PAY_FAILED'))).toBe('failed');
    expect(sessionError(events('INITIATED', 'DECLINED', 'INITIATED', 'UNKNOWN'))).toBeUndefined();
    expect(sessionError(events('INITIATED', 'DECLINED', 'INITIATED'))).toBeUndefined();
    expect(sessionError(events('INITIATED'))).toBeUndefined();
    // `COMPLETED` (undocumented) after a refusal does not overturn it.
    expect(sessionError(events('INITIATED', 'DECLINED', 'COMPLETED'))).toBe('authorization');
    expect(sessionError(session({ events: undefined, cancelled_at: '2026-11-24T22:59:57Z' }))).toBe('cancelled');
  });

  it('reads session events as the specification allows them, without a name or a time (SessionMeta.events)', () => {
    const spare = session({
      events: [{ name: 'INITIATED' }, { name: 'DECLINED', created_at: '2026-11-24T22:59:10Z' }, {}],
    });
    expect(sessionError(spare)).toBe('authorization');
    expect(sessionErrorTime(spare, 'authorization')).toBe('2026-11-24T22:59:10.000Z');
    expect(sessionErrorTime(session({ events: [{ name: 'DECLINED' }] }), 'authorization')).toBeUndefined();
  });
});

describe('a Dintero transaction as the specification allows it (every event field optional, no merchant_reference)', () => {
  it('gives the same fact as one whose events carry their ids and names', () => {
    const { merchant_reference: _reference, ...rest } = tx();
    const spare: DinteroTransaction = {
      ...rest,
      events: [
        { transaction_status: 'INITIATED', created_at: '2026-11-24T09:59:50Z' },
        { event: 'AUTHORIZE', transaction_status: 'AUTHORIZED', created_at: '2026-11-24T09:59:54Z' },
        { event: 'CAPTURE', transaction_status: 'CAPTURED', amount: 10_000, created_at: '2026-11-24T09:59:55Z' },
      ],
    };
    expect(transactionFact(spare)).toEqual({ ...transactionFact(tx()), capturedAmount: 10_000 });
  });
});

describe('a Dintero transaction as the domain’s facts (one mapping for every path)', () => {
  it('keeps the card without its number and Dintero’s time of the capture', () => {
    expect(transactionFact(tx())).toEqual({
      transactionId: 'T12345678.tx1',
      status: 'CAPTURED',
      amount: 10_000,
      currency: 'NOK',
      card: { brand: 'VISA', maskedPan: '476173******0416', entryMethod: 'contactless', type: 'Debit' },
      dinteroAt: '2026-11-24T09:59:55.000Z',
    });
  });

  it('counts what was captured by the successful CAPTURE events: less than the amount after a partial capture', () => {
    const capture = (id: string, amount: number, success = true) => ({
      id,
      event: 'CAPTURE',
      transaction_status: 'PARTIALLY_CAPTURED',
      success,
      amount,
      created_at: '2026-11-24T09:59:55Z',
    });
    const partly = tx({
      status: 'PARTIALLY_CAPTURED',
      events: [
        tx().events![0]!,
        tx().events![1]!,
        capture('c1', 4_000),
        capture('c2', 2_500, false),
        capture('c3', 1_000),
      ],
    });
    expect(transactionFact(partly)).toMatchObject({ amount: 10_000, capturedAmount: 5_000 });
    // More than one capture: each one's amount and time, to date what it added.
    const later = { ...capture('c4', 5_000), transaction_status: 'CAPTURED', created_at: '2026-11-25T08:00:00Z' };
    expect(transactionFact(tx({ status: 'CAPTURED', events: [...partly.events!, later] }))).toMatchObject({
      capturedAmount: 10_000,
      dinteroAt: '2026-11-24T09:59:55.000Z',
      captures: [
        { amount: 4_000, at: '2026-11-24T09:59:55.000Z' },
        { amount: 1_000, at: '2026-11-24T09:59:55.000Z' },
        { amount: 5_000, at: '2026-11-25T08:00:00.000Z' },
      ],
    });
    expect(transactionFact(tx({ events: [...tx().events!.slice(0, 2), capture('c1', 10_000)] }))).not.toHaveProperty(
      'captures',
    );
    // Capture events without an amount say nothing of it: the transaction's amount is all there is.
    expect(transactionFact(tx())).not.toHaveProperty('capturedAmount');
  });

  it('records nothing of a captured or authorised transaction whose money is not whole minor units of a currency', () => {
    // Booked as given, a capture of '10000' was added to the store day's totals as text ('0' + '10000'), one of 100.5
    // kept money that is not an integer (invariant 8), one without a currency counted in the payment's.
    const part = (amount: unknown) => ({ ...tx().events![2]!, id: `c-${String(amount)}`, amount: amount as number });
    const unreadable = [
      tx({ amount: '10000' as unknown as number }),
      tx({ amount: 100.5 }),
      tx({ amount: -10_000 }),
      tx({ currency: undefined as unknown as string }),
      tx({ currency: 'nok' }),
      tx({ status: 'AUTHORIZED', events: tx().events!.slice(0, 2), amount: 99.9 }),
      tx({ status: 'PARTIALLY_CAPTURED', events: [...tx().events!.slice(0, 2), part(2_000.5)] }),
      tx({ events: [...tx().events!.slice(0, 2), part(6_000), part(-1_000)] }),
    ];
    for (const transaction of unreadable)
      expect(() => transactionFact(transaction)).toThrow(
        /^Dintero transaction T12345678\.tx1 is [A-Z_]+ and gives money the engine cannot book/,
      );
    // A declined transaction books no money: its decline is recorded whatever its amount says.
    expect(transactionFact(tx({ status: 'DECLINED', events: tx().events!.slice(0, 1), amount: 100.5 }))).toMatchObject({
      status: 'DECLINED',
    });
  });

  it('records nothing of a transaction captured in part whose CAPTURE events say no amount', () => {
    // `amount` on an event is optional: the part taken is then unknown, and the authorised amount would overstate it.
    for (const status of ['PARTIALLY_CAPTURED', 'PARTIALLY_CAPTURED_REFUNDED'] as const) {
      const unsized = tx({
        status,
        events: [...tx().events!.slice(0, 2), { ...tx().events![2]!, transaction_status: 'PARTIALLY_CAPTURED' }],
      });
      expect(() => transactionFact(unsized)).toThrow(UnrecognisedTransactionStatusError);
      expect(() => transactionFact(unsized)).toThrow(
        `Dintero transaction T12345678.tx1 is ${status} and a CAPTURE event of it does not say how much`,
      );
    }
    const sized = { ...tx().events![2]!, id: 'c1', transaction_status: 'PARTIALLY_CAPTURED', amount: 2_000 };
    const unsized = { ...tx().events![2]!, id: 'c2', transaction_status: 'PARTIALLY_CAPTURED' };
    const voided = { id: 'v1', event: 'VOID', transaction_status: 'AUTHORIZATION_VOIDED', success: true };
    // One sized capture and one not: the sized one alone would understate what was taken.
    expect(() =>
      transactionFact(tx({ status: 'PARTIALLY_CAPTURED', events: [...tx().events!.slice(0, 2), sized, unsized] })),
    ).toThrow(UnrecognisedTransactionStatusError);
    // Its rest voided after a capture of no size: money was taken, and it is no void.
    expect(() =>
      transactionFact(
        tx({
          status: 'AUTHORIZATION_VOIDED',
          events: [...tx().events!.slice(0, 2), unsized, { ...voided, created_at: '2026-11-24T10:00:00Z' }],
        }),
      ),
    ).toThrow(UnrecognisedTransactionStatusError);
    // Captured in part, and no capture listed (`events` is optional): the part is unknown, not the authorised amount.
    for (const status of ['PARTIALLY_CAPTURED', 'PARTIALLY_CAPTURED_REFUNDED'] as const) {
      for (const events of [undefined, tx().events!.slice(0, 2)])
        expect(() => transactionFact(tx({ status, events }))).toThrow(
          `Dintero transaction T12345678.tx1 is ${status} and lists no successful CAPTURE event`,
        );
    }
    // A void that lists no capture took nothing: a void.
    expect(transactionFact(tx({ status: 'AUTHORIZATION_VOIDED', events: tx().events!.slice(0, 2) }))).toMatchObject({
      status: 'AUTHORIZATION_VOIDED',
    });
    // Captured in full: its amount, whatever its captures say, and no part counted short.
    const full = transactionFact(
      tx({ events: [...tx().events!.slice(0, 2), sized, { ...unsized, transaction_status: 'CAPTURED' }] }),
    );
    expect(full).toMatchObject({ capturedAmount: 10_000 });
    expect(full).not.toHaveProperty('captures');
  });

  it('books the rest of a partial capture that a capture of no stated size completed', () => {
    // 2,000 captured and booked; the rest captured later by a CAPTURE event that says no amount (CAPTURED).
    const part = { ...tx().events![2]!, id: 'c1', transaction_status: 'PARTIALLY_CAPTURED', amount: 2_000 };
    const rest = { ...tx().events![2]!, id: 'c2', created_at: '2026-11-25T08:00:00Z' };
    const record = (transaction: DinteroTransaction): PaymentCommand => ({
      type: 'RecordDinteroTransaction',
      data: { transaction: transactionFact(transaction), source: 'webhook', at: '2026-11-25T09:00:00.000Z' },
    });
    const events: PaymentEvent[] = [paymentRequested];
    for (const transaction of [
      tx({ status: 'PARTIALLY_CAPTURED', events: [...tx().events!.slice(0, 2), part] }),
      tx({ status: 'CAPTURED', events: [...tx().events!.slice(0, 2), part, rest] }),
    ])
      events.push(...paymentDecider.decide(record(transaction), fold(paymentDecider, events)));
    expect(events.map((event) => event.type)).toEqual([
      'PaymentRequested',
      'PaymentCaptured',
      'FurtherCaptureRecorded',
    ]);
    expect(fold(paymentDecider, events)).toMatchObject({ status: 'captured', capturedAmount: 10_000 });
  });

  it('dates a partial capture whose rest was voided by its capture, not by the void', () => {
    const voidedRest = tx({
      status: 'AUTHORIZATION_VOIDED',
      events: [
        ...tx().events!.slice(0, 2),
        {
          id: 'c1',
          event: 'CAPTURE',
          transaction_status: 'PARTIALLY_CAPTURED',
          success: true,
          amount: 4_000,
          created_at: '2026-11-24T09:59:55Z',
        },
        {
          id: 'v1',
          event: 'VOID',
          transaction_status: 'AUTHORIZATION_VOIDED',
          success: true,
          created_at: '2026-11-25T08:00:00Z',
        },
      ],
    });
    expect(transactionFact(voidedRest)).toMatchObject({
      status: 'AUTHORIZATION_VOIDED',
      capturedAmount: 4_000,
      dinteroAt: '2026-11-24T09:59:55.000Z',
    });
  });

  it('dates a refunded transaction by its capture, not by the refund that came after', () => {
    const refunded = tx({
      status: 'PARTIALLY_REFUNDED',
      events: [
        ...tx().events!,
        {
          id: 'e4',
          event: 'REFUND',
          transaction_status: 'PARTIALLY_REFUNDED',
          success: true,
          created_at: '2026-11-25T08:00:00Z',
        },
      ],
    });
    expect(transactionFact(refunded).dinteroAt).toBe('2026-11-24T09:59:55.000Z');
  });

  it('dates a refusal by its failed event, and a transaction without events by its updated_at', () => {
    const declined = tx({
      status: 'DECLINED',
      card: undefined,
      events: [
        {
          id: 'e2',
          event: 'AUTHORIZE',
          transaction_status: 'DECLINED',
          success: false,
          created_at: '2026-11-24T09:59:54+00:00',
          error: { code: 'INSUFFICIENT_FUNDS' },
        },
      ],
    });
    expect(transactionFact(declined)).toMatchObject({
      reason: 'INSUFFICIENT_FUNDS',
      dinteroAt: '2026-11-24T09:59:54.000Z',
    });
    expect(transactionFact(tx({ status: 'UNKNOWN', events: [] })).dinteroAt).toBe('2026-11-24T10:00:30.000Z');
  });

  it('dates a fact by the next time Dintero gives where its event’s time names a day that does not exist', () => {
    // V8's Date.parse reads 30 February as 2 March: the capture would be booked on a day it never happened.
    const impossible = tx({
      status: 'DECLINED',
      card: undefined,
      events: [
        {
          id: 'e2',
          event: 'AUTHORIZE',
          transaction_status: 'DECLINED',
          success: false,
          created_at: '2026-02-30T10:00:00Z',
          error: { code: 'INSUFFICIENT_FUNDS' },
        },
      ],
    });
    expect(transactionFact(impossible).dinteroAt).toBe('2026-11-24T10:00:30.000Z');
    expect(transactionFact(tx({ status: 'UNKNOWN', events: [], updated_at: '2026-11-24T24:00:00Z' })).dinteroAt).toBe(
      '2026-11-24T09:59:50.000Z',
    );
  });

  it('matches a refund by the specification’s event_reference, and by metadata.refund_reference', () => {
    const withRefunds = tx({
      status: 'PARTIALLY_REFUNDED',
      events: [
        ...tx().events!,
        refundOfR1('2026-11-24T10:02:00Z'),
        {
          id: 'e5',
          event: 'REFUND',
          success: false,
          amount: 100,
          metadata: { refund_reference: 'r-2' },
          created_at: '2026-11-24T10:03:00Z',
          error: { code: 'REFUND_DECLINED' },
        },
      ],
    });
    const outcomes = refundOutcomes(
      withRefunds,
      captured({ 'r-1': 'pending', 'r-2': 'unknown', 'r-3': 'succeeded' }),
      'webhook',
      'now',
    );
    expect(outcomes.map((c) => c.data)).toEqual([
      { refundId: 'r-1', outcome: 'succeeded', source: 'webhook', at: 'now', dinteroAt: '2026-11-24T10:02:00.000Z' },
      {
        refundId: 'r-2',
        outcome: 'failed',
        reason: 'REFUND_DECLINED',
        source: 'webhook',
        at: 'now',
        dinteroAt: '2026-11-24T10:03:00.000Z',
      },
    ]);
  });

  it('settles a refund of a late capture by its own transaction, never by the sale’s', () => {
    // A payment on tx1 whose customer cancelled, and tx2 captured after that, refunded with r-1.
    const state = fold(paymentDecider, [
      paymentRequested,
      {
        type: 'PaymentCancelled',
        data: { transactionId: 'T12345678.tx1', by: 'customer', source: 'callback', at: '2026-11-24T10:00:00.000Z' },
      },
      {
        type: 'LateCaptureRecorded',
        data: {
          transactionId: 'T12345678.tx2',
          amount: 10_000,
          currency: 'NOK',
          endedAs: 'cancelled',
          flaggedForReversal: true,
          source: 'webhook',
          at: '2026-11-24T10:01:00.000Z',
        },
      },
      {
        type: 'RefundRequested',
        data: {
          refundId: 'r-1',
          amount: 100,
          transactionId: 'T12345678.tx2',
          terminalId: 'T-2',
          claimId: 'r-1',
          by: 'till-1',
          at: '2026-11-24T10:01:30.000Z',
        },
      },
    ]);
    const refunded = {
      status: 'PARTIALLY_REFUNDED' as const,
      events: [...tx().events!, refundOfR1('2026-11-24T10:02:00Z')],
    };
    expect(
      refundOutcomes(tx({ ...refunded, id: 'T12345678.tx2' }), state, 'webhook', 'now').map((c) => c.data),
    ).toEqual([
      { refundId: 'r-1', outcome: 'succeeded', source: 'webhook', at: 'now', dinteroAt: '2026-11-24T10:02:00.000Z' },
    ]);
    expect(refundOutcomes(tx(refunded), state, 'webhook', 'now')).toEqual([]);
  });

  it('takes an INITIATE_REFUND as accepted, and settles an accepted refund by correlation_request_id', () => {
    const initiated = {
      id: 'e4',
      event: 'INITIATE_REFUND',
      success: true,
      amount: 100,
      event_reference: 'r-1',
      request_id: 'req-1',
      created_at: '2026-11-24T10:02:00Z',
    };
    const started = tx({ events: [...tx().events!, initiated] });
    expect(refundOutcomes(started, captured({ 'r-1': 'unknown' }), 'reconciler', 'now').map((c) => c.data)).toEqual([
      {
        refundId: 'r-1',
        outcome: 'accepted',
        requestId: 'req-1',
        source: 'reconciler',
        at: 'now',
        dinteroAt: '2026-11-24T10:02:00.000Z',
      },
    ]);
    // Read again while accepted: nothing new to record.
    expect(refundOutcomes(started, captured({ 'r-1': 'accepted' }, 'req-1'), 'webhook', 'now')).toEqual([]);
    // The result names the request, not the reference (Dintero need not repeat it on the completing event).
    const finished = tx({
      status: 'PARTIALLY_REFUNDED',
      events: [
        ...tx().events!,
        initiated,
        {
          id: 'e5',
          event: 'REFUND',
          success: false,
          amount: 100,
          correlation_request_id: 'req-1',
          created_at: '2026-11-24T10:04:00Z',
          error: { code: 'DECLINED', message: 'not confirmed' },
        },
      ],
    });
    expect(refundOutcomes(finished, captured({ 'r-1': 'accepted' }, 'req-1'), 'webhook', 'now')).toEqual([
      {
        type: 'RecordRefundOutcome',
        data: {
          refundId: 'r-1',
          outcome: 'failed',
          reason: 'DECLINED',
          source: 'webhook',
          at: 'now',
          dinteroAt: '2026-11-24T10:04:00.000Z',
        },
      },
    ]);
    // Another refund's event is never ours.
    expect(refundOutcomes(finished, captured({ 'r-9': 'pending' }), 'webhook', 'now')).toEqual([]);
  });

  it('asks again about a refund booked failed, for its silence or by Dintero: Dintero may show it made after all', () => {
    const made = tx({
      status: 'PARTIALLY_REFUNDED',
      events: [...tx().events!, refundOfR1('2026-11-24T11:00:00Z')],
    });
    const failed = (noTrace: boolean): PaymentState => {
      const state = captured({ 'r-1': 'pending' }) as Extract<PaymentState, { status: 'captured' }>;
      const refund = {
        ...state.refunds['r-1']!,
        status: 'failed' as const,
        ...(noTrace ? { noTrace: true as const } : {}),
      };
      return { ...state, refunds: { 'r-1': refund } };
    };
    expect(refundOutcomes(made, failed(true), 'webhook', 'now').map((c) => c.data)).toEqual([
      { refundId: 'r-1', outcome: 'succeeded', source: 'webhook', at: 'now', dinteroAt: '2026-11-24T11:00:00.000Z' },
    ]);
    // Refused at a first try at the terminal, made at a second: the last REFUND event of our reference tells.
    const refusedThenMade = tx({
      status: 'PARTIALLY_REFUNDED',
      events: [
        ...tx().events!,
        { ...refundOfR1('2026-11-24T10:59:00Z'), id: 'e3b', success: false, error: { code: 'DECLINED' } },
        refundOfR1('2026-11-24T11:00:00Z'),
      ],
    });
    expect(refundOutcomes(refusedThenMade, failed(false), 'webhook', 'now').map((c) => c.data)).toEqual([
      { refundId: 'r-1', outcome: 'succeeded', source: 'webhook', at: 'now', dinteroAt: '2026-11-24T11:00:00.000Z' },
    ]);
    // Accepted (202) after it was failed: its result may name only the request.
    const learnt: PaymentState = (() => {
      const state = failed(true) as Extract<PaymentState, { status: 'captured' }>;
      return { ...state, refunds: { 'r-1': { ...state.refunds['r-1']!, dinteroRequestId: 'req-1' } } };
    })();
    const initiated = { id: 'e4', event: 'INITIATE_REFUND', success: true, amount: 100, request_id: 'req-1' };
    const result = { id: 'e5', event: 'REFUND', success: true, amount: 100, correlation_request_id: 'req-1' };
    expect(refundOutcomes(tx({ events: [...tx().events!, initiated] }), learnt, 'webhook', 'now')).toEqual([]);
    expect(
      refundOutcomes(tx({ events: [...tx().events!, initiated, result] }), learnt, 'webhook', 'now').map((c) => c.data),
    ).toEqual([{ refundId: 'r-1', outcome: 'succeeded', source: 'webhook', at: 'now' }]);
  });

  it("reads a transaction without a status (optional in the specification) in its last event's status", () => {
    expect(transactionFact(tx({ status: undefined })).status).toBe('CAPTURED');
    const events = tx().events!.slice(0, 2);
    expect(transactionFact(tx({ status: undefined, events })).status).toBe('AUTHORIZED');
    expect(() => transactionFact(tx({ status: undefined, events: [] }))).toThrow(UnrecognisedTransactionStatusError);
    expect(() => transactionFact(tx({ status: 'SOMETHING_NEW' }))).toThrow(/"SOMETHING_NEW" is not one/);
  });

  it('takes an event that does not say whether it succeeded (success is optional) as done, unless it carries an error', () => {
    const { success: _success, ...unsaid } = refundOfR1('2026-11-24T11:00:00Z');
    const pending = captured({ 'r-1': 'pending' });
    expect(refundOutcomes(tx({ events: [...tx().events!, unsaid] }), pending, 'callback', 'now')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ outcome: 'succeeded' }) }),
    ]);
    const refused = { ...unsaid, error: { code: 'DECLINED' } };
    expect(refundOutcomes(tx({ events: [...tx().events!, refused] }), pending, 'callback', 'now')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ outcome: 'failed', reason: 'DECLINED' }) }),
    ]);
  });

  it('takes a failed INITIATE_REFUND as no acceptance, and adds a request id an acceptance lacked', () => {
    const initiation = (success: boolean) =>
      tx({
        events: [
          ...tx().events!,
          {
            id: 'e4',
            event: 'INITIATE_REFUND',
            success,
            amount: 100,
            event_reference: 'r-1',
            request_id: 'req-9',
            created_at: '2026-11-24T10:02:00Z',
          },
        ],
      });
    expect(refundOutcomes(initiation(false), captured({ 'r-1': 'unknown' }), 'reconciler', 'now')).toEqual([]);
    expect(
      refundOutcomes(initiation(true), captured({ 'r-1': 'accepted' }), 'reconciler', 'now').map((c) => c.data),
    ).toEqual([expect.objectContaining({ refundId: 'r-1', outcome: 'accepted', requestId: 'req-9' })]);
  });
});

describe('refunds made at Dintero by no refund of ours', () => {
  const elsewhere = (id: string, amount: number, createdAt: string, reference?: string) => ({
    id,
    event: 'REFUND',
    success: true,
    amount,
    ...(reference ? { event_reference: reference } : {}),
    created_at: createdAt,
  });
  const refunded = (...events: NonNullable<DinteroTransaction['events']>) =>
    tx({ status: 'PARTIALLY_REFUNDED', events: [...tx().events!, ...events] });
  const elsewhereOf = (transaction: DinteroTransaction, state: PaymentState) =>
    externalRefunds(transaction, state, 'webhook', 'now')?.data;

  it('gives what Dintero refunded beyond our own refunds, one refund after another, each dated by its own event', () => {
    const transaction = refunded(
      refundOfR1('2026-11-24T10:02:00Z'),
      elsewhere('e6', 500, '2026-11-25T12:00:00Z'),
      elsewhere('e5', 2_000, '2026-11-24T11:00:00Z', 'backoffice-1'),
    );
    expect(elsewhereOf(transaction, captured({ 'r-1': 'succeeded' }))).toEqual({
      transactionId: 'T12345678.tx1',
      refunds: [
        { before: 0, refundedElsewhere: 2_000, dinteroAt: '2026-11-24T11:00:00.000Z' },
        { before: 2_000, refundedElsewhere: 2_500, dinteroAt: '2026-11-25T12:00:00.000Z' },
      ],
      source: 'webhook',
      at: 'now',
    });
    // Our refund shown under the request id of its initiation, without our reference, is ours too.
    const byRequest = refunded(
      { id: 'e4', event: 'INITIATE_REFUND', success: true, amount: 100, event_reference: 'r-1', request_id: 'q-1' },
      { ...elsewhere('e5', 100, '2026-11-24T10:03:00Z'), correlation_request_id: 'q-1' },
    );
    expect(elsewhereOf(byRequest, captured({ 'r-1': 'unknown' }))).toBeUndefined();
  });

  it('leaves to our unsettled refunds what they may yet turn out to be: none is counted twice', () => {
    // A refund shown without any reference while one of ours of the same amount is unsettled may be ours.
    const transaction = refunded(elsewhere('e5', 100, '2026-11-24T10:03:00Z'));
    expect(elsewhereOf(transaction, captured({ 'r-1': 'unknown' }))).toBeUndefined();
    // More than ours could be: the rest was made elsewhere.
    const more = refunded(elsewhere('e5', 100, '2026-11-24T10:03:00Z'), elsewhere('e6', 900, '2026-11-24T10:04:00Z'));
    expect(elsewhereOf(more, captured({ 'r-1': 'unknown' }))?.refunds.at(-1)?.refundedElsewhere).toBe(900);
    // Recorded already: nothing new.
    const recorded = { ...captured({ 'r-1': 'unknown' }), refundedElsewhere: 900 } as PaymentState;
    expect(elsewhereOf(more, recorded)).toBeUndefined();
  });

  it('counts a refund made elsewhere after one of ours failed for Dintero’s silence, never taken', () => {
    // The POS's refund had no trace at Dintero; the sale was then refunded in Dintero's Backoffice.
    const base = captured({ 'r-1': 'pending' }) as Extract<PaymentState, { status: 'captured' }>;
    const failed = {
      ...base,
      refunds: { 'r-1': { ...base.refunds['r-1']!, status: 'failed', noTrace: true, reason: 'no trace at Dintero' } },
    } as PaymentState;
    const transaction = refunded(elsewhere('e5', 100, '2026-11-25T09:00:00Z'));
    expect(elsewhereOf(transaction, failed)?.refunds.at(-1)?.refundedElsewhere).toBe(100);
    // Taken by Dintero after all (202): it may still be made, and what the others are may be it.
    const taken = {
      ...failed,
      refunds: { 'r-1': { ...(failed as typeof base).refunds['r-1']!, dinteroRequestId: 'q-9' } },
    } as PaymentState;
    expect(elsewhereOf(transaction, taken)).toBeUndefined();
  });

  const capturedEvents = (): PaymentEvent[] => [
    {
      type: 'PaymentRequested',
      data: {
        paymentId: 'pay-1',
        storeId: 's',
        terminalId: 'T-1',
        payoutDestinationId: 'p',
        amount: 10_000,
        currency: 'NOK',
        merchantReference: 'POS-1',
        posClientId: 'pos',
        claimId: 'pay-1',
        requestedAt: '2026-11-24T09:59:00.000Z',
        expiresAt: '2026-11-24T10:09:00.000Z',
      },
    },
    {
      type: 'PaymentCaptured',
      data: { transactionId: 'T12345678.tx1', amount: 10_000, currency: 'NOK', source: 'callback', at: 'now' },
    },
  ];

  it('is recorded once, counts against what is left to refund, and never counts a payment’s other transaction', () => {
    const given = capturedEvents();
    const transaction = refunded(elsewhere('e5', 3_000, '2026-11-24T11:00:00Z', 'backoffice-1'));
    const events = [...given];
    for (let delivery = 0; delivery < 2; delivery++) {
      const command = externalRefunds(transaction, fold(paymentDecider, events), 'webhook', '2026-11-24T11:00:05.000Z');
      if (command) events.push(...paymentDecider.decide(command, fold(paymentDecider, events)));
    }
    expect(events.slice(given.length)).toEqual([
      expect.objectContaining({
        type: 'ExternalRefundRecorded',
        data: expect.objectContaining({ amount: 3_000, refundedElsewhere: 3_000 }),
      }),
    ]);
    const state = fold(paymentDecider, events);
    expect(state.status === 'captured' && refundableAmount(state)).toBe(7_000);
    expect(externalRefunds({ ...transaction, id: 'T12345678.other' }, state, 'webhook', 'now')).toBeUndefined();
  });

  it('holds back for none of our refunds of a late capture: they give back another transaction than the sale', () => {
    // A second transaction captured on the captured payment, given back in full by r-late; then the sale refunded
    // in part in Dintero's Backoffice. Dintero shows r-late on its own transaction, never on the sale's.
    const lateCaptured: PaymentEvent[] = [
      ...capturedEvents(),
      {
        type: 'LateCaptureRecorded',
        data: {
          transactionId: 'T12345678.tx2',
          amount: 5_000,
          currency: 'NOK',
          endedAs: 'captured',
          flaggedForReversal: true,
          source: 'webhook',
          at: 'now',
        },
      },
      {
        type: 'RefundRequested',
        data: {
          refundId: 'r-late',
          amount: 5_000,
          transactionId: 'T12345678.tx2',
          terminalId: 'T-2',
          claimId: 'r-late',
          by: 'pos',
          at: '2026-11-24T10:30:00.000Z',
        },
      },
    ];
    const backoffice = refunded(elsewhere('e5', 3_000, '2026-11-24T11:00:00Z', 'backoffice-1'));
    const succeeded: PaymentEvent = {
      type: 'RefundSucceeded',
      data: { refundId: 'r-late', source: 'webhook', at: 'now' },
    };
    // Under way, or made: either way, none of the sale's money.
    for (const events of [lateCaptured, [...lateCaptured, succeeded]])
      expect(elsewhereOf(backoffice, fold(paymentDecider, events))?.refunds.at(-1)?.refundedElsewhere).toBe(3_000);
  });

  it('gives what Dintero refunded of a late capture beyond our refunds of it, on that transaction', () => {
    // A payment cancelled on tx1, and tx2 captured after that: r-late (no reference on Dintero's events yet) gives
    // 4_000 of it back; 6_000 more were given back in Dintero's Backoffice.
    const cancelled = (refund: 'pending' | 'succeeded'): PaymentState =>
      fold(paymentDecider, [
        capturedEvents()[0]!,
        {
          type: 'PaymentCancelled',
          data: { transactionId: 'T12345678.tx1', by: 'customer', source: 'callback', at: 'now' },
        },
        {
          type: 'LateCaptureRecorded',
          data: {
            transactionId: 'T12345678.tx2',
            amount: 10_000,
            currency: 'NOK',
            endedAs: 'cancelled',
            flaggedForReversal: true,
            source: 'webhook',
            at: 'now',
          },
        },
        {
          type: 'RefundRequested',
          data: {
            refundId: 'r-late',
            amount: 4_000,
            transactionId: 'T12345678.tx2',
            terminalId: 'T-2',
            claimId: 'r-late',
            by: 'pos',
            at: '2026-11-24T10:30:00.000Z',
          },
        },
        ...(refund === 'succeeded'
          ? [{ type: 'RefundSucceeded' as const, data: { refundId: 'r-late', source: 'webhook' as const, at: 'now' } }]
          : []),
      ]);
    const late = tx({
      id: 'T12345678.tx2',
      status: 'REFUNDED',
      events: [
        ...tx().events!,
        elsewhere('e4', 4_000, '2026-11-24T10:31:00Z'),
        elsewhere('e5', 6_000, '2026-11-25T09:00:00Z', 'backoffice-1'),
      ],
    });
    // Ours still under way: the 4_000 without a reference may be it, so 4_000 of the two are held back (from the
    // newest), and 6_000 counted, each part on its own refund's day.
    expect(elsewhereOf(late, cancelled('pending'))).toEqual({
      transactionId: 'T12345678.tx2',
      refunds: [
        { before: 0, refundedElsewhere: 4_000, dinteroAt: '2026-11-24T10:31:00.000Z' },
        { before: 4_000, refundedElsewhere: 6_000, dinteroAt: '2026-11-25T09:00:00.000Z' },
      ],
      source: 'webhook',
      at: 'now',
    });
    // Ours made and named by no event: still held back (never counted twice).
    expect(elsewhereOf(late, cancelled('succeeded'))?.refunds.at(-1)?.refundedElsewhere).toBe(6_000);
    // Ours named by its reference: the Backoffice's refund alone, on its day.
    const named = tx({
      ...late,
      events: [
        ...tx().events!,
        { ...elsewhere('e4', 4_000, '2026-11-24T10:31:00Z'), event_reference: 'r-late' },
        elsewhere('e5', 6_000, '2026-11-25T09:00:00Z', 'backoffice-1'),
      ],
    });
    expect(elsewhereOf(named, cancelled('succeeded'))?.refunds).toEqual([
      { before: 0, refundedElsewhere: 6_000, dinteroAt: '2026-11-25T09:00:00.000Z' },
    ]);
    // Recorded already on that transaction: nothing new; and the cancelled transaction, which captured nothing, none.
    const recorded = { ...cancelled('succeeded'), lateRefundedElsewhere: { 'T12345678.tx2': 6_000 } } as PaymentState;
    expect(elsewhereOf(named, recorded)).toBeUndefined();
    expect(elsewhereOf({ ...named, id: 'T12345678.tx1' }, cancelled('succeeded'))).toBeUndefined();
  });

  it('records two refunds seen in one read as two, each on its day; the rest of one held back as no refund more', () => {
    const given = [...capturedEvents()];
    const decided = (transaction: DinteroTransaction, events: PaymentEvent[]) => {
      const command = externalRefunds(transaction, fold(paymentDecider, events), 'webhook', '2026-11-26T08:00:00.000Z');
      return command ? paymentDecider.decide(command, fold(paymentDecider, events)) : [];
    };
    const twoDays = refunded(
      elsewhere('e5', 1_000, '2026-11-23T15:00:00Z', 'backoffice-1'),
      elsewhere('e6', 2_000, '2026-11-24T15:00:00Z', 'backoffice-2'),
    );
    expect(decided(twoDays, given).map((event) => event.data)).toEqual([
      expect.objectContaining({ amount: 1_000, refundedElsewhere: 1_000, dinteroAt: '2026-11-23T15:00:00.000Z' }),
      expect.objectContaining({ amount: 2_000, refundedElsewhere: 3_000, dinteroAt: '2026-11-24T15:00:00.000Z' }),
    ]);
    // Half of the second was recorded before (the rest held back then): its rest is money, and no refund more.
    const half: PaymentEvent = {
      type: 'ExternalRefundRecorded',
      data: { transactionId: 'T12345678.tx1', amount: 2_000, refundedElsewhere: 2_000, source: 'webhook', at: 'now' },
    };
    const rest = decided(twoDays, [...given, half]);
    expect(rest.map((event) => event.data)).toEqual([
      expect.objectContaining({ amount: 1_000, refundedElsewhere: 3_000, continued: true }),
    ]);
    expect(decided(twoDays, [...given, half, ...rest])).toEqual([]);
  });

  it('refuses external refunds that do not follow one another', () => {
    const state = fold(paymentDecider, capturedEvents());
    const command = (refunds: { before: number; refundedElsewhere: number }[]): PaymentCommand => ({
      type: 'RecordExternalRefunds',
      data: { transactionId: 'T12345678.tx1', refunds, source: 'webhook', at: 'now' },
    });
    expect(() => paymentDecider.decide(command([{ before: 0, refundedElsewhere: 0 }]), state)).toThrow();
    expect(() =>
      paymentDecider.decide(
        command([
          { before: 0, refundedElsewhere: 500 },
          { before: 100, refundedElsewhere: 800 },
        ]),
        state,
      ),
    ).toThrow(/follow one another/);
  });
});

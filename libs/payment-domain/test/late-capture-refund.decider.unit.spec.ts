import {
  endedClaims,
  fold,
  isOpen,
  lateCurrencyOf,
  lateRefundableAmount,
  paymentDecider,
  refundCurrencyOf,
  refundableAmount,
  refundOf,
  type PaymentCommand,
  type PaymentEvent,
} from '@app/payment-domain';
import { deciderSpec } from './decider-spec';
import { at, awaitingCard, captured, refundRequested } from './payment-fixtures';

const spec = deciderSpec(paymentDecider);
/** Applies commands in turn, as command handling does, and returns every event recorded. */
function run(given: readonly PaymentEvent[], commands: readonly PaymentCommand[]): PaymentEvent[] {
  const events = [...given];
  for (const command of commands) events.push(...paymentDecider.decide(command, fold(paymentDecider, events)));
  return events.slice(given.length);
}

const cancelled: PaymentEvent = { type: 'PaymentCancelled', data: { by: 'customer', source: 'callback', at: at(10) } };
const lateCapture = (transactionId: string, amount: number, currency = 'NOK'): PaymentEvent => ({
  type: 'LateCaptureRecorded',
  data: {
    transactionId,
    amount,
    currency,
    endedAs: 'cancelled',
    flaggedForReversal: true,
    source: 'webhook',
    at: at(20),
  },
});
/** A cancelled payment whose transaction Dintero captured anyway. */
const capturedLate = [...awaitingCard, cancelled, lateCapture('T12345678.tx1', 39_900)];

const refund = (refundId: string, amount: number, change: Partial<RefundData> = {}): PaymentCommand => ({
  type: 'RequestRefund',
  data: { refundId, amount, terminalId: 'T-2', claimId: `claim-${refundId}`, by: 'till-3', at: at(40), ...change },
});
type RefundData = Extract<PaymentCommand, { type: 'RequestRefund' }>['data'];
/** A refund as this file's refunds are asked for: of a named transaction (the sale's unless given). */
const requestedRefund = (refundId: string, amount: number, transactionId = 'T12345678.tx1', currency = 'NOK') =>
  refundRequested(refundId, amount, { transactionId, currency });
const outcome = (refundId: string, result: 'succeeded' | 'failed' | 'unknown'): PaymentCommand => ({
  type: 'RecordRefundOutcome',
  data: { refundId, outcome: result, source: 'webhook', at: at(50) },
});
const ended = (events: readonly PaymentEvent[]) => {
  const state = fold(paymentDecider, events);
  if (state.status === 'none' || isOpen(state)) throw new Error(`payment is ${state.status}`);
  return state;
};

describe('refunding money captured after the payment had ended', () => {
  it('refunds the late capture in full, naming its transaction, on a payment that stays cancelled', () => {
    spec
      .given(capturedLate)
      .when(refund('r1', 39_900, { transactionId: 'T12345678.tx1' }))
      .then([requestedRefund('r1', 39_900)]);
    const events = run(capturedLate, [
      refund('r1', 39_900),
      { type: 'SubmitRefund', data: { refundId: 'r1', at: at(41) } },
      outcome('r1', 'succeeded'),
    ]);
    expect(events.map((event) => event.type)).toEqual(['RefundRequested', 'RefundSubmitted', 'RefundSucceeded']);
    const state = ended([...capturedLate, ...events]);
    expect(state.status).toBe('cancelled');
    expect(refundOf(state, 'r1')).toMatchObject({ transactionId: 'T12345678.tx1', status: 'succeeded' });
    expect(lateRefundableAmount(state, 'T12345678.tx1')).toBe(0);
    // Settled, the refund holds its terminal no longer.
    expect(endedClaims(state)).toContainEqual({ terminalId: 'T-2', claimId: 'claim-r1' });
  });

  it('refunds in parts up to what was captured late, counting pending and unknown refunds, not failed ones', () => {
    const unknown = run([...capturedLate, requestedRefund('r1', 30_000)], [outcome('r1', 'unknown')]);
    spec
      .given([...capturedLate, requestedRefund('r1', 30_000), ...unknown])
      .when(refund('r2', 9_901))
      .thenFails('REFUND_EXCEEDS_CAPTURED', { refundable: 9_900, captured: 39_900, transactionId: 'T12345678.tx1' });
    spec
      .given([...capturedLate, requestedRefund('r1', 30_000)])
      .when(refund('r2', 9_900))
      .then([requestedRefund('r2', 9_900)]);
    const failed = run([...capturedLate, requestedRefund('r1', 39_900)], [outcome('r1', 'failed')]);
    spec
      .given([...capturedLate, requestedRefund('r1', 39_900), ...failed])
      .when(refund('r2', 39_900))
      .then([requestedRefund('r2', 39_900)]);
  });

  it('gives back each part of a late capture taken in parts, no more than all of them', () => {
    const inParts = [...capturedLate, lateCapture('T12345678.tx1', 100)];
    spec.given(inParts).when(refund('r1', 40_001)).thenFails('REFUND_EXCEEDS_CAPTURED', { refundable: 40_000 });
    spec
      .given(inParts)
      .when(refund('r1', 40_000))
      .then([requestedRefund('r1', 40_000)]);
  });

  it('refuses a refund of more than was captured late, and changes nothing', () => {
    spec
      .given(capturedLate)
      .when(refund('r1', 39_901))
      .thenFails('REFUND_EXCEEDS_CAPTURED', { requested: 39_901, refundable: 39_900 });
  });

  it('refuses a refund of a payment that ended with nothing captured late', () =>
    spec
      .given([...awaitingCard, cancelled])
      .when(refund('r1', 100))
      .thenFails('NOT_REFUNDABLE', { paymentStatus: 'cancelled', lateCapturedTransactions: [] }));

  it('refuses a refund of a transaction that captured nothing late', () =>
    spec
      .given(capturedLate)
      .when(refund('r1', 100, { transactionId: 'T12345678.tx9' }))
      .thenFails('NOT_REFUNDABLE', { transactionId: 'T12345678.tx9' }));

  it('refuses a blank transaction as invalid, not as one that captured nothing late', () =>
    spec
      .given(capturedLate)
      .when(refund('r1', 100, { transactionId: ' ' }))
      .thenFails('VALIDATION_FAILED', { field: 'transactionId' }));

  it('refuses a refund in another currency than the payment and its late capture', () =>
    spec
      .given(capturedLate)
      .when(refund('r1', 100, { currency: 'SEK' }))
      .thenFails('VALIDATION_FAILED', { field: 'currency', currency: 'NOK' }));

  describe('a late capture in another currency than the payment', () => {
    // A payment in NOK (the fixtures'), whose cancelled transaction Dintero captured anyway in SEK.
    const inSek = [...awaitingCard, cancelled, lateCapture('T12345678.tx1', 12_000, 'SEK')];

    it('keeps its currency with it, and gives it back in that currency, never in the payment’s', () => {
      const state = ended(inSek);
      expect(lateCurrencyOf(state, 'T12345678.tx1')).toBe('SEK');
      expect(lateRefundableAmount(state, 'T12345678.tx1')).toBe(12_000);
      spec
        .given(inSek)
        .when(refund('r1', 12_000, { currency: 'SEK' }))
        .then([requestedRefund('r1', 12_000, 'T12345678.tx1', 'SEK')]);
      const refunded = ended([...inSek, requestedRefund('r1', 12_000, 'T12345678.tx1', 'SEK')]);
      expect(refundCurrencyOf(refunded, refundOf(refunded, 'r1')!)).toBe('SEK');
    });

    it('refuses a refund of it in the payment’s currency', () =>
      spec
        .given(inSek)
        .when(refund('r1', 100, { currency: 'NOK' }))
        .thenFails('VALIDATION_FAILED', { field: 'currency', currency: 'SEK', transactionId: 'T12345678.tx1' }));

    it('refuses a refund of it that names no currency, rather than take the amount as the payment’s', () =>
      spec
        .given(inSek)
        .when(refund('r1', 100))
        .thenFails('VALIDATION_FAILED', { field: 'currency', currency: 'SEK' }, /name currency SEK/));

    it('refuses a currency that is no ISO 4217 code', () =>
      spec
        .given(inSek)
        .when(refund('r1', 100, { currency: 'XYZ' }))
        .thenFails('VALIDATION_FAILED', { field: 'currency' }, /not an ISO 4217 code/));

    it('keeps the sale’s currency for the sale of a captured payment', () => {
      const both = [...awaitingCard, captured, lateCapture('T12345678.tx2', 5_000, 'SEK')];
      spec
        .given(both)
        .when(refund('r1', 100, { currency: 'SEK' }))
        .thenFails('VALIDATION_FAILED', { field: 'currency', currency: 'NOK' });
      spec
        .given(both)
        .when(refund('r1', 5_000, { transactionId: 'T12345678.tx2', currency: 'SEK' }))
        .then([requestedRefund('r1', 5_000, 'T12345678.tx2', 'SEK')]);
    });

    it('names its currency on every refund event of it, so that a feed consumer need not look for it', () => {
      const asked = [...inSek, requestedRefund('r1', 12_000, 'T12345678.tx1', 'SEK')];
      const failed = run(asked, [outcome('r1', 'failed')]);
      const made = run([...asked, ...failed], [outcome('r1', 'succeeded')]);
      expect(made).toEqual([
        expect.objectContaining({ type: 'LateRefundRecorded', data: expect.objectContaining({ currency: 'SEK' }) }),
      ]);
      const flagged = run(asked, [
        { type: 'FlagRefundForReview', data: { refundId: 'r1', problem: 'down', at: at(70) } },
      ]);
      expect(flagged).toEqual([
        expect.objectContaining({ type: 'RefundFlaggedForReview', data: expect.objectContaining({ currency: 'SEK' }) }),
      ]);
      const elsewhere = run(inSek, [
        {
          type: 'RecordExternalRefunds',
          data: {
            transactionId: 'T12345678.tx1',
            refunds: [{ before: 0, refundedElsewhere: 2_000 }],
            source: 'webhook',
            at: at(60),
          },
        },
      ]);
      expect(elsewhere).toEqual([
        expect.objectContaining({
          type: 'ExternalRefundRecorded',
          data: expect.objectContaining({ amount: 2_000, currency: 'SEK', lateCapture: true }),
        }),
      ]);
    });
  });

  it('asks which transaction to refund when more than one was captured late', () =>
    spec
      .given([...capturedLate, lateCapture('T12345678.tx2', 5_000)])
      .when(refund('r1', 100))
      .thenFails('NOT_REFUNDABLE', { lateCapturedTransactions: ['T12345678.tx1', 'T12345678.tx2'] }));

  it('takes the same refund again as done, and refuses its id for another transaction', () => {
    const twoLate = [
      ...capturedLate,
      lateCapture('T12345678.tx2', 5_000),
      requestedRefund('r1', 5_000, 'T12345678.tx2'),
    ];
    spec
      .given(twoLate)
      .when(refund('r1', 5_000, { transactionId: 'T12345678.tx2' }))
      .thenNothing();
    spec
      .given(twoLate)
      .when(refund('r1', 5_000, { transactionId: 'T12345678.tx1' }))
      .thenFails('VALIDATION_FAILED', { refundId: 'r1' });
  });

  it('keeps a refund of a late capture apart from the sale of a captured payment', () => {
    const both = [...awaitingCard, captured, lateCapture('T12345678.tx2', 5_000)];
    spec
      .given(both)
      .when(refund('r1', 5_001, { transactionId: 'T12345678.tx2' }))
      .thenFails('REFUND_EXCEEDS_CAPTURED', { refundable: 5_000 });
    const events = run(both, [refund('r1', 5_000, { transactionId: 'T12345678.tx2' }), refund('r2', 39_900)]);
    const { transactionId: _sale, ...ofTheSale } = requestedRefund('r2', 39_900).data;
    expect(events).toEqual([
      requestedRefund('r1', 5_000, 'T12345678.tx2'),
      { type: 'RefundRequested', data: ofTheSale },
    ]);
    const state = fold(paymentDecider, [...both, ...events]);
    if (state.status !== 'captured') throw new Error(`payment is ${state.status}`);
    expect(refundableAmount(state)).toBe(0);
    expect(lateRefundableAmount(state, 'T12345678.tx2')).toBe(0);
  });

  it('names the late capture on a refund of it that Dintero refused at first and then made', () => {
    const refused = run([...capturedLate, requestedRefund('r1', 39_900)], [outcome('r1', 'failed')]);
    spec
      .given([...capturedLate, requestedRefund('r1', 39_900), ...refused])
      .when(outcome('r1', 'succeeded'))
      .then([
        {
          type: 'LateRefundRecorded',
          data: {
            refundId: 'r1',
            amount: 39_900,
            currency: 'NOK',
            terminalId: 'T-2',
            transactionId: 'T12345678.tx1',
            source: 'webhook',
            at: at(50),
          },
        },
      ]);
  });

  it('refuses a refund of a payment still open', () =>
    spec.given(awaitingCard).when(refund('r1', 100)).thenFails('NOT_REFUNDABLE', { paymentStatus: 'awaiting_card' }));
});

describe('a late capture refunded at Dintero by no refund of ours', () => {
  const madeElsewhere = (
    transactionId: string,
    refunds: { before: number; refundedElsewhere: number; dinteroAt?: string }[],
  ): PaymentCommand => ({
    type: 'RecordExternalRefunds',
    data: { transactionId, refunds, source: 'webhook', at: at(60) },
  });
  const recordedElsewhere = (
    transactionId: string,
    amount: number,
    refundedElsewhere: number,
    dinteroAt: string,
  ): PaymentEvent => ({
    type: 'ExternalRefundRecorded',
    data: {
      transactionId,
      amount,
      currency: 'NOK',
      refundedElsewhere,
      lateCapture: true,
      source: 'webhook',
      at: at(60),
      dinteroAt,
    },
  });

  it('records it on the late capture, once, each refund on its day, and gives back no more than is left', () => {
    const given = [...capturedLate, requestedRefund('r1', 9_900)];
    const backoffice = madeElsewhere('T12345678.tx1', [
      { before: 0, refundedElsewhere: 10_000, dinteroAt: at(100) },
      { before: 10_000, refundedElsewhere: 25_000, dinteroAt: at(200) },
    ]);
    spec
      .given(given)
      .when(backoffice)
      .then([
        recordedElsewhere('T12345678.tx1', 10_000, 10_000, at(100)),
        recordedElsewhere('T12345678.tx1', 15_000, 25_000, at(200)),
      ]);
    const events = [...given, ...run(given, [backoffice, backoffice])];
    expect(events.filter((event) => event.type === 'ExternalRefundRecorded')).toHaveLength(2);
    // 39_900 captured late, 9_900 of ours under way, 25_000 given back elsewhere: 5_000 left.
    expect(lateRefundableAmount(ended(events), 'T12345678.tx1')).toBe(5_000);
    spec.given(events).when(refund('r2', 5_001)).thenFails('REFUND_EXCEEDS_CAPTURED', { refundable: 5_000 });
    // More given back elsewhere than was left: nothing left, never less than nothing.
    const more = run(events, [madeElsewhere('T12345678.tx1', [{ before: 25_000, refundedElsewhere: 35_000 }])]);
    expect(lateRefundableAmount(ended([...events, ...more]), 'T12345678.tx1')).toBe(0);
  });

  it('keeps the late capture and the sale of a captured payment apart, and records nothing of a transaction that captured nothing late', () => {
    const both = [...awaitingCard, captured, lateCapture('T12345678.tx2', 5_000)];
    const events = run(both, [
      madeElsewhere('T12345678.tx2', [{ before: 0, refundedElsewhere: 2_000 }]),
      madeElsewhere('T12345678.tx1', [{ before: 0, refundedElsewhere: 900 }]),
      madeElsewhere('T12345678.tx3', [{ before: 0, refundedElsewhere: 700 }]),
    ]);
    expect(events.map((event) => event.data)).toEqual([
      expect.objectContaining({ transactionId: 'T12345678.tx2', refundedElsewhere: 2_000, lateCapture: true }),
      expect.not.objectContaining({ lateCapture: expect.anything() }),
    ]);
    const state = fold(paymentDecider, [...both, ...events]);
    if (state.status !== 'captured') throw new Error(`payment is ${state.status}`);
    expect(state.refundedElsewhere).toBe(900);
    expect(refundableAmount(state)).toBe(39_000);
    expect(lateRefundableAmount(state, 'T12345678.tx2')).toBe(3_000);
    // A cancelled payment's own transaction that captured nothing late has nothing to give back.
    spec
      .given([...awaitingCard, cancelled, lateCapture('T12345678.tx2', 5_000)])
      .when(madeElsewhere('T12345678.tx1', [{ before: 0, refundedElsewhere: 100 }]))
      .thenNothing();
  });

  it('reads a refund made elsewhere recorded by a version before late captures were as the sale’s', () => {
    const before: PaymentEvent = {
      type: 'ExternalRefundRecorded',
      data: { transactionId: 'T12345678.tx1', amount: 900, refundedElsewhere: 900, source: 'webhook', at: at(60) },
    };
    const state = fold(paymentDecider, [...awaitingCard, captured, before]);
    if (state.status !== 'captured') throw new Error(`payment is ${state.status}`);
    expect(refundableAmount(state)).toBe(39_000);
    expect(state.lateRefundedElsewhere).toBeUndefined();
  });
});

import { paymentDecider, type PaymentEvent, type PaymentState } from '@app/payment-domain';
import { paymentView } from '../src/payments/payment.view';

const requested: PaymentEvent = {
  type: 'PaymentRequested',
  data: {
    paymentId: 'pay-1',
    storeId: 'oslo-1',
    terminalId: 'till-1',
    payoutDestinationId: 'seller-1',
    amount: 39_900,
    currency: 'NOK',
    merchantReference: 'POS-1',
    posClientId: 'till-3',
    claimId: 'claim-1',
    requestedAt: '2026-12-05T10:00:00.000Z',
    expiresAt: '2026-12-05T10:02:00.000Z',
  },
};
const sessionCreated: PaymentEvent = {
  type: 'SessionCreated',
  data: { sessionId: 'T12345678.s1', expiresAt: '2026-12-05T10:02:00.000Z', at: '2026-12-05T10:00:01.000Z' },
};

/** The payment as the POS reads it after these events. */
function viewAfter(...events: PaymentEvent[]) {
  const state = events.reduce<PaymentState>(
    (folded, event) => paymentDecider.evolve(folded, event),
    paymentDecider.initialState,
  );
  if (state.status === 'none') throw new Error('no payment');
  return paymentView(state);
}

// A POS listing a store's payments (or a receipt reprinted later) needs to say when each was taken.
describe('a payment as the POS reads it says when it happened', () => {
  it('when it was asked for, while the terminal prompts', () => {
    const view = viewAfter(requested, sessionCreated);
    expect(view).toMatchObject({ status: 'awaiting_card', requestedAt: '2026-12-05T10:00:00.000Z' });
    expect(view).not.toHaveProperty('capturedAt');
    expect(view).not.toHaveProperty('endedAt');
  });

  it('when it was captured', () => {
    const view = viewAfter(requested, sessionCreated, {
      type: 'PaymentCaptured',
      data: {
        transactionId: 'T12345678.t1',
        amount: 39_900,
        currency: 'NOK',
        source: 'callback',
        at: '2026-12-05T10:00:04.000Z',
      },
    });
    expect(view).toMatchObject({
      status: 'captured',
      requestedAt: '2026-12-05T10:00:00.000Z',
      capturedAt: '2026-12-05T10:00:04.000Z',
    });
    expect(view).not.toHaveProperty('endedAt');
  });

  it('when it ended without a capture', () => {
    const view = viewAfter(requested, sessionCreated, {
      type: 'PaymentDeclined',
      data: { reason: 'DECLINED', source: 'callback', at: '2026-12-05T10:00:05.000Z' },
    });
    expect(view).toMatchObject({
      status: 'declined',
      requestedAt: '2026-12-05T10:00:00.000Z',
      endedAt: '2026-12-05T10:00:05.000Z',
    });
    expect(view).not.toHaveProperty('capturedAt');
  });
});

describe('a captured payment with a late capture, as the POS reads it', () => {
  const at = '2026-12-05T10:05:00.000Z';
  const refund = (refundId: string, amount: number, transactionId?: string): PaymentEvent => ({
    type: 'RefundRequested',
    data: {
      refundId,
      amount,
      ...(transactionId ? { transactionId } : {}),
      terminalId: 'till-2',
      claimId: refundId,
      by: 'till-3',
      at,
    },
  });
  const succeeded = (refundId: string): PaymentEvent => ({
    type: 'RefundSucceeded',
    data: { refundId, source: 'command-service', at },
  });

  it('keeps the sale’s figures and each late capture’s apart', () => {
    const view = viewAfter(
      requested,
      sessionCreated,
      {
        type: 'PaymentCaptured',
        data: { transactionId: 'T12345678.t1', amount: 39_900, currency: 'NOK', source: 'callback', at },
      },
      {
        type: 'LateCaptureRecorded',
        data: {
          transactionId: 'T12345678.t2',
          amount: 5_000,
          currency: 'NOK',
          endedAs: 'captured',
          flaggedForReversal: true,
          source: 'webhook',
          at,
        },
      },
      refund('r-sale', 10_000),
      succeeded('r-sale'),
      refund('r-late', 2_000, 'T12345678.t2'),
      succeeded('r-late'),
      // Under way: not refunded yet, and not refundable again.
      refund('r-late-2', 1_000, 'T12345678.t2'),
    );
    expect(view).toMatchObject({
      status: 'captured',
      capturedAmount: 39_900,
      refundedAmount: 10_000,
      refundableAmount: 29_900,
      lateCaptures: [{ transactionId: 'T12345678.t2', amount: 5_000, refundedAmount: 2_000, refundableAmount: 2_000 }],
    });
    expect(view.refunds?.map((each) => [each.refundId, each.transactionId])).toEqual([
      ['r-sale', undefined],
      ['r-late', 'T12345678.t2'],
      ['r-late-2', 'T12345678.t2'],
    ]);
  });

  it('counts what Dintero gave back of a late capture by no refund of ours, and never the sale’s', () => {
    const elsewhere = (transactionId: string, refundedElsewhere: number, lateCapture: boolean): PaymentEvent => ({
      type: 'ExternalRefundRecorded',
      data: {
        transactionId,
        amount: refundedElsewhere,
        refundedElsewhere,
        ...(lateCapture ? { lateCapture: true as const } : {}),
        source: 'webhook',
        at,
      },
    });
    const view = viewAfter(
      requested,
      sessionCreated,
      {
        type: 'PaymentCaptured',
        data: { transactionId: 'T12345678.t1', amount: 39_900, currency: 'NOK', source: 'callback', at },
      },
      {
        type: 'LateCaptureRecorded',
        data: {
          transactionId: 'T12345678.t2',
          amount: 5_000,
          currency: 'NOK',
          endedAs: 'captured',
          flaggedForReversal: true,
          source: 'webhook',
          at,
        },
      },
      refund('r-late', 2_000, 'T12345678.t2'),
      succeeded('r-late'),
      elsewhere('T12345678.t2', 3_000, true),
      elsewhere('T12345678.t1', 900, false),
    );
    expect(view).toMatchObject({
      refundedAmount: 900,
      refundedElsewhere: 900,
      refundableAmount: 39_000,
      lateCaptures: [
        {
          transactionId: 'T12345678.t2',
          amount: 5_000,
          refundedAmount: 5_000,
          refundedElsewhere: 3_000,
          refundableAmount: 0,
        },
      ],
    });
  });
  it('shows a late capture in another currency, and its refunds, in that currency', () => {
    const view = viewAfter(
      requested,
      sessionCreated,
      {
        type: 'PaymentCaptured',
        data: { transactionId: 'T12345678.t1', amount: 39_900, currency: 'NOK', source: 'callback', at },
      },
      {
        type: 'LateCaptureRecorded',
        data: {
          transactionId: 'T12345678.t2',
          amount: 5_000,
          currency: 'SEK',
          endedAs: 'captured',
          flaggedForReversal: true,
          source: 'webhook',
          at,
        },
      },
      refund('r-sale', 10_000),
      refund('r-late', 2_000, 'T12345678.t2'),
    );
    expect(view).toMatchObject({
      currency: 'NOK',
      refundableAmount: 29_900,
      lateCaptures: [{ transactionId: 'T12345678.t2', amount: 5_000, currency: 'SEK', refundableAmount: 3_000 }],
    });
    expect(view.refunds?.map((each) => [each.refundId, each.currency])).toEqual([
      ['r-sale', 'NOK'],
      ['r-late', 'SEK'],
    ]);
  });
});

import { Writable } from 'node:stream';
import pino from 'pino';
import { refundOutcomes, transactionFact, type DinteroTransaction } from '@app/dintero';
import { fold, paymentDecider, type PaymentEvent, type PaymentState } from '@app/payment-domain';
import { scrubbed } from '@app/platform';
import { paymentView } from '../src/payments/payment.view';

// A POS that took a card prints the terminal's receipt and shows the card from the payment's view: the receipt texts
// and the card go from Dintero's transaction to the domain's fact, into the one event recorded when the terminal
// answers, and from the state to the view, and never into a log line.

const CUSTOMER = 'CUSTOMER COPY\nPURCHASE 100.00\nVISA ************0416\nAPPROVED';
const CUSTOMER_2 = 'SIGNATURE NOT REQUIRED';
const MERCHANT = 'MERCHANT COPY\nPURCHASE 100.00\nVISA ************0416\nAPPROVED';
const MERCHANT_2 = 'KEEP THIS COPY';
const MASKED_PAN = '476173******0416';

const requested: PaymentEvent = {
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
    metadata: { till: '3', basket: 'b-17' },
    requestedAt: '2026-11-24T09:59:00.000Z',
    expiresAt: '2026-11-24T10:05:00.000Z',
  },
};
const sessionCreated: PaymentEvent = {
  type: 'SessionCreated',
  data: { sessionId: 'T12345678.s1', expiresAt: '2026-11-24T10:05:00.000Z', at: '2026-11-24T09:59:01.000Z' },
};

const seitatech = (outcome: 'APPROVED' | 'DECLINED') => ({
  'seitatech:uniqueId': 'term-tx-1',
  'seitatech:receiptNumber': '000042',
  'seitatech:outcome': outcome,
  'seitatech:customerReceipt': CUSTOMER,
  'seitatech:customerReceiptPart2': CUSTOMER_2,
  'seitatech:merchantReceipt': MERCHANT,
  'seitatech:merchantReceiptPart2': MERCHANT_2,
});

const card = {
  brand: 'VISA',
  masked_pan: MASKED_PAN,
  entry_method: 'contactless',
  type: 'Debit',
  expiry_date: '12/29',
  country: 'NO',
  issuing_bank: 'DNB',
};

const captured: DinteroTransaction = {
  id: 'T12345678.tx1',
  status: 'CAPTURED',
  amount: 10_000,
  currency: 'NOK',
  merchant_reference: 'POS-1',
  merchant_reference_2: 'pay-1',
  card,
  created_at: '2026-11-24T09:59:50.000Z',
  updated_at: '2026-11-24T10:00:30.000Z',
  events: [
    {
      id: 'e1',
      event: 'AUTHORIZE',
      transaction_status: 'AUTHORIZED',
      success: true,
      amount: 10_000,
      created_at: '2026-11-24T10:00:00Z',
      metadata: seitatech('APPROVED'),
    },
    {
      id: 'e2',
      event: 'CAPTURE',
      transaction_status: 'CAPTURED',
      success: true,
      amount: 10_000,
      created_at: '2026-11-24T10:00:01Z',
    },
  ],
};

const declined: DinteroTransaction = {
  ...captured,
  status: 'DECLINED',
  events: [
    {
      id: 'e1',
      event: 'AUTHORIZE',
      transaction_status: 'DECLINED',
      success: false,
      created_at: '2026-11-24T10:00:00Z',
      error: { code: 'INSUFFICIENT_FUNDS', message: 'Insufficient funds' },
      metadata: seitatech('DECLINED'),
    },
  ],
};

/** The events the terminal's answer records, and the payment as the POS reads it after them. */
function recorded(transaction: DinteroTransaction): { events: PaymentEvent[]; state: PaymentState } {
  const before = fold(paymentDecider, [requested, sessionCreated]);
  const events = paymentDecider.decide(
    {
      type: 'RecordDinteroTransaction',
      data: { transaction: transactionFact(transaction), source: 'callback', at: '2026-11-24T10:00:02.000Z' },
    },
    before,
  );
  return { events, state: events.reduce((state, event) => paymentDecider.evolve(state, event), before) };
}

const viewOf = (state: PaymentState) => {
  if (state.status === 'none') throw new Error('no payment');
  return paymentView(state);
};

const receipt = {
  terminalTransactionId: 'term-tx-1',
  receiptNumber: '000042',
  customerReceipt: CUSTOMER,
  customerReceiptPart2: CUSTOMER_2,
  merchantReceipt: MERCHANT,
  merchantReceiptPart2: MERCHANT_2,
};
const cardSummary = { brand: 'VISA', maskedPan: MASKED_PAN, entryMethod: 'contactless', type: 'Debit' };

describe("a card payment's receipt and card, from Dintero's transaction to the POS's view", () => {
  it('records the receipts, each part as the terminal wrote it, and the card with only its masked number', () => {
    const { events, state } = recorded(captured);
    expect(events.map((event) => event.type)).toEqual(['PaymentCaptured']);
    expect(events[0]!.data).toMatchObject({ card: cardSummary, receipt });
    // Nothing of the card beyond brand, type, entry method and Dintero's masked number is kept.
    expect(JSON.stringify(events)).not.toMatch(/12\/29|DNB|"NO"/);
    const view = viewOf(state);
    expect(view).toMatchObject({ status: 'captured', card: cardSummary, receipt });
    expect(Object.keys(view.card!).sort()).toEqual(['brand', 'entryMethod', 'maskedPan', 'type']);
  });

  it('shows the metadata the POS gave at the start', () => {
    expect(viewOf(fold(paymentDecider, [requested, sessionCreated]))).toMatchObject({
      status: 'awaiting_card',
      metadata: { till: '3', basket: 'b-17' },
    });
    const { metadata: _none, ...withoutMetadata } = requested.data;
    const bare = viewOf(fold(paymentDecider, [{ type: 'PaymentRequested', data: withoutMetadata }]));
    expect(bare).not.toHaveProperty('metadata');
  });

  it('keeps the card and the receipts of a payment the terminal declined: the till prints that receipt too', () => {
    const { events, state } = recorded(declined);
    expect(events.map((event) => event.type)).toEqual(['PaymentDeclined']);
    expect(viewOf(state)).toMatchObject({
      status: 'declined',
      reason: 'INSUFFICIENT_FUNDS',
      card: cardSummary,
      receipt,
    });
  });

  it('reads a payment recorded before the receipts and the card were kept: references only, no texts', () => {
    const old: PaymentEvent = {
      type: 'PaymentCaptured',
      data: {
        transactionId: 'T12345678.tx1',
        amount: 10_000,
        currency: 'NOK',
        receipt: { terminalTransactionId: 'term-tx-1', receiptNumber: '000042' },
        source: 'callback',
        at: '2026-11-24T10:00:02.000Z',
      },
    };
    const view = viewOf(fold(paymentDecider, [requested, sessionCreated, old]));
    expect(view.receipt).toEqual({ terminalTransactionId: 'term-tx-1', receiptNumber: '000042' });
    expect(view).not.toHaveProperty('card');
  });

  it('keeps a receipt that came without a second part as it came', () => {
    const single = structuredClone(captured) as DinteroTransaction & { events: { metadata?: object }[] };
    single.events[0]!.metadata = {
      'seitatech:uniqueId': 'term-tx-1',
      'seitatech:customerReceipt': CUSTOMER,
      'seitatech:merchantReceipt': MERCHANT,
    };
    expect(viewOf(recorded(single).state).receipt).toEqual({
      terminalTransactionId: 'term-tx-1',
      customerReceipt: CUSTOMER,
      merchantReceipt: MERCHANT,
    });
  });

  it('never lets the masked number or a receipt text into a log line: the event, the view, the transaction', () => {
    const { events, state } = recorded(captured);
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ formatters: { log: scrubbed } }, sink);
    logger.info({ paymentId: 'pay-1', event: events[0] }, 'Dintero fact recorded');
    logger.info({ paymentId: 'pay-1', payment: viewOf(state) }, 'payment answered');
    logger.info({ paymentId: 'pay-1', transaction: captured }, 'transaction fetched');
    const written = lines.join('');
    expect(written).toContain('pay-1');
    expect(written).toContain('000042'); // the references are not secret
    for (const secret of [MASKED_PAN, 'CUSTOMER COPY', 'MERCHANT COPY', CUSTOMER_2, MERCHANT_2])
      expect(written).not.toContain(secret);
  });

  it("keeps a refund's receipts, as the terminal the cardholder confirmed it at wrote them, on the refund's view", () => {
    const paidState = recorded(captured).state;
    const refundAsked: PaymentEvent[] = [
      {
        type: 'RefundRequested',
        data: {
          refundId: 'r-1',
          amount: 4_000,
          terminalId: 'T-1',
          claimId: 'r-1',
          by: 'till-1',
          at: '2026-11-24T11:00:00.000Z',
        },
      },
      { type: 'RefundSubmitted', data: { refundId: 'r-1', at: '2026-11-24T11:00:00.100Z' } },
    ];
    const asked = refundAsked.reduce((state, event) => paymentDecider.evolve(state, event), paidState);
    const refundReceipt = {
      'seitatech:uniqueId': 'term-tx-2',
      'seitatech:receiptNumber': '000043',
      'seitatech:customerReceipt': 'CUSTOMER COPY\nREFUND 40.00',
      'seitatech:merchantReceipt': 'MERCHANT COPY\nREFUND 40.00',
    };
    const refunded = (success: boolean) =>
      ({
        ...captured,
        events: [
          ...captured.events!,
          {
            id: 'e3',
            event: 'REFUND',
            transaction_status: success ? 'PARTIALLY_REFUNDED' : 'CAPTURED',
            success,
            amount: 4_000,
            event_reference: 'r-1',
            created_at: '2026-11-24T11:00:05Z',
            metadata: refundReceipt,
            ...(success ? {} : { error: { code: 'DECLINED', message: 'The cardholder did not confirm the refund' } }),
          },
        ],
      }) as DinteroTransaction;
    for (const success of [true, false]) {
      const commands = refundOutcomes(refunded(success), asked, 'callback', '2026-11-24T11:00:06.000Z');
      expect(commands).toHaveLength(1);
      const events = paymentDecider.decide(commands[0]!, asked);
      expect(events.map((event) => event.type)).toEqual([success ? 'RefundSucceeded' : 'RefundFailed']);
      const view = viewOf(events.reduce((state, event) => paymentDecider.evolve(state, event), asked));
      expect(view.refunds).toEqual([
        expect.objectContaining({
          refundId: 'r-1',
          status: success ? 'succeeded' : 'failed',
          receipt: {
            terminalTransactionId: 'term-tx-2',
            receiptNumber: '000043',
            customerReceipt: 'CUSTOMER COPY\nREFUND 40.00',
            merchantReceipt: 'MERCHANT COPY\nREFUND 40.00',
          },
        }),
      ]);
      // The sale's receipt stays the sale's.
      expect(view.receipt).toEqual(receipt);
    }
  });
});

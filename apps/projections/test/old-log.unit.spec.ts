import type { RecordedEvent } from '@app/event-store';
import { logOfEvents } from '../../../test/support/recorded-events';
import { documentProblem } from '../src/read-models/document-schemas';
import { upgraded } from '../src/read-models/document-upgrades';
import { ReadModelProjector } from '../src/read-models/read-model.projector';
import type { Change } from '../src/read-models/read-model.types';

/**
 * Logs written by earlier versions of the engine, folded by this one: each event here is shaped as the version
 * named wrote it (the log is never rewritten), and a rebuild from it must give the documents that log means.
 */
const event = logOfEvents();

const store = () => [
  event('store-oslo', 'StoreRegistered', {
    storeId: 'oslo',
    name: 'Oslo',
    payoutDestinationId: 'p',
    timeZone: 'Europe/Oslo',
    at: '2026-11-01T00:00:00.000Z',
  }),
  event('store-oslo', 'TerminalRegistered', { storeId: 'oslo', terminalId: 'T-1', at: '2026-11-01T00:00:00.000Z' }),
  event('store-oslo', 'TerminalRegistered', { storeId: 'oslo', terminalId: 'T-2', at: '2026-11-01T00:00:00.000Z' }),
];
const capturedPayment = (paymentId: string, at: string, amount: number) => [
  event('terminal-T-1', 'TerminalClaimed', {
    terminalId: 'T-1',
    claimId: paymentId,
    kind: 'payment',
    paymentId,
    storeId: 'oslo',
    claimedAt: at,
    expiresAt: at,
  }),
  event(`payment-${paymentId}`, 'PaymentRequested', {
    paymentId,
    storeId: 'oslo',
    terminalId: 'T-1',
    amount,
    currency: 'NOK',
    requestedAt: at,
  }),
  event(`payment-${paymentId}`, 'PaymentCaptured', {
    transactionId: `tx-${paymentId}`,
    amount,
    currency: 'NOK',
    source: 'callback',
    at,
  }),
  event('terminal-T-1', 'TerminalReleased', {
    terminalId: 'T-1',
    claimId: paymentId,
    paymentId,
    reason: 'finished',
    at,
  }),
];
/**
 * As the rim does: a payment the projector has forgotten (or never saw) is read back from the log. `from`: a
 * projector resumed from the documents `log` gave up to that event, without the payments it held in memory.
 */
const project = (log: RecordedEvent[], from = 0) => {
  const projector = new ReadModelProjector();
  if (from > 0) for (const change of project(log.slice(0, from)).documents()) projector.load(change);
  for (const e of log.slice(from)) {
    const missing = projector.missingPayment(e);
    if (missing !== undefined)
      projector.rememberPayment(
        log.filter((other) => other.streamName === `payment-${missing}`),
        e.position,
      );
    projector.apply(e);
  }
  return projector;
};

describe('a log written by earlier versions, folded by this one', () => {
  it('counts a transaction captured late in parts as one purchase, its later parts recorded without capturedAmount (4909636)', () => {
    const at = '2026-11-24T12:00:00.000Z';
    /** A late capture's part as 4909636 to 35e471c recorded it: each part its amount, none its running total. */
    const latePart = (amount: number) =>
      event('payment-p-1', 'LateCaptureRecorded', {
        transactionId: 'tx-2',
        amount,
        currency: 'NOK',
        endedAs: 'captured',
        flaggedForReversal: true,
        source: 'reconciler',
        at,
      });
    const log = [
      ...store(),
      ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
      latePart(700),
      latePart(300),
    ];
    // The sale, and one more transaction with all the money it took: folded at once, or resumed before the later part
    // (the payment read back from the log).
    for (const projector of [project(log), project(log, log.length - 1)])
      expect(projector.terminal('oslo', 'T-1')?.openBatch).toMatchObject({
        purchasesCount: 2,
        purchasesAmount: 11_000,
      });
  });

  it("shows Dintero's no to a refund it took after its silence with its amount, on its terminal, as c613e46 recorded it", () => {
    const refundAt = '2026-11-24T12:00:00.000Z';
    const log = [
      ...store(),
      ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
      event('payment-p-1', 'RefundRequested', { refundId: 'r-1', amount: 4_000, terminalId: 'T-2', at: refundAt }),
      event('payment-p-1', 'RefundFailed', {
        refundId: 'r-1',
        reason: 'no trace at Dintero',
        noTrace: true,
        source: 'reconciler',
        at: refundAt,
      }),
      event('payment-p-1', 'RefundAccepted', {
        refundId: 'r-1',
        requestId: 'req-1',
        source: 'reconciler',
        at: refundAt,
      }),
      // Dintero's no, as c613e46 to c7ffe86 recorded it: no amount, no terminal.
      event('payment-p-1', 'RefundFailed', {
        refundId: 'r-1',
        reason: 'DECLINED',
        source: 'webhook',
        at: '2026-11-24T12:30:00.000Z',
      }),
    ];
    // Folded at once, or resumed before Dintero's no (the payment read back from the log).
    for (const projector of [project(log), project(log, log.length - 1)]) {
      expect(projector.terminal('oslo', 'T-2')?.lastRefund).toMatchObject({
        refundId: 'r-1',
        status: 'refund_failed',
        amount: 4_000,
        at: '2026-11-24T12:30:00.000Z',
      });
      expect(projector.terminal('oslo', 'T-1')?.lastRefund).toBeUndefined();
    }
  });
});

describe('documents kept in KV by earlier versions, read by this one', () => {
  const swapAt = '2026-11-24T12:00:00.000Z';
  const since = '2026-11-23T23:00:00.000Z';
  const figures = { purchasesCount: 1, purchasesAmount: 500, reversalsCount: 0, reversalsAmount: 0 };
  const none = { purchasesCount: 0, purchasesAmount: 0, reversalsCount: 0, reversalsAmount: 0 };
  const terminal = { storeId: 'oslo', terminalId: 'T-1', status: 'idle', device: 'd-new', position: '10' };
  /** As the projector reads a document from KV (`documentOf`): in its model's shape, then in this version's. */
  const read = (doc: object) => {
    expect(documentProblem('terminal', doc)).toBeUndefined();
    return upgraded({ model: 'terminal', key: 'oslo.T-1', doc } as Change);
  };
  /** A sale of the old device before the swap, heard of after the document was written. */
  const lateSale = () => {
    const log = logOfEvents();
    for (let position = 0; position < 10; position++) log('x', 'Nothing', {});
    return [
      log('payment-p-9', 'PaymentRequested', {
        paymentId: 'p-9',
        storeId: 'oslo',
        terminalId: 'T-1',
        amount: 200,
        currency: 'NOK',
        requestedAt: '2026-11-24T11:00:00.000Z',
      }),
      log('payment-p-9', 'PaymentCaptured', {
        transactionId: 'tx-p-9',
        amount: 200,
        currency: 'NOK',
        source: 'reconciler',
        at: '2026-11-24T13:00:00.000Z',
        dinteroAt: '2026-11-24T11:00:00.000Z',
      }),
    ];
  };
  const foldedOn = (change: Change) => {
    const projector = new ReadModelProjector();
    projector.load(change);
    for (const e of lateSale()) projector.apply(e);
    return projector.terminal('oslo', 'T-1');
  };

  it('reads the one swapped-out batch 4afeb90 kept (with its device and swap time) by its swap', () => {
    const change = read({
      ...terminal,
      openBatch: { ...none, since: swapAt },
      swappedOut: { ...figures, device: 'd-old', at: swapAt, since },
    });
    expect(change.doc).toMatchObject({ swappedOut: { [swapAt]: { ...figures, device: 'd-old', since } } });
    expect(foldedOn(change)?.swappedOut?.[swapAt]).toMatchObject({ purchasesCount: 2, purchasesAmount: 700 });
  });

  it('reads the swapped-out batches 1492879 kept by device as kept by their swaps', () => {
    const change = read({
      ...terminal,
      openBatch: { ...none, since: swapAt },
      swappedOut: { 'd-old': { ...figures, at: swapAt, since } },
    });
    expect(change.doc).toMatchObject({ swappedOut: { [swapAt]: { ...figures, device: 'd-old', since } } });
    expect(foldedOn(change)?.swappedOut?.[swapAt]).toMatchObject({ purchasesCount: 2, purchasesAmount: 700 });
  });

  it('reads a swap during a pending close as e035aa5 kept it (without its closes) as a swap during those closes', () => {
    const change = read({
      ...terminal,
      openBatch: {
        ...figures,
        closing: ['op-1'],
        countedWhileClosing: [],
        swappedWhileClosing: { at: swapAt, device: 'd-old' },
      },
    });
    expect(change.doc).toMatchObject({
      openBatch: { swappedWhileClosing: { at: swapAt, device: 'd-old', closes: ['op-1'] } },
    });
  });
});

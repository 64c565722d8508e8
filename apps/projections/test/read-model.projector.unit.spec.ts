import type { EventStore, RecordedEvent } from '@app/event-store';
import { logOfEvents } from '../../../test/support/recorded-events';
import { terminalCloseEvents } from '../../../test/support/terminal-close-events';
import { localDate } from '@app/payment-domain';
import { documentProblem } from '../src/read-models/document-schemas';
import { ReadModelProjector } from '../src/read-models/read-model.projector';
import { applyFromLog } from '../src/read-models/apply-from-log';
import type { Change, StoreDayDoc } from '../src/read-models/read-model.types';

const event = logOfEvents();

const store = (timeZone = 'Europe/Oslo') => [
  event('store-oslo', 'StoreRegistered', {
    storeId: 'oslo',
    name: 'Oslo',
    payoutDestinationId: 'p',
    timeZone,
    at: '2026-11-01T00:00:00.000Z',
  }),
  event('store-oslo', 'TerminalRegistered', { storeId: 'oslo', terminalId: 'T-1', at: '2026-11-01T00:00:00.000Z' }),
  event('store-oslo', 'TerminalRegistered', { storeId: 'oslo', terminalId: 'T-2', at: '2026-11-01T00:00:00.000Z' }),
];
/** T-1 claimed for a payment at `at`. */
const claimed = (paymentId: string, at: string) =>
  event('terminal-T-1', 'TerminalClaimed', {
    terminalId: 'T-1',
    claimId: paymentId,
    kind: 'payment',
    paymentId,
    storeId: 'oslo',
    claimedAt: at,
    expiresAt: at,
  });
/**
 * Payment `c` on T-2 (EUR 7.00) cancelled by its customer at `at`, and its transaction `tx-c` captured all the same:
 * a late capture flagged for reversal.
 */
const cancelledCapturedLate = (at: string) => [
  event('payment-c', 'PaymentRequested', {
    paymentId: 'c',
    storeId: 'oslo',
    terminalId: 'T-2',
    amount: 700,
    currency: 'EUR',
    requestedAt: at,
  }),
  event('payment-c', 'PaymentCancelled', { by: 'customer', source: 'callback', at }),
  event('payment-c', 'LateCaptureRecorded', {
    transactionId: 'tx-c',
    amount: 700,
    currency: 'EUR',
    endedAs: 'cancelled',
    flaggedForReversal: true,
    source: 'webhook',
    at,
  }),
];
/** A payment on T-1 at `at`, captured with `card` and released; its events in log order. */
const capturedPayment = (paymentId: string, at: string, amount = 10_000) => [
  claimed(paymentId, at),
  event(`payment-${paymentId}`, 'PaymentRequested', {
    paymentId,
    storeId: 'oslo',
    terminalId: 'T-1',
    amount,
    currency: 'NOK',
    requestedAt: at,
  }),
  event(`payment-${paymentId}`, 'SessionCreated', { sessionId: 's', expiresAt: at, at }),
  event(`payment-${paymentId}`, 'PaymentCaptured', {
    transactionId: `tx-${paymentId}`,
    amount,
    currency: 'NOK',
    card: { brand: 'VISA', entryMethod: 'contactless' },
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
 * p-1's sale on T-1 (`capturedPayment`, NOK 100.00) at `at`, and Dintero capturing another transaction of it, `tx-late`,
 * of 50.00 in `currency`: a late capture flagged for reversal.
 */
const saleCapturedLate = (at: string, currency: string) => [
  ...capturedPayment('p-1', at, 10_000),
  event('payment-p-1', 'LateCaptureRecorded', {
    transactionId: 'tx-late',
    amount: 5_000,
    currency,
    endedAs: 'captured',
    flaggedForReversal: true,
    source: 'webhook',
    at,
  }),
];
/** A refund r-1 of 20.00 of p-1's late capture `tx-late` (`saleCapturedLate`), asked for at T-2 at `at`. */
const lateCaptureRefundRequested = (at: string) =>
  event('payment-p-1', 'RefundRequested', {
    refundId: 'r-1',
    amount: 2_000,
    transactionId: 'tx-late',
    terminalId: 'T-2',
    at,
  });
/** T-1's end-of-day close `operationId` for `businessDay`, completed at `at` with the terminal's `batch`. */
const closeOf = (operationId: string, businessDay: string, at: string, batch: Record<string, unknown>) => ({
  ...event(`operation-${operationId}`, 'OperationCompleted', {
    operationId,
    dinteroOperationId: `d-${operationId}`,
    batch,
    at,
  }),
  metadata: { storeId: 'oslo', terminalId: 'T-1', businessDay },
});
/** p-1's refund r-1 of 4,000 at T-2, asked for at `at` and failed then for Dintero's silence. */
const refundFailedForSilence = (at: string) => [
  event('payment-p-1', 'RefundRequested', { refundId: 'r-1', amount: 4_000, terminalId: 'T-2', at }),
  event('payment-p-1', 'RefundFailed', {
    refundId: 'r-1',
    reason: 'no trace at Dintero',
    noTrace: true,
    source: 'reconciler',
    at,
  }),
];
/** T-1 enrolled with the device Dintero calls `dinteroTerminalId`: another one than it had is a swapped till. */
const enrolled = (dinteroTerminalId: string, at: string) =>
  event('store-oslo', 'TerminalEnrolled', {
    storeId: 'oslo',
    terminalId: 'T-1',
    dinteroTerminalId,
    deviceSerialNumber: `SER-${dinteroTerminalId}`,
    status: 'ACTIVE',
    at,
  });
/** As the rim does: a payment the projector has forgotten (or never saw) is read back from the log. */
/** A payment of 7.00 EUR asked for on oslo's T-2 at `requestedAt`. */
const requestedOnT2 = (paymentId: string, requestedAt: string) =>
  event(`payment-${paymentId}`, 'PaymentRequested', {
    paymentId,
    storeId: 'oslo',
    terminalId: 'T-2',
    amount: 700,
    currency: 'EUR',
    requestedAt,
  });

const project = (events: RecordedEvent[]) => {
  const projector = new ReadModelProjector();
  for (const e of events) {
    const missing = projector.missingPayment(e);
    if (missing !== undefined)
      projector.rememberPayment(
        events.filter((other) => other.streamName === `payment-${missing}`),
        e.position,
      );
    projector.apply(e);
  }
  // Whatever the fold makes, a projector reading it back from KV takes as a document of its model.
  for (const change of projector.documents())
    expect([change.model, change.key, documentProblem(change.model, change.doc)]).toEqual([
      change.model,
      change.key,
      undefined,
    ]);
  return projector;
};

describe('read models as a fold over the log', () => {
  it('follows a terminal through a payment: starting, awaiting the card, idle with the outcome', () => {
    const projector = new ReadModelProjector();
    store().forEach((e) => projector.apply(e));
    const [claim, requested, session, captured, released] = capturedPayment('p-1', '2026-11-24T10:00:00.000Z');
    [claim!, requested!].forEach((e) => projector.apply(e));
    expect(projector.terminal('oslo', 'T-1')).toMatchObject({
      status: 'starting',
      statusSince: '2026-11-24T10:00:00.000Z',
      active: { paymentId: 'p-1', since: '2026-11-24T10:00:00.000Z', expiresAt: '2026-11-24T10:00:00.000Z' },
    });
    expect(projector.store('oslo')?.terminals).toEqual({ busy: 1, idle: 1, deactivated: 0 });
    projector.apply(session!);
    expect(projector.terminal('oslo', 'T-1')?.status).toBe('awaiting_card');
    projector.apply(captured!);
    projector.apply(released!);
    expect(projector.terminal('oslo', 'T-1')).toMatchObject({
      status: 'idle',
      lastOutcome: { paymentId: 'p-1', status: 'captured', amount: 10_000, currency: 'NOK' },
      today: { date: '2026-11-24', payments: 1, captured: 1 },
      position: String(released!.position),
    });
    expect(projector.terminal('oslo', 'T-1')?.active).toBeUndefined();
    expect(projector.store('oslo')?.terminals).toEqual({ busy: 0, idle: 2, deactivated: 0 });
  });

  it('lists a terminal whose nightly close was given up on the store day it was for, once', () => {
    const givenUp = (attempts: number) =>
      event('operation-op-9', 'CloseGivenUp', {
        operationId: 'op-9',
        storeId: 'oslo',
        terminalId: 'T-1',
        businessDay: '2026-11-24',
        attempts,
        reason: 'the terminal reported a failure',
        at: '2026-11-25T00:10:00.000Z',
      });
    const first = givenUp(5);
    // The same give-up again (a replay of a copy): listed once, as it was.
    const projector = project([...store(), first, givenUp(5)]);
    expect(projector.storeDay('oslo', '2026-11-24')?.notClosed).toEqual({
      'T-1': {
        operationId: 'op-9',
        attempts: 5,
        reason: 'the terminal reported a failure',
        at: '2026-11-25T00:10:00.000Z',
      },
    });
    expect(projector.storeDay('oslo', '2026-11-24')?.position).toBe(String(first.position));
    // On the day it was for, not the day it was given up on.
    expect(projector.storeDay('oslo', '2026-11-25')).toBeUndefined();
  });

  it('writes nothing for a nightly close attempt claimed on its day’s stream, or voided on its own', () => {
    const projector = project(store());
    const attempt = {
      operationId: 'op-9',
      storeId: 'oslo',
      terminalId: 'T-1',
      businessDay: '2026-11-24',
      attempt: 1,
      at: '2026-11-25T00:00:00.000Z',
    };
    const meta = { storeId: 'oslo', terminalId: 'T-1', businessDay: '2026-11-24', operationId: 'op-9' };
    // The nightly close's own bookkeeping: which attempt may run, and which never will.
    expect(projector.apply({ ...event('operation-day-9', 'CloseAttemptClaimed', attempt), metadata: meta })).toEqual(
      [],
    );
    expect(projector.apply({ ...event('operation-op-9', 'CloseAttemptVoided', attempt), metadata: meta })).toEqual([]);
    expect(projector.storeDay('oslo', '2026-11-24')).toBeUndefined();
  });

  it('marks a given-up close closed since once the terminal closed its batch after it, as the dashboard does', () => {
    const givenUp = () =>
      event('operation-op-9', 'CloseGivenUp', {
        operationId: 'op-9',
        storeId: 'oslo',
        terminalId: 'T-1',
        businessDay: '2026-11-24',
        attempts: 5,
        reason: 'the terminal reported a failure',
        at: '2026-11-25T00:10:00.000Z',
      });
    const close = terminalCloseEvents(event);
    /** A close of T-1 by hand that completed at `closedAt`, with its batch (neither event names a store day). */
    const closedByHand = (operationId: string, closedAt: string) => [
      close.requested(operationId, { requestedBy: 'operator', requestedAt: closedAt, expiresAt: closedAt }),
      close.completed(operationId, {
        batch: { batchId: operationId, purchasesCount: 0, purchasesAmount: 0, reversalsCount: 0, reversalsAmount: 0 },
        at: closedAt,
        dinteroAt: closedAt,
      }),
    ];
    // A close before the give-up (its outcome reported late) closed nothing the give-up was about.
    const before = project([...store(), ...closedByHand('early', '2026-11-24T20:00:00.000Z'), givenUp()]);
    expect(before.storeDay('oslo', '2026-11-24')?.notClosed?.['T-1']?.closedSince).toBeUndefined();

    const log = [...store(), givenUp()];
    const hand = closedByHand('by-hand', '2026-11-25T08:00:00.000Z');
    const projector = project([...log, ...hand, ...closedByHand('later', '2026-11-25T23:30:00.000Z')]);
    // Still listed (the engine did not close it that night), and closed since by the first close after it.
    expect(projector.storeDay('oslo', '2026-11-24')?.notClosed).toEqual({
      'T-1': {
        operationId: 'op-9',
        attempts: 5,
        reason: 'the terminal reported a failure',
        at: '2026-11-25T00:10:00.000Z',
        closedSince: { operationId: 'by-hand', closedAt: '2026-11-25T08:00:00.000Z' },
      },
    });
    expect(projector.storeDay('oslo', '2026-11-24')?.position).toBe(String(hand[1]!.position));

    // Heard of in the other order: the close first, though the terminal closed after the give-up.
    const reported = project([...store(), ...closedByHand('by-hand', '2026-11-25T08:00:00.000Z'), givenUp()]);
    expect(reported.storeDay('oslo', '2026-11-24')?.notClosed?.['T-1']?.closedSince).toEqual({
      operationId: 'by-hand',
      closedAt: '2026-11-25T08:00:00.000Z',
    });
  });

  it('marks a close given up as superseded closed since by the next day’s close, done while it pended at Dintero', () => {
    // The close of the 24th pends at Dintero (it took it, never answered); the terminal is freed after the claim's
    // time, and the 25th's nightly close closes the batch, sales of the 24th with it, before the first times out
    // (24 hours after it was asked for) and is given up. The batch given up on is closed: by a close of a later day.
    const close = terminalCloseEvents(event);
    const meta = (businessDay: string) => ({ storeId: 'oslo', terminalId: 'T-1', businessDay });
    const requested = (operationId: string, businessDay: string, at: string) =>
      close.requested(operationId, { requestedBy: 'nightly-close', requestedAt: at, expiresAt: at, businessDay });
    const batch = { batchId: 'b', purchasesCount: 1, purchasesAmount: 10_000, reversalsCount: 0, reversalsAmount: 0 };
    const projector = project([
      ...store(),
      ...capturedPayment('sale-24', '2026-11-24T12:00:00.000Z'),
      requested('night-24', '2026-11-24', '2026-11-24T21:00:00.000Z'),
      requested('night-25', '2026-11-25', '2026-11-25T21:00:00.000Z'),
      close.completed('night-25', {
        batch,
        at: '2026-11-25T21:00:30.000Z',
        dinteroAt: '2026-11-25T21:00:30.000Z',
        businessDay: '2026-11-25',
      }),
      {
        ...event('operation-night-24', 'OperationEnded', {
          operationId: 'night-24',
          outcome: 'timed_out',
          reason: 'no outcome from Dintero in 24 hours',
          at: '2026-11-25T21:01:00.000Z',
        }),
        metadata: meta('2026-11-24'),
      },
      event('operation-night-24', 'CloseGivenUp', {
        operationId: 'night-24',
        storeId: 'oslo',
        terminalId: 'T-1',
        businessDay: '2026-11-24',
        attempts: 1,
        reason: 'the close of 2026-11-25 fell due before it could be tried again (timed_out)',
        at: '2026-11-25T21:01:05.000Z',
      }),
    ]);
    expect(projector.storeDay('oslo', '2026-11-24')?.notClosed?.['T-1']?.closedSince).toEqual({
      operationId: 'night-25',
      closedAt: '2026-11-25T21:00:30.000Z',
    });
  });

  it('keeps nothing of the terminals a query asks about that it does not hold', () => {
    const projector = new ReadModelProjector();
    store().forEach((e) => projector.apply(e));
    const held = () =>
      (projector as unknown as { docs: { terminalKeys: Map<string, unknown> } }).docs.terminalKeys.size;
    const before = held();
    for (let i = 0; i < 1_000; i++) expect(projector.terminal('oslo', `nope-${i}`)).toBeUndefined();
    expect(held()).toBe(before);
    expect(projector.terminal('oslo', 'T-1')).toMatchObject({ storeId: 'oslo', terminalId: 'T-1' });
  });

  it('totals a store’s day per currency, card brand, entry method and terminal, refunds netted', () => {
    const refundAt = '2026-11-24T12:00:00.000Z';
    const projector = project([
      ...store(),
      ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
      ...capturedPayment('p-2', '2026-11-24T11:00:00.000Z', 5_000),
      event('payment-p-1', 'RefundRequested', { refundId: 'r-1', amount: 4_000, terminalId: 'T-2', at: refundAt }),
      event('payment-p-1', 'RefundSucceeded', { refundId: 'r-1', source: 'command-service', at: refundAt }),
    ]);
    const day = projector.storeDay('oslo', '2026-11-24');
    expect(day).toMatchObject({
      currencies: {
        NOK: { capturedCount: 2, capturedAmount: 15_000, refundedCount: 1, refundedAmount: 4_000, net: 11_000 },
      },
      cardBrands: { VISA: 2 },
      entryMethods: { contactless: 2 },
      terminals: {
        'T-1': { currencies: { NOK: { capturedCount: 2, capturedAmount: 15_000, refundedAmount: 4_000 } } },
      },
    });
    expect(projector.store('oslo')?.today).toEqual({ date: '2026-11-24', totals: { NOK: day!.currencies.NOK } });
    // The refund's end is on the terminal it ran on, as its reversal is in that terminal's batch; the day's
    // totals keep its amount on the payment's terminal.
    expect(projector.terminal('oslo', 'T-1')?.lastRefund).toBeUndefined();
    expect(projector.terminal('oslo', 'T-2')?.today).toMatchObject({ refunds: 1 });
    expect(projector.terminal('oslo', 'T-2')?.openBatch).toMatchObject({ reversalsCount: 1, reversalsAmount: 4_000 });
    expect(projector.terminal('oslo', 'T-2')?.lastRefund).toEqual({
      paymentId: 'p-1',
      refundId: 'r-1',
      status: 'refunded',
      amount: 4_000,
      currency: 'NOK',
      at: refundAt,
    });
  });

  it("counts a refund done at another store's terminal on that terminal's day, in its store's time zone", () => {
    // Paid in Auckland; refunded at Oslo's T-2 at 17:00 in Oslo, which is 05:00 the next day in Auckland.
    const paidAt = '2026-11-24T09:00:00.000Z';
    const refundAt = '2026-11-24T16:00:00.000Z';
    const auckland = (type: string, data: Record<string, unknown>) => event('payment-p-1', type, data);
    const projector = project([
      ...store(),
      event('store-akl', 'StoreRegistered', {
        storeId: 'akl',
        name: 'Auckland',
        payoutDestinationId: 'p',
        timeZone: 'Pacific/Auckland',
        at: paidAt,
      }),
      event('store-akl', 'TerminalRegistered', { storeId: 'akl', terminalId: 'A-1', at: paidAt }),
      auckland('PaymentRequested', {
        paymentId: 'p-1',
        storeId: 'akl',
        terminalId: 'A-1',
        amount: 10_000,
        currency: 'NOK',
        requestedAt: paidAt,
      }),
      auckland('PaymentCaptured', { transactionId: 'tx-1', amount: 10_000, currency: 'NOK', at: paidAt }),
      auckland('RefundRequested', { refundId: 'r-1', amount: 4_000, terminalId: 'T-2', at: refundAt }),
      auckland('RefundSucceeded', { refundId: 'r-1', source: 'command-service', at: refundAt }),
      event('payment-p-2', 'PaymentRequested', {
        paymentId: 'p-2',
        storeId: 'oslo',
        terminalId: 'T-2',
        amount: 5_000,
        currency: 'NOK',
        requestedAt: '2026-11-24T16:30:00.000Z',
      }),
    ]);
    expect(projector.terminal('oslo', 'T-2')?.today).toMatchObject({ date: '2026-11-24', payments: 1, refunds: 1 });
    expect(projector.terminal('akl', 'A-1')?.today).toMatchObject({ date: '2026-11-24', payments: 1, captured: 1 });
  });

  it('keeps a terminal moved to another store apart in each store, as its facts alternate between them', () => {
    const at = '2026-11-24T11:00:00.000Z';
    const refundAt = '2026-11-24T12:00:00.000Z';
    const projector = project([
      ...store(),
      ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
      event('store-bergen', 'StoreRegistered', {
        storeId: 'bergen',
        name: 'Bergen',
        payoutDestinationId: 'p',
        timeZone: 'Europe/Oslo',
        at,
      }),
      event('store-bergen', 'TerminalRegistered', { storeId: 'bergen', terminalId: 'T-1', at }),
      event('terminal-T-1', 'TerminalClaimed', {
        terminalId: 'T-1',
        claimId: 'p-2',
        kind: 'payment',
        paymentId: 'p-2',
        storeId: 'bergen',
        claimedAt: at,
        expiresAt: at,
      }),
      event('payment-p-2', 'PaymentRequested', {
        paymentId: 'p-2',
        storeId: 'bergen',
        terminalId: 'T-1',
        amount: 5_000,
        currency: 'NOK',
        requestedAt: at,
      }),
      // A refund of the payment made at Oslo, between the Bergen payment's facts.
      event('payment-p-1', 'RefundRequested', { refundId: 'r-1', amount: 4_000, terminalId: 'T-1', at: refundAt }),
      event('payment-p-1', 'RefundSucceeded', { refundId: 'r-1', source: 'command-service', at: refundAt }),
      event('payment-p-2', 'PaymentCaptured', {
        transactionId: 'tx-p-2',
        amount: 5_000,
        currency: 'NOK',
        source: 'callback',
        at,
      }),
    ]);
    expect(projector.terminal('oslo', 'T-1')).toMatchObject({
      status: 'idle',
      lastOutcome: { paymentId: 'p-1', status: 'captured', amount: 10_000 },
      lastRefund: { paymentId: 'p-1', refundId: 'r-1', status: 'refunded', amount: 4_000 },
    });
    expect(projector.terminal('bergen', 'T-1')).toMatchObject({
      active: { paymentId: 'p-2' },
      lastOutcome: { paymentId: 'p-2', status: 'captured', amount: 5_000 },
    });
    expect(projector.terminal('bergen', 'T-1')?.lastRefund).toBeUndefined();
    expect(projector.storeDay('oslo', '2026-11-24')?.terminals).toEqual({
      'T-1': { currencies: { NOK: { capturedCount: 1, capturedAmount: 10_000, refundedAmount: 4_000 } } },
    });
    expect(projector.storeDay('bergen', '2026-11-24')?.terminals).toEqual({
      'T-1': { currencies: { NOK: { capturedCount: 1, capturedAmount: 5_000, refundedAmount: 0 } } },
    });
  });

  it('counts a refund failed for silence and made after all, after the projector let the payment go', () => {
    const refundAt = '2026-11-24T12:00:00.000Z';
    const madeAt = '2026-11-24T12:30:00.000Z';
    const projector = project([
      ...store(),
      ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
      ...refundFailedForSilence(refundAt),
      // p-1 is let go here (ended, released, no refund open); the refund made comes after another payment.
      ...capturedPayment('q-1', '2026-11-24T11:00:00.000Z', 100),
      event('payment-p-1', 'LateRefundRecorded', {
        refundId: 'r-1',
        amount: 4_000,
        terminalId: 'T-2',
        source: 'webhook',
        at: madeAt,
        dinteroAt: madeAt,
      }),
    ]);
    expect(projector.storeDay('oslo', '2026-11-24')?.currencies['NOK']).toEqual({
      capturedCount: 2,
      capturedAmount: 10_100,
      refundedCount: 1,
      refundedAmount: 4_000,
      net: 6_100,
    });
    expect(projector.storeDay('oslo', '2026-11-24')?.terminals['T-1']?.currencies['NOK']?.refundedAmount).toBe(4_000);
    expect(projector.paymentsHeld()).toBe(0);
  });

  it('counts a refund made at Dintero by no refund of ours with the day’s refunds, after the payment was let go', () => {
    const madeAt = '2026-11-25T09:30:00.000Z';
    const projector = project([
      ...store(),
      ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
      ...capturedPayment('q-1', '2026-11-24T11:00:00.000Z', 100),
      event('payment-p-1', 'ExternalRefundRecorded', {
        transactionId: 'tx-p-1',
        amount: 2_500,
        refundedElsewhere: 2_500,
        source: 'webhook',
        at: '2026-11-25T10:00:00.000Z',
        dinteroAt: madeAt,
      }),
    ]);
    // On Dintero's day of the refund, at no terminal (no terminal made it, and no batch holds it); the day of the sale
    // keeps its capture only.
    expect(projector.storeDay('oslo', '2026-11-25')?.currencies['NOK']).toMatchObject({
      refundedCount: 1,
      refundedAmount: 2_500,
    });
    expect(projector.storeDay('oslo', '2026-11-25')?.refundedElsewhere).toEqual({
      NOK: { refundedCount: 1, refundedAmount: 2_500 },
    });
    expect(projector.storeDay('oslo', '2026-11-25')?.terminals['T-1']).toBeUndefined();
    expect(projector.storeDay('oslo', '2026-11-24')?.currencies['NOK']?.refundedAmount ?? 0).toBe(0);
    expect(projector.paymentsHeld()).toBe(0);
  });

  it('counts the rest of a refund made elsewhere, recorded in part before, as money and no refund more', () => {
    const external = (amount: number, refundedElsewhere: number, dinteroAt: string, continued?: true) =>
      event('payment-p-1', 'ExternalRefundRecorded', {
        transactionId: 'tx-p-1',
        amount,
        refundedElsewhere,
        ...(continued ? { continued } : {}),
        source: 'webhook',
        at: '2026-11-26T08:00:00.000Z',
        dinteroAt,
      });
    const projector = project([
      ...store(),
      ...capturedPayment('p-1', '2026-11-23T10:00:00.000Z', 10_000),
      external(1_000, 1_000, '2026-11-23T15:00:00.000Z'),
      external(500, 1_500, '2026-11-24T15:00:00.000Z'),
      external(1_500, 3_000, '2026-11-24T15:00:00.000Z', true),
    ]);
    expect(projector.storeDay('oslo', '2026-11-23')?.currencies['NOK']).toMatchObject({
      refundedCount: 1,
      refundedAmount: 1_000,
    });
    expect(projector.storeDay('oslo', '2026-11-24')?.currencies['NOK']).toMatchObject({
      refundedCount: 1,
      refundedAmount: 2_000,
    });
  });

  it('lets a payment go again after money moved past its end brought it back', () => {
    const at = '2026-11-24T12:00:00.000Z';
    const projector = project([
      ...store(),
      ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
      event('payment-p-1', 'FurtherCaptureRecorded', {
        transactionId: 'tx-p-1',
        amount: 500,
        capturedAmount: 10_500,
        at,
      }),
      event('payment-p-1', 'LateCaptureRecorded', {
        transactionId: 'tx-2',
        amount: 700,
        currency: 'NOK',
        endedAs: 'captured',
        flaggedForReversal: true,
        at,
      }),
      // The rest of that transaction, captured later still.
      event('payment-p-1', 'LateCaptureRecorded', {
        transactionId: 'tx-2',
        amount: 300,
        capturedAmount: 1_000,
        currency: 'NOK',
        endedAs: 'captured',
        flaggedForReversal: true,
        at,
      }),
      // Dintero's 202 for a refund that had failed for its silence (the refund's own events are elsewhere).
      event('payment-p-1', 'RefundAccepted', { refundId: 'r-9', requestId: 'req-9', at }),
    ]);
    expect(projector.storeDay('oslo', '2026-11-24')?.currencies['NOK']).toMatchObject({ capturedAmount: 10_500 });
    expect(projector.storeDay('oslo', '2026-11-24')?.lateCaptures).toMatchObject([
      { transactionId: 'tx-2', amount: 700 },
      { transactionId: 'tx-2', amount: 300 },
    ]);
    // Two transactions in the terminal's batch, with all the money each took.
    expect(projector.terminal('oslo', 'T-1')?.openBatch).toMatchObject({ purchasesCount: 2, purchasesAmount: 11_500 });
    expect(projector.paymentsHeld()).toBe(0);
  });

  it('shows a failed refund on the terminal, and counts nothing for it', () => {
    const refundAt = '2026-11-24T12:00:00.000Z';
    const projector = project([
      ...store(),
      ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
      event('payment-p-1', 'RefundRequested', { refundId: 'r-1', amount: 4_000, terminalId: 'T-1', at: refundAt }),
      event('payment-p-1', 'RefundFailed', { refundId: 'r-1', reason: 'declined', at: refundAt }),
    ]);
    expect(projector.terminal('oslo', 'T-1')?.lastRefund).toMatchObject({ status: 'refund_failed', amount: 4_000 });
    expect(projector.storeDay('oslo', '2026-11-24')?.currencies.NOK?.refundedCount).toBe(0);
  });

  it('puts a payment at 23:30 UTC on the store’s local day', () => {
    expect(localDate('2026-11-24T23:30:00.000Z', 'Europe/Oslo')).toBe('2026-11-25');
    expect(localDate('2026-11-24T23:30:00.000Z', 'America/New_York')).toBe('2026-11-24');
    const projector = project([...store('Europe/Oslo'), ...capturedPayment('p-1', '2026-11-24T23:30:00.000Z')]);
    expect(projector.storeDay('oslo', '2026-11-25')?.currencies.NOK?.capturedAmount).toBe(10_000);
    expect(projector.storeDay('oslo', '2026-11-24')).toBeUndefined();
  });

  it('dates sales by the store’s clock on the nights it changes: 02:30 twice in autumn, midnight an hour earlier in spring', () => {
    /** A sale on T-1 asked for at `at` and captured at Dintero's `dinteroAt`. */
    const sale = (paymentId: string, amount: number, at: string, dinteroAt = at) => {
      const [claim, requested, session, captured, released] = capturedPayment(paymentId, at, amount);
      return [
        claim!,
        requested!,
        session!,
        { ...captured!, data: { ...(captured!.data as object), dinteroAt } },
        released!,
      ];
    };
    const projector = project([
      ...store('Europe/Oslo'),
      // 25 October 2026, clocks back at 03:00: 02:30 summer time, then 02:30 winter time.
      ...sale('a', 1_000, '2026-10-25T00:30:00.000Z'),
      ...sale('b', 2_000, '2026-10-25T01:30:00.000Z'),
      // 23:30 winter time that evening, still the 25th (by the summer's offset, the 26th).
      ...sale('f', 32_000, '2026-10-25T22:30:00.000Z'),
      // Begun at 23:59 on the 25th, captured at 00:01 on the 26th: the capture's day.
      ...sale('c', 4_000, '2026-10-25T22:59:00.000Z', '2026-10-25T23:01:00.000Z'),
      // 28 March 2027, clocks forward at 02:00: that evening's midnight is at 22:00 UTC, no longer 23:00.
      ...sale('d', 8_000, '2027-03-28T21:59:59.000Z'),
      ...sale('e', 16_000, '2027-03-28T22:00:00.000Z'),
    ]);
    const captured = (date: string) => projector.storeDay('oslo', date)?.currencies.NOK?.capturedAmount;
    expect(['2026-10-25', '2026-10-26', '2027-03-28', '2027-03-29'].map(captured)).toEqual([
      35_000, 4_000, 8_000, 16_000,
    ]);
  });

  it('dates a capture and a refund by Dintero’s time, not by when the engine heard of them', () => {
    // Dintero captured at 23:59:55 in Kiritimati (UTC+14) and refunded at 23:59:58; both were heard of
    // after local midnight. They belong to the 24th there, and the receipt time is kept only for lag.
    const dinteroCapture = '2026-11-24T09:59:55.000Z';
    const heard = '2026-11-24T10:00:10.000Z';
    const kiritimati = store('Pacific/Kiritimati');
    const [claim, requested, session, captured, released] = capturedPayment('p-1', heard);
    const projector = project([
      ...kiritimati,
      claim!,
      requested!,
      session!,
      { ...captured!, data: { ...(captured!.data as object), dinteroAt: dinteroCapture } },
      released!,
      event('payment-p-1', 'RefundRequested', { refundId: 'r-1', amount: 4_000, terminalId: 'T-2', at: heard }),
      event('payment-p-1', 'RefundSucceeded', {
        refundId: 'r-1',
        source: 'callback',
        at: heard,
        dinteroAt: '2026-11-24T09:59:58.000Z',
      }),
    ]);
    expect(projector.storeDay('oslo', '2026-11-24')?.currencies.NOK).toMatchObject({
      capturedAmount: 10_000,
      refundedAmount: 4_000,
    });
    expect(projector.storeDay('oslo', '2026-11-25')).toBeUndefined();
  });

  it('keeps a terminal’s counts for today when a fact of the day before arrives after them', () => {
    const oslo = store();
    const today = capturedPayment('p-1', '2026-11-25T08:00:00.000Z');
    const late = event('payment-p-1', 'RefundRequested', {
      refundId: 'r-1',
      amount: 100,
      terminalId: 'T-2',
      at: '2026-11-25T08:01:00.000Z',
    });
    const refunded = event('payment-p-1', 'RefundSucceeded', {
      refundId: 'r-1',
      source: 'callback',
      at: '2026-11-25T08:01:00.000Z',
      dinteroAt: '2026-11-24T22:59:58.000Z',
    });
    const projector = project([...oslo, ...today, late, refunded]);
    expect(projector.terminal('oslo', 'T-1')?.today).toMatchObject({ date: '2026-11-25', payments: 1, captured: 1 });
    expect(projector.storeDay('oslo', '2026-11-24')?.currencies.NOK?.refundedAmount).toBe(100);
  });

  it('frees a terminal whose claim is released with no payment ever recorded behind it', () => {
    const claimedAt = '2026-11-24T10:00:00.000Z';
    /** A refund's claim, in the log after the store (each call is the next position). */
    const refundClaim = () =>
      event('terminal-T-1', 'TerminalClaimed', {
        terminalId: 'T-1',
        claimId: 'r-9',
        kind: 'refund',
        paymentId: 'p-9',
        storeId: 'oslo',
        claimedAt,
        expiresAt: '2026-11-24T10:05:00.000Z',
      });
    const projector = project([...store(), refundClaim()]);
    expect(projector.terminal('oslo', 'T-1')?.status).toBe('refunding');
    expect(projector.store('oslo')?.terminals.busy).toBe(1);
    const release = { terminalId: 'T-1', claimId: 'r-9', paymentId: 'p-9', reason: 'reconciled', at: claimedAt };
    // A release that names its store, and one recorded before releases did (found through the terminal).
    for (const data of [{ ...release, storeId: 'oslo' }, release]) {
      const again = project([...store(), refundClaim(), event('terminal-T-1', 'TerminalReleased', data)]);
      expect(again.terminal('oslo', 'T-1')).toMatchObject({ status: 'idle' });
      expect(again.terminal('oslo', 'T-1')?.active).toBeUndefined();
      expect(again.store('oslo')?.terminals).toEqual({ busy: 0, idle: 2, deactivated: 0 });
    }
  });

  it('lists a payment flagged for review on its store until it ends', () => {
    const at = '2026-11-24T10:00:00.000Z';
    const oslo = store();
    const [claim, requested, session, captured] = capturedPayment('p-1', at);
    const flagged = event('payment-p-1', 'PaymentFlaggedForReview', {
      reason: 'outcome_unknown',
      transactionId: 'tx-p-1',
      since: at,
      at: '2026-11-24T10:15:00.000Z',
    });
    const open = project([...oslo, claim!, requested!, session!, flagged]);
    expect(open.store('oslo')?.review).toEqual([
      {
        paymentId: 'p-1',
        terminalId: 'T-1',
        reason: 'outcome_unknown',
        transactionId: 'tx-p-1',
        since: at,
        at: '2026-11-24T10:15:00.000Z',
      },
    ]);
    // Positions follow creation: the capture that settles it comes after the flag in the log.
    const settledLater = event('payment-p-1', 'PaymentCaptured', captured!.data as Record<string, unknown>);
    const settled = project([...oslo, claim!, requested!, session!, flagged, settledLater]);
    expect(settled.store('oslo')?.review).toBeUndefined();
  });

  it('counts refusals by kind, and lists late captures for reversal', () => {
    const at = '2026-11-24T10:00:00.000Z';
    const requested = (paymentId: string) => requestedOnT2(paymentId, at);
    const projector = project([
      ...store(),
      requested('d'),
      event('payment-d', 'PaymentDeclined', { reason: 'x', source: 'callback', at }),
      requested('c'),
      event('payment-c', 'PaymentCancelled', { by: 'customer', source: 'callback', at }),
      event('payment-c', 'LateCaptureRecorded', {
        transactionId: 'tx-c',
        amount: 700,
        currency: 'EUR',
        endedAs: 'cancelled',
        flaggedForReversal: true,
        source: 'webhook',
        at,
      }),
      requested('e'),
      event('payment-e', 'PaymentExpired', { source: 'reconciler', at }),
    ]);
    expect(projector.storeDay('oslo', '2026-11-24')).toMatchObject({
      counts: { declined: 1, failed: 0, cancelled: 1, expired: 1 },
      lateCaptures: [{ paymentId: 'c', transactionId: 'tx-c', amount: 700, currency: 'EUR', endedAs: 'cancelled' }],
    });
    expect(projector.terminal('oslo', 'T-2')?.today).toMatchObject({
      payments: 3,
      declined: 1,
      cancelled: 1,
      expired: 1,
    });
  });

  it('counts a void on the day Dintero gives it, and a refusal to start on the day the engine recorded it', () => {
    // Oslo is UTC+1: 22:59:56Z is 23:59:56 on the 24th, 23:00:10Z past midnight, the 25th.
    const requested = requestedOnT2;
    const voided = event('payment-v', 'PaymentVoided', {
      transactionId: 'tx-v',
      source: 'webhook',
      dinteroAt: '2026-11-24T22:59:56.000Z',
      at: '2026-11-24T23:00:30.000Z',
    });
    const rejected = event('payment-r', 'SessionCreationRejected', {
      code: 'INVALID_REQUEST',
      message: 'refused',
      httpStatus: 400,
      at: '2026-11-24T23:00:10.000Z',
    });
    const events = [
      ...store(),
      requested('v', '2026-11-24T22:00:00.000Z'),
      requested('r', '2026-11-24T22:59:00.000Z'),
      voided,
      rejected,
    ];
    const projector = project(events);
    const none = { declined: 0, failed: 0, cancelled: 0, expired: 0 };
    expect(projector.storeDay('oslo', '2026-11-24')?.counts).toEqual({ ...none, voided: 1, rejected: 0 });
    expect(projector.storeDay('oslo', '2026-11-25')?.counts).toEqual({ ...none, voided: 0, rejected: 1 });
    expect(project(events.slice(0, -1)).terminal('oslo', 'T-2')?.today).toEqual({
      date: '2026-11-24',
      payments: 2,
      captured: 0,
      ...none,
      voided: 1,
      rejected: 0,
      refunds: 0,
    });
    expect(projector.terminal('oslo', 'T-2')?.today).toEqual({
      date: '2026-11-25',
      payments: 0,
      captured: 0,
      ...none,
      voided: 0,
      rejected: 1,
      refunds: 0,
    });
  });

  it('reads day counts folded before fold version 2, without voids and refusals to start, as 0 and counts on', () => {
    const at = '2026-11-24T10:00:00.000Z';
    const requested = (paymentId: string) => requestedOnT2(paymentId, at);
    const first = new ReadModelProjector();
    const held = [
      ...store(),
      requested('d'),
      event('payment-d', 'PaymentDeclined', { reason: 'x', source: 'callback', at }),
    ].flatMap((e) => first.apply(e));
    // As fold version 1 wrote them: no `voided`, no `rejected`.
    const old = held.map((change) => {
      const doc = JSON.parse(JSON.stringify(change.doc)) as Record<string, { voided?: number; rejected?: number }>;
      const counts =
        change.model === 'terminal' ? doc['today'] : change.model === 'store-day' ? doc['counts'] : undefined;
      if (counts) {
        delete counts.voided;
        delete counts.rejected;
      }
      return { ...change, doc } as unknown as Change;
    });
    expect(old.some((change) => change.model === 'store-day')).toBe(true);
    for (const change of old) expect(documentProblem(change.model, change.doc)).toBeUndefined();
    const resumed = new ReadModelProjector();
    old.forEach((change) => resumed.load(change));
    expect(resumed.storeDay('oslo', '2026-11-24')?.counts).toMatchObject({ declined: 1, voided: 0, rejected: 0 });
    expect(resumed.terminal('oslo', 'T-2')?.today).toMatchObject({ payments: 1, declined: 1, voided: 0, rejected: 0 });
    [
      requested('v'),
      event('payment-v', 'PaymentVoided', { transactionId: 'tx-v', source: 'webhook', at }),
      requested('r'),
      event('payment-r', 'SessionCreationRejected', { code: 'X', message: 'refused', httpStatus: 400, at }),
    ].forEach((e) => resumed.apply(e));
    expect(resumed.storeDay('oslo', '2026-11-24')?.counts).toEqual({
      declined: 1,
      failed: 0,
      cancelled: 0,
      expired: 0,
      voided: 1,
      rejected: 1,
    });
    expect(resumed.terminal('oslo', 'T-2')?.today).toMatchObject({ payments: 3, declined: 1, voided: 1, rejected: 1 });
  });

  it('counts a refund of a late capture with the refunds of the day Dintero made it, and lists it given back', () => {
    const at = '2026-11-24T10:00:00.000Z';
    const refundedAt = '2026-11-25T09:00:00.000Z';
    const madeAt = '2026-11-25T09:30:00.000Z';
    const refundOf = (refundId: string, amount: number) =>
      event('payment-c', 'RefundRequested', {
        refundId,
        amount,
        transactionId: 'tx-c',
        terminalId: 'T-1',
        at: refundedAt,
      });
    const projector = project([
      ...store(),
      ...cancelledCapturedLate(at),
      // Given back the next day in two parts: one at once, one failed for Dintero's silence and made after all.
      refundOf('r-1', 300),
      event('payment-c', 'RefundSucceeded', { refundId: 'r-1', source: 'command-service', at: refundedAt }),
      refundOf('r-2', 400),
      event('payment-c', 'RefundFailed', {
        refundId: 'r-2',
        reason: 'no trace at Dintero',
        noTrace: true,
        source: 'reconciler',
        at: refundedAt,
      }),
      event('payment-c', 'LateRefundRecorded', {
        refundId: 'r-2',
        amount: 400,
        terminalId: 'T-1',
        source: 'webhook',
        at: madeAt,
        dinteroAt: madeAt,
      }),
    ]);
    // The capture's day keeps the late capture and its money as they were, marked given back on the day of its
    // refunds; the refunds count on the day Dintero made them.
    const captureDay = projector.storeDay('oslo', '2026-11-24');
    expect(captureDay?.lateCaptures).toEqual([
      expect.objectContaining({ paymentId: 'c', transactionId: 'tx-c', amount: 700, refundedOn: ['2026-11-25'] }),
    ]);
    expect(captureDay?.lateCaptureRefunds).toBeUndefined();
    expect(captureDay?.currencies['EUR']?.refundedAmount ?? 0).toBe(0);
    const day = projector.storeDay('oslo', '2026-11-25');
    expect(day?.currencies['EUR']).toMatchObject({ refundedCount: 2, refundedAmount: 700 });
    expect(day?.lateCaptureRefunds).toEqual([
      {
        paymentId: 'c',
        transactionId: 'tx-c',
        refundId: 'r-1',
        terminalId: 'T-1',
        amount: 300,
        currency: 'EUR',
        at: refundedAt,
      },
      {
        paymentId: 'c',
        transactionId: 'tx-c',
        refundId: 'r-2',
        terminalId: 'T-1',
        amount: 400,
        currency: 'EUR',
        at: madeAt,
      },
    ]);
  });

  it('lists a refund of a late capture given back that Dintero refused at first and then made', () => {
    const at = '2026-11-24T10:00:00.000Z';
    const madeAt = '2026-11-25T09:30:00.000Z';
    const projector = project([
      ...store(),
      ...cancelledCapturedLate(at),
      event('payment-c', 'RefundRequested', {
        refundId: 'r-1',
        amount: 700,
        transactionId: 'tx-c',
        terminalId: 'T-1',
        at,
      }),
      // Dintero's own no (a first try at the terminal refused), then its second try made.
      event('payment-c', 'RefundFailed', { refundId: 'r-1', reason: 'DECLINED', source: 'webhook', at }),
      event('payment-c', 'LateRefundRecorded', {
        refundId: 'r-1',
        amount: 700,
        terminalId: 'T-1',
        transactionId: 'tx-c',
        source: 'webhook',
        at: madeAt,
        dinteroAt: madeAt,
      }),
    ]);
    const day = projector.storeDay('oslo', '2026-11-25');
    expect(day?.currencies['EUR']).toMatchObject({ refundedCount: 1, refundedAmount: 700 });
    expect(day?.lateCaptureRefunds).toEqual([
      {
        paymentId: 'c',
        transactionId: 'tx-c',
        refundId: 'r-1',
        terminalId: 'T-1',
        amount: 700,
        currency: 'EUR',
        at: madeAt,
      },
    ]);
  });

  it('lists a late capture given back at Dintero by no refund of ours on the day Dintero made it, and none of the sale', () => {
    const at = '2026-11-24T10:00:00.000Z';
    const madeAt = '2026-11-25T09:30:00.000Z';
    const projector = project([
      ...store(),
      ...saleCapturedLate(at, 'NOK'),
      // Given back in Dintero's Backoffice the next day, in a refund recorded in part first and then its rest.
      event('payment-p-1', 'ExternalRefundRecorded', {
        transactionId: 'tx-late',
        amount: 3_000,
        refundedElsewhere: 3_000,
        lateCapture: true,
        source: 'webhook',
        at: madeAt,
        dinteroAt: madeAt,
      }),
      event('payment-p-1', 'ExternalRefundRecorded', {
        transactionId: 'tx-late',
        amount: 2_000,
        refundedElsewhere: 5_000,
        lateCapture: true,
        continued: true,
        source: 'webhook',
        at: madeAt,
        dinteroAt: madeAt,
      }),
      // The sale refunded there too: counted with the refunds, and no late capture given back.
      event('payment-p-1', 'ExternalRefundRecorded', {
        transactionId: 'tx-p-1',
        amount: 1_000,
        refundedElsewhere: 1_000,
        source: 'webhook',
        at: madeAt,
        dinteroAt: madeAt,
      }),
    ]);
    expect(projector.storeDay('oslo', '2026-11-24')?.lateCaptureRefunds).toBeUndefined();
    // The late capture's own day says it was given back, and when; the sale's refund marks nothing.
    expect(projector.storeDay('oslo', '2026-11-24')?.lateCaptures).toEqual([
      expect.objectContaining({ transactionId: 'tx-late', refundedOn: ['2026-11-25'] }),
    ]);
    const day = projector.storeDay('oslo', '2026-11-25');
    expect(day?.currencies['NOK']).toMatchObject({ refundedCount: 2, refundedAmount: 6_000 });
    // At no terminal's totals, as the terminal's batch has none of them: beside the terminals, adding up to the day's.
    expect(day?.terminals['T-1']).toBeUndefined();
    expect(day?.refundedElsewhere).toEqual({ NOK: { refundedCount: 2, refundedAmount: 6_000 } });
    // One refund at Dintero, recorded in two parts: one entry, its whole amount, as the day's one refund of it.
    expect(day?.lateCaptureRefunds).toEqual([
      { paymentId: 'p-1', transactionId: 'tx-late', elsewhere: true, amount: 5_000, currency: 'NOK', at: madeAt },
    ]);
  });

  it('lists two refunds made elsewhere of a late capture as two, and the rest of one recorded on a later day as its rest', () => {
    const at = '2026-11-24T10:00:00.000Z';
    const elsewhere = (amount: number, refundedElsewhere: number, when: string, continued = false) =>
      event('payment-c', 'ExternalRefundRecorded', {
        transactionId: 'tx-c',
        amount,
        refundedElsewhere,
        lateCapture: true,
        ...(continued ? { continued: true } : {}),
        source: 'webhook',
        at: when,
      });
    const projector = project([
      ...store(),
      ...cancelledCapturedLate(at),
      // Two refunds at Dintero the same day, then the rest of the second, held back, recorded the next day.
      elsewhere(200, 200, '2026-11-24T11:00:00.000Z'),
      elsewhere(300, 500, '2026-11-24T12:00:00.000Z'),
      elsewhere(200, 700, '2026-11-25T09:00:00.000Z', true),
    ]);
    const first = projector.storeDay('oslo', '2026-11-24');
    expect(first?.lateCaptureRefunds?.map(({ amount, continued }) => [amount, continued])).toEqual([
      [200, undefined],
      [300, undefined],
    ]);
    expect(first?.currencies['EUR']).toMatchObject({ refundedCount: 2, refundedAmount: 500 });
    const next = projector.storeDay('oslo', '2026-11-25');
    expect(next?.lateCaptureRefunds).toEqual([
      expect.objectContaining({ transactionId: 'tx-c', elsewhere: true, continued: true, amount: 200 }),
    ]);
    expect(next?.currencies['EUR']).toMatchObject({ refundedCount: 0, refundedAmount: 200 });
  });

  it('counts a late capture in another currency than its payment, and its refunds, in its own currency', () => {
    const at = '2026-11-24T10:00:00.000Z';
    const refundedAt = '2026-11-24T11:00:00.000Z';
    const projector = project([
      ...store(),
      // A sale in NOK on T-1, and Dintero capturing another transaction of it in SEK.
      ...saleCapturedLate(at, 'SEK'),
      // Given back in part at T-2 by a refund of ours, and in part in Dintero's Backoffice.
      lateCaptureRefundRequested(refundedAt),
      event('payment-p-1', 'RefundSucceeded', { refundId: 'r-1', source: 'command-service', at: refundedAt }),
      event('payment-p-1', 'ExternalRefundRecorded', {
        transactionId: 'tx-late',
        amount: 1_000,
        refundedElsewhere: 1_000,
        lateCapture: true,
        source: 'webhook',
        at: refundedAt,
      }),
    ]);
    const day = projector.storeDay('oslo', '2026-11-24');
    // The sale's currency keeps the sale alone; the late capture's money is in SEK, never added into NOK.
    expect(day?.currencies['NOK']).toEqual({
      capturedCount: 1,
      capturedAmount: 10_000,
      refundedCount: 0,
      refundedAmount: 0,
      net: 10_000,
    });
    expect(day?.currencies['SEK']).toMatchObject({ refundedCount: 2, refundedAmount: 3_000 });
    expect(day?.lateCaptures).toEqual([expect.objectContaining({ transactionId: 'tx-late', currency: 'SEK' })]);
    expect(day?.lateCaptureRefunds?.map((refund) => [refund.amount, refund.currency])).toEqual([
      [2_000, 'SEK'],
      [1_000, 'SEK'],
    ]);
    expect(day?.terminals['T-2']?.currencies['NOK']).toBeUndefined();
    expect(projector.terminal('oslo', 'T-1')?.openBatch?.currencies?.['SEK']).toMatchObject({
      purchasesCount: 1,
      purchasesAmount: 5_000,
    });
    expect(projector.terminal('oslo', 'T-1')?.openBatch?.currencies?.['NOK']).toMatchObject({
      purchasesCount: 1,
      purchasesAmount: 10_000,
    });
    expect(projector.terminal('oslo', 'T-2')?.openBatch?.currencies?.['SEK']).toMatchObject({
      reversalsCount: 1,
      reversalsAmount: 2_000,
    });
    expect(projector.terminal('oslo', 'T-2')?.lastRefund).toMatchObject({ refundId: 'r-1', currency: 'SEK' });
    expect(projector.store('oslo')?.today?.totals['SEK']).toMatchObject({ refundedAmount: 3_000 });
    expect(projector.store('oslo')?.today?.totals['NOK']).toMatchObject({ refundedAmount: 0 });
  });

  it("names a late capture's currency on Dintero's no after its silence to a refund of it", () => {
    const at = '2026-11-24T10:00:00.000Z';
    const projector = project([
      ...store(),
      ...saleCapturedLate(at, 'SEK'),
      lateCaptureRefundRequested(at),
      event('payment-p-1', 'RefundFailed', {
        refundId: 'r-1',
        reason: 'no trace at Dintero',
        noTrace: true,
        source: 'reconciler',
        at,
      }),
      event('payment-p-1', 'RefundAccepted', { refundId: 'r-1', at }),
      // Dintero's own no, carrying the amount and terminal (in the late capture's currency), never the transaction.
      event('payment-p-1', 'RefundFailed', {
        refundId: 'r-1',
        reason: 'declined',
        amount: 2_000,
        terminalId: 'T-2',
        source: 'webhook',
        at,
      }),
    ]);
    expect(projector.terminal('oslo', 'T-2')?.lastRefund).toMatchObject({
      refundId: 'r-1',
      status: 'refund_failed',
      amount: 2_000,
      currency: 'SEK',
    });
  });

  it('lists no late capture given back for a refund of the sale', () => {
    const projector = project([
      ...store(),
      ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
      event('payment-p-1', 'RefundRequested', {
        refundId: 'r-1',
        amount: 4_000,
        terminalId: 'T-2',
        at: '2026-11-24T11:00:00.000Z',
      }),
      event('payment-p-1', 'RefundSucceeded', { refundId: 'r-1', source: 'webhook', at: '2026-11-24T11:00:00.000Z' }),
    ]);
    expect(projector.storeDay('oslo', '2026-11-24')?.currencies['NOK']).toMatchObject({ refundedAmount: 4_000 });
    expect(projector.storeDay('oslo', '2026-11-24')?.lateCaptureRefunds).toBeUndefined();
  });

  it('says when the engine last heard of the terminal, not when Dintero says a fact happened, and never goes back', () => {
    const projector = project([
      ...store(),
      claimed('p-1', '2026-11-24T10:00:00.000Z'),
      event('payment-p-1', 'PaymentRequested', {
        paymentId: 'p-1',
        storeId: 'oslo',
        terminalId: 'T-1',
        amount: 1_000,
        currency: 'NOK',
        requestedAt: '2026-11-24T10:00:00.000Z',
      }),
      claimed('p-2', '2026-11-24T10:03:00.000Z'),
      // Dintero dates the capture 10:01; the engine heard of it at 10:05, after p-2's claim.
      event('payment-p-1', 'PaymentCaptured', {
        transactionId: 'tx-1',
        amount: 1_000,
        currency: 'NOK',
        source: 'webhook',
        at: '2026-11-24T10:05:00.000Z',
        dinteroAt: '2026-11-24T10:01:00.000Z',
      }),
      // p-2's release, timed by a clock a little behind: heard after, never before.
      event('terminal-T-1', 'TerminalReleased', {
        terminalId: 'T-1',
        claimId: 'p-2',
        paymentId: 'p-2',
        storeId: 'oslo',
        reason: 'expired',
        at: '2026-11-24T10:04:00.000Z',
      }),
    ]);
    expect(projector.terminal('oslo', 'T-1')?.status).toBe('idle');
    expect(projector.terminal('oslo', 'T-1')?.lastHeardAt).toBe('2026-11-24T10:05:00.000Z');
    expect(projector.terminal('oslo', 'T-1')?.lastOutcome).toMatchObject({ at: '2026-11-24T10:01:00.000Z' });
  });

  it('shows a deactivated terminal as deactivated, since when', () => {
    const projector = project([
      ...store(),
      event('store-oslo', 'TerminalDeactivated', {
        storeId: 'oslo',
        terminalId: 'T-2',
        at: '2026-11-24T00:00:00.000Z',
      }),
    ]);
    expect(projector.terminal('oslo', 'T-2')).toMatchObject({
      status: 'deactivated',
      statusSince: '2026-11-24T00:00:00.000Z',
    });
    expect(projector.store('oslo')?.terminals).toEqual({ busy: 0, idle: 1, deactivated: 1 });
  });

  it("corrects the older close a capture belongs to when it is reported after two closes, on that close's day", () => {
    const projector = project([
      ...store(),
      ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
      // The terminal counted p-2 too; the log has not heard of it yet: this close disagrees.
      closeOf('c-1', '2026-11-24', '2026-11-24T22:00:00.000Z', {
        batchId: '000001',
        startOfDayAt: '2026-11-24T06:00:00.000Z',
        purchasesCount: 2,
        purchasesAmount: 15_000,
      }),
      ...capturedPayment('p-3', '2026-11-25T10:00:00.000Z', 7_000),
      closeOf('c-2', '2026-11-25', '2026-11-25T22:00:00.000Z', {
        batchId: '000002',
        purchasesCount: 1,
        purchasesAmount: 7_000,
      }),
      // Captured in the first batch, reported after the second close.
      ...capturedPayment('p-2', '2026-11-24T20:00:00.000Z', 5_000),
    ]);
    expect(projector.storeDay('oslo', '2026-11-24')?.closes?.['c-1']).toMatchObject({
      recorded: { purchasesCount: 2, purchasesAmount: 15_000 },
      currencies: { NOK: { purchasesCount: 2, purchasesAmount: 15_000 } },
      mismatch: false,
    });
    expect(projector.storeDay('oslo', '2026-11-24')?.closeMismatches).toBe(0);
    // The second close and the open batch are as they were.
    expect(projector.storeDay('oslo', '2026-11-25')?.closes?.['c-2']).toMatchObject({
      recorded: { purchasesCount: 1, purchasesAmount: 7_000 },
      mismatch: false,
    });
    expect(projector.terminal('oslo', 'T-1')?.lastClose?.operationId).toBe('c-2');
    expect(projector.terminal('oslo', 'T-1')?.openBatch).toMatchObject({ purchasesCount: 0, purchasesAmount: 0 });
  });

  it('counts a capture after the last close, before the next batch opened by a terminal clock running fast, in that batch however late it is reported', () => {
    // The terminal says its second batch opened at 12:00:05; Dintero dates the capture 12:00:00, after the first
    // close at 10:00. Heard of before the second close it is in the open batch, so in that close: heard of after it,
    // the same.
    const first = closeOf('c-1', '2026-11-24', '2026-11-24T10:00:00.000Z', {
      batchId: '1',
      startOfDayAt: '2026-11-24T06:00:00.000Z',
      purchasesCount: 0,
    });
    const second = closeOf('c-2', '2026-11-24', '2026-11-24T20:00:00.000Z', {
      batchId: '2',
      startOfDayAt: '2026-11-24T12:00:05.000Z',
      purchasesCount: 1,
      purchasesAmount: 1_000,
    });
    const capture = capturedPayment('p-1', '2026-11-24T12:00:00.000Z', 1_000);
    for (const events of [
      [...store(), first, ...capture, second],
      [...store(), first, second, ...capture],
    ]) {
      const projector = project(events);
      expect(projector.storeDay('oslo', '2026-11-24')?.closes?.['c-2']).toMatchObject({
        recorded: { purchasesCount: 1, purchasesAmount: 1_000 },
        mismatch: false,
      });
      expect(projector.terminal('oslo', 'T-1')?.openBatch).toMatchObject({ purchasesCount: 0 });
    }
  });

  it('counts a capture at the very instant of a close in that close, whenever it is heard of', () => {
    const first = closeOf('c-1', '2026-11-24', '2026-11-24T10:00:00.000Z', {
      batchId: '1',
      startOfDayAt: '2026-11-24T06:00:00.000Z',
      purchasesCount: 1,
      purchasesAmount: 1_000,
    });
    const second = closeOf('c-2', '2026-11-24', '2026-11-24T20:00:00.000Z', { batchId: '2', purchasesCount: 0 });
    const capture = capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 1_000);
    for (const events of [
      [...store(), ...capture, first, second],
      [...store(), first, ...capture, second],
      [...store(), first, second, ...capture],
    ]) {
      const closes = project(events).storeDay('oslo', '2026-11-24')?.closes;
      expect([closes?.['c-1']?.recorded.purchasesCount, closes?.['c-2']?.recorded.purchasesCount]).toEqual([1, 0]);
    }
  });

  it('keeps a swapped-out device’s batch apart: the new device’s close is compared with its own sales alone', () => {
    const swap = '2026-11-24T12:00:00.000Z';
    const newDevicesClose = closeOf('c-1', '2026-11-24', '2026-11-24T22:30:00.000Z', {
      batchId: '1',
      purchasesCount: 1,
      purchasesAmount: 5_000,
    });
    const oldDevicesSale = capturedPayment('p-1', '2026-11-24T09:00:00.000Z', 10_000);
    const newDevicesSale = capturedPayment('p-2', '2026-11-24T15:00:00.000Z', 5_000);
    // The old device's sale heard of before the swap, or after it (and after the new device's close): the same.
    for (const events of [
      [
        ...store(),
        enrolled('D-OLD', '2026-11-24T06:00:00.000Z'),
        ...oldDevicesSale,
        enrolled('D-NEW', swap),
        ...newDevicesSale,
        newDevicesClose,
      ],
      [
        ...store(),
        enrolled('D-OLD', '2026-11-24T06:00:00.000Z'),
        enrolled('D-NEW', swap),
        ...newDevicesSale,
        newDevicesClose,
        ...oldDevicesSale,
      ],
    ]) {
      const projector = project(events);
      expect(projector.storeDay('oslo', '2026-11-24')?.closes?.['c-1']).toMatchObject({
        recorded: { purchasesCount: 1, purchasesAmount: 5_000 },
        mismatch: false,
      });
      expect(projector.terminal('oslo', 'T-1')).toMatchObject({
        device: 'D-NEW',
        swappedOut: { [swap]: { device: 'D-OLD', purchasesCount: 1, purchasesAmount: 10_000 } },
      });
    }
  });

  it('keeps each swapped-out batch apart by its swap, a device swapped back starting a batch of its own, whenever a sale is heard of', () => {
    // A sells, a loaner B for two hours (one sale), A back (one sale), B again from 18:00, then a close at 22:30.
    const aBefore = capturedPayment('p-1', '2026-11-24T09:00:00.000Z', 10_000);
    const onB = capturedPayment('p-2', '2026-11-24T13:00:00.000Z', 2_000);
    const aAfter = capturedPayment('p-3', '2026-11-24T16:00:00.000Z', 5_000);
    const close = closeOf('c-1', '2026-11-24', '2026-11-24T22:30:00.000Z', { batchId: '1', purchasesCount: 0 });
    const swaps = (...between: RecordedEvent[][]) => [
      ...store(),
      enrolled('D-A', '2026-11-24T06:00:00.000Z'),
      ...between[0]!,
      enrolled('D-B', '2026-11-24T12:00:00.000Z'),
      ...between[1]!,
      enrolled('D-A', '2026-11-24T14:00:00.000Z'),
      ...between[2]!,
      enrolled('D-B', '2026-11-24T18:00:00.000Z'),
      close,
      ...between[3]!,
    ];
    for (const events of [
      swaps(aBefore, onB, aAfter, []),
      swaps([], [], [], [...aAfter, ...onB, ...aBefore]),
      swaps([], onB, [], [...aBefore, ...aAfter]),
    ]) {
      const projector = project(events);
      // B's second stint sold nothing: its close agrees.
      expect(projector.storeDay('oslo', '2026-11-24')?.closes?.['c-1']).toMatchObject({
        recorded: { purchasesCount: 0 },
        mismatch: false,
      });
      expect(projector.terminal('oslo', 'T-1')?.swappedOut).toEqual({
        '2026-11-24T12:00:00.000Z': expect.objectContaining({
          device: 'D-A',
          purchasesCount: 1,
          purchasesAmount: 10_000,
        }),
        '2026-11-24T14:00:00.000Z': expect.objectContaining({
          device: 'D-B',
          since: '2026-11-24T12:00:00.000Z',
          purchasesCount: 1,
          purchasesAmount: 2_000,
        }),
        '2026-11-24T18:00:00.000Z': expect.objectContaining({
          device: 'D-A',
          since: '2026-11-24T14:00:00.000Z',
          purchasesCount: 1,
          purchasesAmount: 5_000,
        }),
      });
    }
  });

  it("reads the older close's day back when it is out of memory, and corrects it there", async () => {
    const projector = project([
      ...store(),
      // Closes at 02:00 local time, for the day before.
      closeOf('c-1', '2026-11-24', '2026-11-25T01:00:00.000Z', {
        batchId: '000001',
        startOfDayAt: '2026-11-24T06:00:00.000Z',
        purchasesCount: 1,
        purchasesAmount: 5_000,
      }),
      closeOf('c-2', '2026-11-25', '2026-11-26T01:00:00.000Z', { batchId: '000002', purchasesCount: 0 }),
      // Weeks later: the 24th is out of the days kept in memory, and only in KV.
      ...capturedPayment('p-9', '2026-12-20T10:00:00.000Z', 100),
    ]);
    const kv = new Map(projector.retirePastDays(10_000n).map(({ key, doc }) => [key, doc]));
    expect(projector.storeDay('oslo', '2026-11-24')).toBeUndefined();
    expect(kv.get('oslo.2026-11-24')?.closeMismatches).toBe(1);
    const written: Change[] = [];
    await applyFromLog(
      {} as EventStore,
      projector,
      // 00:30 on the 25th in Oslo: a day after the close's own.
      capturedPayment('p-2', '2026-11-24T23:30:00.000Z', 5_000),
      (change) => written.push(change),
      (key) => Promise.resolve(kv.get(key)),
    );
    // The later of two writes of one document stands (`applyEach`).
    const day = written.filter((change) => change.key === 'oslo.2026-11-24').at(-1)?.doc as StoreDayDoc | undefined;
    expect(day?.closes?.['c-1']).toMatchObject({ recorded: { purchasesCount: 1, purchasesAmount: 5_000 } });
    expect(day?.closeMismatches).toBe(0);
  });

  it('corrects an older close the same whether its facts come in one page or with the memory retired between', async () => {
    const base = [
      ...store(),
      closeOf('c-0', '2026-11-19', '2026-11-19T21:00:00.000Z', { batchId: '0', purchasesCount: 0 }),
      // Not closed over the weekend: Monday's close holds Thursday evening's to Monday's payments.
      closeOf('c-1', '2026-11-23', '2026-11-23T21:00:00.000Z', {
        batchId: '1',
        purchasesCount: 2,
        purchasesAmount: 5_100,
      }),
      closeOf('c-2', '2026-11-24', '2026-11-24T21:00:00.000Z', { batchId: '2', purchasesCount: 0 }),
      ...capturedPayment('p-9', '2026-12-20T10:00:00.000Z', 1),
    ];
    const [monday, friday] = [
      capturedPayment('p-8', '2026-11-23T10:00:00.000Z', 100),
      capturedPayment('p-2', '2026-11-20T10:00:00.000Z', 5_000),
    ];
    const closeAfter = async (pages: RecordedEvent[][]) => {
      const projector = project(base);
      const kv = new Map(projector.retirePastDays(10_000n).map(({ key, doc }) => [key, doc]));
      for (const page of pages) {
        const onChange = (change: Change) => {
          if (change.model === 'store-day') kv.set(change.key, change.doc);
        };
        await applyFromLog({} as EventStore, projector, page, onChange, (key) => Promise.resolve(kv.get(key)));
        for (const { key, doc } of projector.retirePastDays(10_000n)) kv.set(key, doc);
      }
      return kv.get('oslo.2026-11-23')?.closes?.['c-1'];
    };
    const together = await closeAfter([[...monday, ...friday]]);
    expect(await closeAfter([monday, friday])).toEqual(together);
    // Friday's capture, three days before the close's day, is in Monday's close as much as Monday's is.
    expect(together).toMatchObject({ recorded: { purchasesCount: 2, purchasesAmount: 5_100 }, mismatch: false });
  });

  it('leaves a fact out of the closes when its batch was not closed for more than a week', () => {
    const projector = project([
      ...store(),
      closeOf('c-0', '2026-11-01', '2026-11-01T21:00:00.000Z', { batchId: '0', purchasesCount: 0 }),
      closeOf('c-1', '2026-11-12', '2026-11-12T21:00:00.000Z', { batchId: '1', purchasesCount: 1 }),
      closeOf('c-2', '2026-11-13', '2026-11-13T21:00:00.000Z', { batchId: '2', purchasesCount: 0 }),
      // Eight days before its close: no day searched holds it.
      ...capturedPayment('p-1', '2026-11-04T10:00:00.000Z', 100),
    ]);
    expect(projector.storeDay('oslo', '2026-11-12')?.closes?.['c-1']).toMatchObject({
      recorded: { purchasesCount: 0 },
      mismatch: true,
    });
    expect(projector.terminal('oslo', 'T-1')?.openBatch).toMatchObject({ purchasesCount: 0 });
  });

  it("shows Dintero's no to a refund it took after its silence on the refund's terminal, with its amount", () => {
    const refundAt = '2026-11-24T12:00:00.000Z';
    const projector = project([
      ...store(),
      ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
      ...refundFailedForSilence(refundAt),
      event('payment-p-1', 'RefundAccepted', {
        refundId: 'r-1',
        requestId: 'req-1',
        source: 'reconciler',
        at: refundAt,
      }),
      event('payment-p-1', 'RefundFailed', {
        refundId: 'r-1',
        reason: 'DECLINED',
        amount: 4_000,
        terminalId: 'T-2',
        source: 'webhook',
        at: '2026-11-24T12:30:00.000Z',
      }),
    ]);
    expect(projector.terminal('oslo', 'T-2')?.lastRefund).toMatchObject({
      refundId: 'r-1',
      status: 'refund_failed',
      amount: 4_000,
      at: '2026-11-24T12:30:00.000Z',
    });
    expect(projector.terminal('oslo', 'T-1')?.lastRefund).toBeUndefined();
  });

  describe('a close whose outcome reaches the log after sales made once the terminal had closed', () => {
    /** T-1's end-of-day close asked for at `at`, naming no store day; Dintero answers later (`closeOf`, with Dintero's time). */
    const requested = (operationId: string, at: string) =>
      terminalCloseEvents(event).requested(operationId, {
        requestedBy: 'nightly-close',
        requestedAt: at,
        expiresAt: at,
      });
    /** T-1's close ended without closing (failed, timed out). */
    const endedWithout = (operationId: string, outcome: string, reason: string, at: string) => ({
      ...event(`operation-${operationId}`, 'OperationEnded', { operationId, outcome, reason, at }),
      metadata: { storeId: 'oslo', terminalId: 'T-1' },
    });
    const closedBy = (operationId: string, businessDay: string, dinteroAt: string, at: string, batch: object) => {
      const completed = closeOf(operationId, businessDay, at, { ...batch });
      return { ...completed, data: { ...(completed.data as object), dinteroAt } };
    };
    const figures = (purchasesCount: number, purchasesAmount: number) => ({
      purchasesCount,
      purchasesAmount,
      reversalsCount: 0,
      reversalsAmount: 0,
    });

    it('counts a sale made after the terminal closed in the next batch, not in the close', () => {
      // The terminal closed at 22:00 (Dintero's time); its outcome was recorded at 22:04, after a sale at 22:03.
      const projector = project([
        ...store(),
        ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
        requested('c-1', '2026-11-24T21:59:00.000Z'),
        ...capturedPayment('p-2', '2026-11-24T21:59:30.000Z', 2_000),
        ...capturedPayment('p-3', '2026-11-24T22:03:00.000Z', 7_000),
        closedBy('c-1', '2026-11-24', '2026-11-24T22:00:00.000Z', '2026-11-24T22:04:00.000Z', figures(2, 12_000)),
        ...capturedPayment('p-4', '2026-11-25T10:00:00.000Z', 1_000),
        requested('c-2', '2026-11-25T22:00:00.000Z'),
        closedBy('c-2', '2026-11-25', '2026-11-25T22:00:01.000Z', '2026-11-25T22:00:02.000Z', figures(2, 8_000)),
      ]);
      const first = projector.storeDay('oslo', '2026-11-24')!.closes!['c-1']!;
      const second = projector.storeDay('oslo', '2026-11-25')!.closes!['c-2']!;
      expect(first).toMatchObject({ recorded: figures(2, 12_000), mismatch: false });
      expect(second).toMatchObject({ recorded: figures(2, 8_000), mismatch: false });
      expect(second.currencies).toEqual({ NOK: figures(2, 8_000) });
      // Nothing pending any more: the batch keeps no facts' times.
      expect(projector.terminal('oslo', 'T-1')!.openBatch).toEqual({
        ...figures(0, 0),
        since: '2026-11-25T22:00:01.000Z',
      });
    });

    it('compares two closes pending at once whose outcomes reach the log in the other order, each with its own sales', () => {
      const sale = (id: string, at: string, amount: number) => capturedPayment(id, at, amount);
      const first = closedBy(
        'c-1',
        '2026-11-24',
        '2026-11-24T22:00:00.000Z',
        '2026-11-24T22:06:00.000Z',
        figures(2, 12_000),
      );
      const second = closedBy(
        'c-2',
        '2026-11-24',
        '2026-11-24T22:03:00.000Z',
        '2026-11-24T22:05:00.000Z',
        figures(1, 7_000),
      );
      const before = [
        ...store(),
        ...sale('p-1', '2026-11-24T10:00:00.000Z', 10_000),
        requested('c-1', '2026-11-24T21:59:00.000Z'),
        ...sale('p-2', '2026-11-24T21:59:30.000Z', 2_000),
      ];
      const between = sale('p-3', '2026-11-24T22:01:00.000Z', 7_000);
      const after = sale('p-4', '2026-11-24T22:04:00.000Z', 1_000);
      // The sale between the two closes heard of before either outcome, or between them.
      for (const events of [
        [...before, ...between, requested('c-2', '2026-11-24T22:02:00.000Z'), ...after, second, first],
        [...before, requested('c-2', '2026-11-24T22:02:00.000Z'), ...after, second, ...between, first],
      ]) {
        const projector = project(events);
        const day = projector.storeDay('oslo', '2026-11-24')!;
        expect(day.closes!['c-1']).toMatchObject({ recorded: figures(2, 12_000), mismatch: false });
        expect(day.closes!['c-1']).not.toHaveProperty('openedAt');
        expect(day.closes!['c-2']).toMatchObject({
          recorded: figures(1, 7_000),
          currencies: { NOK: figures(1, 7_000) },
          openedAt: '2026-11-24T22:00:00.000Z',
          mismatch: false,
        });
        expect(day.closeMismatches).toBe(0);
        const terminal = projector.terminal('oslo', 'T-1')!;
        expect(terminal.lastClose).toMatchObject({ operationId: 'c-2' });
        expect(terminal.openBatch).toEqual({
          ...figures(1, 1_000),
          since: '2026-11-24T22:03:00.000Z',
          currencies: { NOK: figures(1, 1_000) },
        });
      }
    });

    it('compares three closes pending at once with their own sales, whatever the order of their outcomes', () => {
      // Closed at 22:00, 22:03 and 22:06 (Dintero's times), each asked for a minute before.
      const outcome = (operationId: string, closedAt: string, batch: object) =>
        closedBy(operationId, '2026-11-24', closedAt, '2026-11-24T22:10:00.000Z', batch);
      const outcomes: Record<string, RecordedEvent> = {
        'c-1': outcome('c-1', '2026-11-24T22:00:00.000Z', figures(2, 12_000)),
        'c-2': outcome('c-2', '2026-11-24T22:03:00.000Z', figures(2, 7_500)),
        'c-3': outcome('c-3', '2026-11-24T22:06:00.000Z', figures(1, 3_000)),
      };
      const before = [
        ...store(),
        ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
        requested('c-1', '2026-11-24T21:59:00.000Z'),
        ...capturedPayment('p-2', '2026-11-24T21:59:30.000Z', 2_000),
        ...capturedPayment('p-3', '2026-11-24T22:01:00.000Z', 7_000),
        requested('c-2', '2026-11-24T22:02:00.000Z'),
        ...capturedPayment('p-4', '2026-11-24T22:04:00.000Z', 3_000),
        requested('c-3', '2026-11-24T22:05:00.000Z'),
        ...capturedPayment('p-5', '2026-11-24T22:07:00.000Z', 1_000),
      ];
      // The second close's sale at 22:02:30, heard of between the second and the third outcome.
      const late = capturedPayment('p-6', '2026-11-24T22:02:30.000Z', 500);
      for (const [first, second, third] of [
        ['c-3', 'c-1', 'c-2'],
        ['c-2', 'c-3', 'c-1'],
        ['c-3', 'c-2', 'c-1'],
        ['c-1', 'c-3', 'c-2'],
      ] as const) {
        const projector = project([...before, outcomes[first]!, outcomes[second]!, ...late, outcomes[third]!]);
        const day = projector.storeDay('oslo', '2026-11-24')!;
        expect([first, second, third, day.closes!['c-1']]).toEqual([
          first,
          second,
          third,
          expect.objectContaining({ recorded: figures(2, 12_000), mismatch: false }),
        ]);
        expect(day.closes!['c-1']).not.toHaveProperty('openedAt');
        expect(day.closes!['c-2']).toMatchObject({
          recorded: figures(2, 7_500),
          currencies: { NOK: figures(2, 7_500) },
          openedAt: '2026-11-24T22:00:00.000Z',
          mismatch: false,
        });
        expect(day.closes!['c-3']).toMatchObject({
          recorded: figures(1, 3_000),
          openedAt: '2026-11-24T22:03:00.000Z',
          mismatch: false,
        });
        expect(day.closeMismatches).toBe(0);
        const terminal = projector.terminal('oslo', 'T-1')!;
        expect(terminal.lastClose).toEqual(day.closes!['c-3']);
        expect(terminal.openBatch).toEqual({
          ...figures(1, 1_000),
          since: '2026-11-24T22:06:00.000Z',
          currencies: { NOK: figures(1, 1_000) },
        });
      }
    });

    it('reads a close ended while another pended as 2a27155 kept it, and compares the pending one as before', () => {
      const upTo = project([
        ...store(),
        ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
        requested('c-1', '2026-11-24T21:59:00.000Z'),
        requested('c-2', '2026-11-24T22:02:00.000Z'),
        ...capturedPayment('p-3', '2026-11-24T22:01:00.000Z', 7_000),
        closedBy('c-2', '2026-11-24', '2026-11-24T22:03:00.000Z', '2026-11-24T22:05:00.000Z', figures(1, 7_000)),
      ]);
      // The terminal as that version wrote it: one close, with its id and time.
      const kept = upTo.documents().map((change): Change => {
        const openBatch = change.model === 'terminal' ? change.doc.openBatch : undefined;
        const [ended] = openBatch?.closedWhileClosing ?? [];
        if (change.model !== 'terminal' || ended === undefined) return change;
        const { close, counted } = ended;
        const closedWhileClosing = { operationId: close.operationId, closedAt: close.closedAt, counted };
        return { ...change, doc: { ...change.doc, openBatch: { ...openBatch, closedWhileClosing } as never } };
      });
      const projector = new ReadModelProjector();
      for (const change of kept) {
        expect(documentProblem(change.model, change.doc)).toBeUndefined();
        projector.load(change);
      }
      projector.apply(
        closedBy('c-1', '2026-11-24', '2026-11-24T22:00:00.000Z', '2026-11-24T22:06:00.000Z', figures(1, 10_000)),
      );
      const day = projector.storeDay('oslo', '2026-11-24')!;
      expect(day.closes!['c-1']).toMatchObject({ recorded: figures(1, 10_000), mismatch: false });
      expect(day.closes!['c-2']).toMatchObject({ recorded: figures(1, 7_000), mismatch: false });
    });

    it('reads back the day of a close that ended while another pends when a late sale corrects it there', async () => {
      const projector = project([
        ...store(),
        ...capturedPayment('p-0', '2026-11-23T10:00:00.000Z', 4_000),
        requested('c-1', '2026-11-24T21:59:00.000Z'),
        ...capturedPayment('p-1', '2026-11-24T21:59:30.000Z', 2_000),
        requested('c-2', '2026-11-24T22:02:00.000Z'),
        requested('c-3', '2026-11-24T22:05:00.000Z'),
        // The first close (for the 23rd, on a day of its own) and the third end; the second still pends.
        closedBy('c-1', '2026-11-23', '2026-11-24T22:00:00.000Z', '2026-11-24T22:07:00.000Z', figures(3, 6_500)),
        closedBy('c-3', '2026-11-24', '2026-11-24T22:06:00.000Z', '2026-11-24T22:08:00.000Z', figures(0, 0)),
        // Weeks later: the 23rd is out of the days kept in memory, and only in KV.
        ...capturedPayment('p-9', '2026-12-20T10:00:00.000Z', 100),
      ]);
      const kv = new Map(projector.retirePastDays(10_000n).map(({ key, doc }) => [key, doc]));
      expect(projector.storeDay('oslo', '2026-11-23')).toBeUndefined();
      await applyFromLog(
        {} as EventStore,
        projector,
        [
          // The first close's sale, heard of now.
          ...capturedPayment('p-2', '2026-11-24T21:59:45.000Z', 500),
          closedBy('c-2', '2026-11-24', '2026-11-24T22:03:00.000Z', '2026-12-20T11:00:00.000Z', figures(0, 0)),
        ],
        (change) => {
          if (change.model === 'store-day') kv.set(change.key, change.doc);
        },
        (key) => Promise.resolve(kv.get(key)),
      );
      const day = kv.get('oslo.2026-11-23')!;
      expect(day.closes!['c-1']).toMatchObject({ recorded: figures(3, 6_500), mismatch: false });
      // The day written again from the one in KV: its own sale still counted.
      expect(day.currencies['NOK']).toMatchObject({ capturedCount: 1, capturedAmount: 4_000 });
    });

    it('gives the first of a terminal’s first two closes, heard of last, a sale reported between their outcomes', () => {
      const projector = project([
        ...store(),
        ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
        requested('c-1', '2026-11-24T21:59:00.000Z'),
        requested('c-2', '2026-11-24T22:02:00.000Z'),
        // The second close's batch, as its terminal says, began when the first closed.
        closedBy('c-2', '2026-11-24', '2026-11-24T22:03:00.000Z', '2026-11-24T22:05:00.000Z', {
          ...figures(0, 0),
          startOfDayAt: '2026-11-24T22:00:00.000Z',
        }),
        ...capturedPayment('p-2', '2026-11-24T11:00:00.000Z', 7_000),
        closedBy('c-1', '2026-11-24', '2026-11-24T22:00:00.000Z', '2026-11-24T22:06:00.000Z', {
          ...figures(2, 17_000),
          startOfDayAt: '2026-11-24T06:00:00.000Z',
        }),
      ]);
      const day = projector.storeDay('oslo', '2026-11-24')!;
      expect(day.closes!['c-1']).toMatchObject({ recorded: figures(2, 17_000), mismatch: false });
      expect(day.closes!['c-2']).toMatchObject({ recorded: figures(0, 0), mismatch: false });
    });

    it('compares the new device’s close, asked for while the old device’s still pends, with the new device’s sales', () => {
      const swap = '2026-11-24T22:01:00.000Z';
      const before = [
        ...store(),
        enrolled('D-OLD', '2026-11-24T06:00:00.000Z'),
        ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
        requested('c-1', '2026-11-24T21:59:00.000Z'),
        ...capturedPayment('p-2', '2026-11-24T22:00:30.000Z', 500),
        enrolled('D-NEW', swap),
        ...capturedPayment('p-3', '2026-11-24T22:05:00.000Z', 7_000),
        requested('c-2', '2026-11-24T22:06:00.000Z'),
        ...capturedPayment('p-4', '2026-11-24T22:09:00.000Z', 1_000),
      ];
      // The old device closed at 22:00 (its sale at 22:00:30 is after it); the new one at 22:08.
      const old = closedBy(
        'c-1',
        '2026-11-24',
        '2026-11-24T22:00:00.000Z',
        '2026-11-24T22:10:00.000Z',
        figures(1, 10_000),
      );
      const next = closedBy(
        'c-2',
        '2026-11-24',
        '2026-11-24T22:08:00.000Z',
        '2026-11-24T22:11:00.000Z',
        figures(1, 7_000),
      );
      for (const events of [
        [...before, old, next],
        [...before, next, old],
      ]) {
        const projector = project(events);
        const day = projector.storeDay('oslo', '2026-11-24')!;
        expect(day.closes!['c-1']).toMatchObject({ recorded: figures(1, 10_000), mismatch: false });
        expect(day.closes!['c-2']).toMatchObject({ recorded: figures(1, 7_000), mismatch: false });
        const terminal = projector.terminal('oslo', 'T-1')!;
        expect(terminal.lastClose).toMatchObject({ operationId: 'c-2' });
        expect(terminal.swappedOut).toEqual({
          [swap]: expect.objectContaining({ device: 'D-OLD', ...figures(1, 500) }),
        });
        expect(terminal.openBatch).toEqual({
          ...figures(1, 1_000),
          since: '2026-11-24T22:08:00.000Z',
          currencies: { NOK: figures(1, 1_000) },
        });
      }
    });

    it('gives a device swapped in while a close of the old one pended a batch of its own, the close failing', () => {
      const swap = '2026-11-24T22:01:00.000Z';
      const projector = project([
        ...store(),
        enrolled('D-OLD', '2026-11-24T06:00:00.000Z'),
        ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
        requested('c-1', '2026-11-24T21:59:00.000Z'),
        ...capturedPayment('p-2', '2026-11-24T22:00:00.000Z', 2_000),
        enrolled('D-NEW', swap),
        ...capturedPayment('p-3', '2026-11-24T22:05:00.000Z', 7_000),
        endedWithout('c-1', 'failed', 'FAILED', '2026-11-24T22:10:00.000Z'),
      ]);
      const terminal = projector.terminal('oslo', 'T-1')!;
      expect(terminal.swappedOut).toEqual({
        [swap]: expect.objectContaining({ device: 'D-OLD', ...figures(2, 12_000) }),
      });
      expect(terminal.openBatch).toEqual({
        ...figures(1, 7_000),
        since: swap,
        currencies: { NOK: figures(1, 7_000) },
      });
    });

    it('gives the old device’s close its sales up to the swap, and the new device its own, whenever the close ends', () => {
      const swap = '2026-11-24T22:01:00.000Z';
      const sales = [
        ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
        requested('c-1', '2026-11-24T21:59:00.000Z'),
        ...capturedPayment('p-2', '2026-11-24T22:00:30.000Z', 2_000),
        enrolled('D-NEW', swap),
        ...capturedPayment('p-3', '2026-11-24T22:05:00.000Z', 7_000),
      ];
      // The old device closed before the swap (22:00:45), or Dintero dates its close after it (22:03).
      for (const closedAt of ['2026-11-24T22:00:45.000Z', '2026-11-24T22:03:00.000Z']) {
        const projector = project([
          ...store(),
          enrolled('D-OLD', '2026-11-24T06:00:00.000Z'),
          ...sales,
          closedBy('c-1', '2026-11-24', closedAt, '2026-11-24T22:06:00.000Z', figures(2, 12_000)),
        ]);
        expect(projector.storeDay('oslo', '2026-11-24')!.closes!['c-1']).toMatchObject({
          recorded: figures(2, 12_000),
          mismatch: false,
        });
        const terminal = projector.terminal('oslo', 'T-1')!;
        expect(terminal.openBatch).toEqual({
          ...figures(1, 7_000),
          since: swap,
          currencies: { NOK: figures(1, 7_000) },
        });
        expect(Object.values(terminal.swappedOut ?? {}).every((batch) => batch.purchasesCount === 0)).toBe(true);
      }
    });

    it('gives the old device’s close its sale heard of after the new device’s close, whose outcome came first', () => {
      const swap = '2026-11-24T22:01:00.000Z';
      const projector = project([
        ...store(),
        enrolled('D-OLD', '2026-11-24T06:00:00.000Z'),
        ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
        requested('c-1', '2026-11-24T21:59:00.000Z'),
        enrolled('D-NEW', swap),
        requested('c-2', '2026-11-24T22:02:00.000Z'),
        ...capturedPayment('p-3', '2026-11-24T22:03:00.000Z', 7_000),
        closedBy('c-2', '2026-11-24', '2026-11-24T22:04:00.000Z', '2026-11-24T22:05:00.000Z', figures(1, 7_000)),
        // The old device's sale before its close, heard of only now.
        ...capturedPayment('p-2', '2026-11-24T21:59:30.000Z', 500),
        closedBy('c-1', '2026-11-24', '2026-11-24T22:00:00.000Z', '2026-11-24T22:10:00.000Z', figures(2, 10_500)),
      ]);
      const day = projector.storeDay('oslo', '2026-11-24')!;
      expect(day.closes!['c-1']).toMatchObject({ recorded: figures(2, 10_500), mismatch: false });
      expect(day.closes!['c-2']).toMatchObject({ recorded: figures(1, 7_000), openedAt: swap, mismatch: false });
      expect(projector.terminal('oslo', 'T-1')!.lastClose).toEqual(day.closes!['c-2']);
    });

    it('gives a device swapped in and out again while the old device’s close pends a batch of its own', () => {
      const [first, second] = ['2026-11-24T22:01:00.000Z', '2026-11-24T22:20:00.000Z'];
      const before = [
        ...store(),
        enrolled('D-OLD', '2026-11-24T06:00:00.000Z'),
        ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
        requested('c-1', '2026-11-24T21:59:00.000Z'),
        enrolled('D-MID', first),
        // D-MID's sale: it never closes its batch on this terminal, swapped out in turn.
        ...capturedPayment('p-2', '2026-11-24T22:05:00.000Z', 7_000),
        enrolled('D-NEW', second),
        ...capturedPayment('p-3', '2026-11-24T22:25:00.000Z', 3_000),
        // Another sale of D-MID's, heard of after it was swapped out.
        ...capturedPayment('p-4', '2026-11-24T22:10:00.000Z', 500),
        requested('c-2', '2026-11-24T22:30:00.000Z'),
      ];
      const old = closedBy('c-1', '2026-11-24', '2026-11-24T22:00:00.000Z', '2026-11-24T22:40:00.000Z', {
        ...figures(1, 10_000),
      });
      const last = closedBy('c-2', '2026-11-24', '2026-11-24T22:31:00.000Z', '2026-11-24T22:41:00.000Z', {
        ...figures(1, 3_000),
      });
      for (const events of [
        [...before, old, last],
        [...before, last, old],
      ]) {
        const projector = project(events);
        const day = projector.storeDay('oslo', '2026-11-24')!;
        expect(day.closes!['c-1']).toMatchObject({ recorded: figures(1, 10_000), mismatch: false });
        expect(day.closes!['c-2']).toMatchObject({ recorded: figures(1, 3_000), openedAt: second, mismatch: false });
        const terminal = projector.terminal('oslo', 'T-1')!;
        expect(terminal.lastClose).toMatchObject({ operationId: 'c-2' });
        expect(terminal.swappedOut).toEqual({
          [first]: expect.objectContaining({ device: 'D-OLD', ...figures(0, 0) }),
          [second]: expect.objectContaining({ device: 'D-MID', ...figures(2, 7_500), since: first }),
        });
        expect(terminal.openBatch).toEqual({ ...figures(0, 0), since: '2026-11-24T22:31:00.000Z' });
      }
    });

    it('swaps out the batch a device swapped in and out again opened at its own close, while the old device’s pends', () => {
      const [first, second] = ['2026-11-24T22:01:00.000Z', '2026-11-24T22:20:00.000Z'];
      const before = [
        ...store(),
        enrolled('D-OLD', '2026-11-24T06:00:00.000Z'),
        ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
        requested('c-1', '2026-11-24T21:59:00.000Z'),
        enrolled('D-MID', first),
        ...capturedPayment('p-2', '2026-11-24T22:05:00.000Z', 7_000),
        requested('c-m', '2026-11-24T22:10:00.000Z'),
        closedBy('c-m', '2026-11-24', '2026-11-24T22:11:00.000Z', '2026-11-24T22:12:00.000Z', figures(1, 7_000)),
        ...capturedPayment('p-4', '2026-11-24T22:15:00.000Z', 500),
        enrolled('D-NEW', second),
        ...capturedPayment('p-3', '2026-11-24T22:25:00.000Z', 3_000),
        requested('c-2', '2026-11-24T22:30:00.000Z'),
      ];
      const old = closedBy('c-1', '2026-11-24', '2026-11-24T22:00:00.000Z', '2026-11-24T22:40:00.000Z', {
        ...figures(1, 10_000),
      });
      const last = closedBy('c-2', '2026-11-24', '2026-11-24T22:31:00.000Z', '2026-11-24T22:41:00.000Z', {
        ...figures(1, 3_000),
      });
      for (const events of [
        [...before, old, last],
        [...before, last, old],
      ]) {
        const projector = project(events);
        const day = projector.storeDay('oslo', '2026-11-24')!;
        expect(day.closes!['c-1']).toMatchObject({ recorded: figures(1, 10_000), mismatch: false });
        expect(day.closes!['c-m']).toMatchObject({ recorded: figures(1, 7_000), openedAt: first, mismatch: false });
        expect(day.closes!['c-2']).toMatchObject({ recorded: figures(1, 3_000), openedAt: second, mismatch: false });
        const terminal = projector.terminal('oslo', 'T-1')!;
        expect(terminal.lastClose).toMatchObject({ operationId: 'c-2' });
        expect(terminal.swappedOut?.[second]).toMatchObject({
          device: 'D-MID',
          ...figures(1, 500),
          since: '2026-11-24T22:11:00.000Z',
        });
      }
    });

    it('opens each close of the new device at the one before, and keeps its latest the last, whatever their order', () => {
      const swap = '2026-11-24T22:01:00.000Z';
      const before = [
        ...store(),
        enrolled('D-OLD', '2026-11-24T06:00:00.000Z'),
        ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
        requested('c-1', '2026-11-24T21:59:00.000Z'),
        enrolled('D-NEW', swap),
        requested('c-2', '2026-11-24T22:02:00.000Z'),
        ...capturedPayment('p-2', '2026-11-24T22:03:00.000Z', 7_000),
        requested('c-3', '2026-11-24T22:05:00.000Z'),
        ...capturedPayment('p-3', '2026-11-24T22:06:00.000Z', 1_000),
      ];
      const outcomes = {
        old: closedBy('c-1', '2026-11-24', '2026-11-24T22:00:00.000Z', '2026-11-24T22:10:00.000Z', figures(1, 10_000)),
        first: closedBy('c-2', '2026-11-24', '2026-11-24T22:04:00.000Z', '2026-11-24T22:09:00.000Z', figures(1, 7_000)),
        second: closedBy(
          'c-3',
          '2026-11-24',
          '2026-11-24T22:07:00.000Z',
          '2026-11-24T22:08:00.000Z',
          figures(1, 1_000),
        ),
      };
      for (const order of [
        ['second', 'first', 'old'],
        ['first', 'second', 'old'],
        ['second', 'old', 'first'],
      ] as const) {
        const projector = project([...before, ...order.map((which) => outcomes[which])]);
        const day = projector.storeDay('oslo', '2026-11-24')!;
        expect([order, day.closes!['c-1']]).toEqual([
          order,
          expect.objectContaining({ recorded: figures(1, 10_000), mismatch: false }),
        ]);
        expect(day.closes!['c-2']).toMatchObject({ recorded: figures(1, 7_000), openedAt: swap, mismatch: false });
        expect(day.closes!['c-3']).toMatchObject({
          recorded: figures(1, 1_000),
          openedAt: '2026-11-24T22:04:00.000Z',
          mismatch: false,
        });
        expect(projector.terminal('oslo', 'T-1')!.lastClose).toEqual(day.closes!['c-3']);
      }
    });

    it('keeps the new device’s sales out of the old device’s close that Dintero dated after the swap and after its own', () => {
      const swap = '2026-11-24T22:01:00.000Z';
      const projector = project([
        ...store(),
        enrolled('D-OLD', '2026-11-24T06:00:00.000Z'),
        ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
        requested('c-1', '2026-11-24T21:59:00.000Z'),
        enrolled('D-NEW', swap),
        requested('c-2', '2026-11-24T22:02:00.000Z'),
        ...capturedPayment('p-2', '2026-11-24T22:03:00.000Z', 7_000),
        // The old device's close, dated 22:08, reaches the log before the new device's, dated 22:05.
        closedBy('c-1', '2026-11-24', '2026-11-24T22:08:00.000Z', '2026-11-24T22:09:00.000Z', figures(1, 10_000)),
        closedBy('c-2', '2026-11-24', '2026-11-24T22:05:00.000Z', '2026-11-24T22:10:00.000Z', figures(2, 7_500)),
        // The new device's sales heard of late: one before its close, one after it (and before the old one's).
        ...capturedPayment('p-3', '2026-11-24T22:04:00.000Z', 500),
        ...capturedPayment('p-4', '2026-11-24T22:06:00.000Z', 300),
      ]);
      const day = projector.storeDay('oslo', '2026-11-24')!;
      expect(day.closes!['c-1']).toMatchObject({ recorded: figures(1, 10_000), mismatch: false });
      expect(day.closes!['c-2']).toMatchObject({ recorded: figures(2, 7_500), openedAt: swap, mismatch: false });
      const terminal = projector.terminal('oslo', 'T-1')!;
      // The old device's close is the latest by Dintero's time.
      expect(terminal.lastClose).toEqual(day.closes!['c-1']);
      expect(terminal.openBatch).toEqual({
        ...figures(1, 300),
        since: '2026-11-24T22:05:00.000Z',
        currencies: { NOK: figures(1, 300) },
      });
    });

    it('keeps the times while the close pends only, and forgets them when it ends without closing', () => {
      const projector = project([
        ...store(),
        requested('c-1', '2026-11-24T21:59:00.000Z'),
        ...capturedPayment('p-1', '2026-11-24T22:03:00.000Z', 7_000),
      ]);
      expect(projector.terminal('oslo', 'T-1')!.openBatch).toMatchObject({
        closing: ['c-1'],
        countedWhileClosing: [
          { at: '2026-11-24T22:03:00.000Z', kind: 'purchase', amount: 7_000, currency: 'NOK', count: 1 },
        ],
      });
      projector.apply(endedWithout('c-1', 'timed_out', 'TIMEOUT', '2026-11-24T22:20:00.000Z'));
      expect(projector.terminal('oslo', 'T-1')!.openBatch).toEqual({
        ...figures(1, 7_000),
        currencies: { NOK: figures(1, 7_000) },
      });
      // Completed without the terminal's batch (Dintero gave no result): pending no more either.
      projector.apply(requested('c-2', '2026-11-25T21:59:00.000Z'));
      projector.apply({
        ...event('operation-c-2', 'OperationCompleted', {
          operationId: 'c-2',
          dinteroOperationId: 'd-c-2',
          at: '2026-11-25T22:00:00.000Z',
        }),
        metadata: { storeId: 'oslo', terminalId: 'T-1', businessDay: '2026-11-25' },
      });
      expect(projector.terminal('oslo', 'T-1')!.openBatch).not.toHaveProperty('closing');
    });

    it('opens a new batch at a close completed without totals, flagged for its sales, the next compared with its own', () => {
      // c-1 completed at 22:00 on the 24th and Dintero gave no batch: the terminal closed it all the same.
      const completedWithoutTotals = {
        ...event('operation-c-1', 'OperationCompleted', {
          operationId: 'c-1',
          dinteroOperationId: 'd-c-1',
          at: '2026-11-24T22:01:00.000Z',
          dinteroAt: '2026-11-24T22:00:00.000Z',
        }),
        metadata: { storeId: 'oslo', terminalId: 'T-1', businessDay: '2026-11-24' },
      };
      const projector = project([
        ...store(),
        ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000),
        requested('c-1', '2026-11-24T21:59:00.000Z'),
        completedWithoutTotals,
        ...capturedPayment('p-2', '2026-11-25T10:00:00.000Z', 2_000),
        requested('c-2', '2026-11-25T21:59:00.000Z'),
        closedBy('c-2', '2026-11-25', '2026-11-25T22:00:00.000Z', '2026-11-25T22:01:00.000Z', figures(1, 2_000)),
      ]);
      // The next close holds the day's own sale only, and agrees.
      const second = projector.storeDay('oslo', '2026-11-25')!.closes!['c-2']!;
      expect(second).toMatchObject({
        recorded: figures(1, 2_000),
        openedAt: '2026-11-24T22:00:00.000Z',
        mismatch: false,
      });
      expect(second).not.toHaveProperty('withoutTotals');
      const first = projector.storeDay('oslo', '2026-11-24')!;
      // Its sales in no total of the terminal's: flagged, saying why, with no differences made up from zeros.
      expect(first.closes!['c-1']).toMatchObject({
        withoutTotals: true,
        recorded: figures(1, 10_000),
        mismatch: true,
      });
      expect(first.closes!['c-1']).not.toHaveProperty('differences');
      expect(first.closeMismatches).toBe(1);
    });
  });

  it("counts a fact where the terminal's next batch opened before its close into that close, whenever it is reported", () => {
    const closes = [
      closeOf('c-0', '2026-11-23', '2026-11-23T22:00:00.000Z', { batchId: '0', purchasesCount: 0 }),
      closeOf('c-1', '2026-11-24', '2026-11-24T22:00:05.000Z', { batchId: '1', purchasesCount: 0 }),
      // The terminal opened its next batch at 22:00:00 by its clock: seconds before Dintero's time of c-1.
      closeOf('c-2', '2026-11-25', '2026-11-25T22:00:00.000Z', {
        batchId: '2',
        startOfDayAt: '2026-11-24T22:00:00.000Z',
        purchasesCount: 1,
        purchasesAmount: 300,
      }),
      closeOf('c-3', '2026-11-26', '2026-11-26T22:00:00.000Z', { batchId: '3', purchasesCount: 0 }),
    ];
    const capture = capturedPayment('p-1', '2026-11-24T22:00:02.000Z', 300);
    const recorded = (log: RecordedEvent[]) => {
      const projector = project([...store(), ...log]);
      return ['c-1', 'c-2'].map((id) => {
        const close = Object.values(
          projector.storeDay('oslo', id === 'c-1' ? '2026-11-24' : '2026-11-25')!.closes!,
        ).find((each) => each.operationId === id)!;
        return { id, purchases: close.recorded.purchasesCount, mismatch: close.mismatch };
      });
    };
    // Reported before c-1, between c-1 and c-2, after c-2, after c-3: the same closes each time.
    const each = [1, 2, 3, 4].map((at) => recorded([...closes.slice(0, at), ...capture, ...closes.slice(at)]));
    expect(each[0]).toEqual([
      { id: 'c-1', purchases: 1, mismatch: true },
      { id: 'c-2', purchases: 0, mismatch: true },
    ]);
    for (const other of each.slice(1)) expect(other).toEqual(each[0]);
  });

  it('reads documents written when a deactivated terminal was "offline" as deactivated', () => {
    const projector = new ReadModelProjector();
    const terminal = { storeId: 'oslo', terminalId: 'T-2', status: 'offline', position: '3' };
    const oslo = { storeId: 'oslo', timeZone: 'UTC', terminals: { busy: 0, idle: 1, offline: 1 }, position: '3' };
    projector.load(JSON.parse(JSON.stringify({ model: 'terminal', key: 'oslo.T-2', doc: terminal })) as Change);
    projector.load(JSON.parse(JSON.stringify({ model: 'store', key: 'oslo', doc: oslo })) as Change);
    expect(projector.terminal('oslo', 'T-2')?.status).toBe('deactivated');
    expect(projector.store('oslo')?.terminals).toEqual({ busy: 0, idle: 1, deactivated: 1 });
  });

  it("reads a store day that kept its terminals' totals of no currency as the day's one currency's", () => {
    const events = [
      ...store(),
      ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z'),
      ...capturedPayment('p-2', '2026-11-24T11:00:00.000Z', 500),
    ];
    const whole = project(events);
    const first = new ReadModelProjector();
    const held = events.slice(0, 8).flatMap((e) => first.apply(e));
    const resumed = new ReadModelProjector();
    for (const change of held) {
      if (change.model !== 'store-day') resumed.load(change);
      // As an earlier version wrote it: one set of totals per terminal.
      else
        resumed.load({
          ...change,
          doc: { ...change.doc, terminals: { 'T-1': change.doc.terminals['T-1']!.currencies['NOK']! } },
        } as never);
    }
    events.slice(8).forEach((e) => resumed.apply(e));
    expect(resumed.storeDay('oslo', '2026-11-24')?.terminals).toEqual({
      'T-1': { currencies: { NOK: { capturedCount: 2, capturedAmount: 10_500, refundedAmount: 0 } } },
    });
    expect(resumed.storeDay('oslo', '2026-11-24')).toEqual(whole.storeDay('oslo', '2026-11-24'));
  });

  it('gives the same documents when the same events are applied from documents loaded mid-way', () => {
    const events = [
      ...store(),
      ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z'),
      ...capturedPayment('p-2', '2026-11-24T11:00:00.000Z'),
    ];
    const whole = project(events);
    // A restart after the store's events: documents come back from KV, payments resume from the log.
    const first = new ReadModelProjector();
    const changes = events.slice(0, 3).flatMap((e) => first.apply(e));
    const resumed = new ReadModelProjector();
    changes.forEach((change) => resumed.load(change));
    events.slice(3).forEach((e) => resumed.apply(e));
    expect(resumed.terminal('oslo', 'T-1')).toEqual(whole.terminal('oslo', 'T-1'));
    expect(resumed.store('oslo')).toEqual(whole.store('oslo'));
    expect(resumed.storeDay('oslo', '2026-11-24')).toEqual(whole.storeDay('oslo', '2026-11-24'));
  });

  // The projector sets each changed document's position on the new object a projection made: never on one it
  // handed over before, which KV, the change subjects and the queries may still be reading.
  it('never changes a document it has handed over', () => {
    const close = {
      ...event('operation-c-1', 'OperationCompleted', {
        operationId: 'c-1',
        dinteroOperationId: 'd-1',
        batch: { batchId: '000001', purchasesCount: 1, purchasesAmount: 10_000 },
        at: '2026-11-24T22:00:00.000Z',
      }),
      metadata: { storeId: 'oslo', terminalId: 'T-1', businessDay: '2026-11-24' },
    };
    const events = [
      ...store(),
      ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z'),
      close,
      // Captured before the close, heard of after it: the close and its day are corrected.
      ...capturedPayment('p-2', '2026-11-24T21:00:00.000Z'),
      ...capturedPayment('p-3', '2026-11-25T10:00:00.000Z'),
    ];
    const projector = new ReadModelProjector();
    const handedOver: Change[] = [];
    for (const recorded of events)
      for (const change of projector.apply(recorded)) {
        // Frozen to the bottom: writing to it from here on throws.
        deepFreeze(change.doc);
        handedOver.push(change);
      }
    expect(new Set(handedOver.map(({ model }) => model))).toEqual(new Set(['terminal', 'store', 'store-day']));
    expect(handedOver.filter(({ key }) => key === 'oslo.2026-11-24').length).toBeGreaterThan(2);
    // And the frozen fold gives what a fold nobody held gives.
    const unheld = project(events);
    expect(projector.terminal('oslo', 'T-1')).toEqual(unheld.terminal('oslo', 'T-1'));
    expect(projector.storeDay('oslo', '2026-11-24')).toEqual(unheld.storeDay('oslo', '2026-11-24'));
    expect(projector.terminal('oslo', 'T-1')?.lastClose).toMatchObject({ operationId: 'c-1' });
  });
});

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
}

describe('payments the projector has forgotten', () => {
  it('takes a payment ended lately from memory for a refund, as reading it back from the log would give', () => {
    const refundAt = '2026-11-24T12:00:00.000Z';
    const paid = [...store(), ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z', 10_000)];
    const refund = [
      event('payment-p-1', 'RefundRequested', { refundId: 'r-1', amount: 4_000, terminalId: 'T-2', at: refundAt }),
      event('payment-p-1', 'RefundSucceeded', { refundId: 'r-1', source: 'command-service', at: refundAt }),
    ];
    const folded = new ReadModelProjector();
    paid.forEach((e) => folded.apply(e));
    // Ended and released: forgotten, yet no read of its stream is asked for.
    expect(refund.map((e) => folded.missingPayment(e))).toEqual([undefined, undefined]);
    refund.forEach((e) => folded.apply(e));
    // A projector that resumed after the payment never saw it: it reads the payment back, as before.
    const resumed = new ReadModelProjector();
    const first = new ReadModelProjector();
    paid.flatMap((e) => first.apply(e)).forEach((change) => resumed.load(change));
    expect(resumed.missingPayment(refund[0]!)).toBe('p-1');
    resumed.rememberPayment(paid, refund[0]!.position);
    refund.forEach((e) => resumed.apply(e));
    for (const projector of [folded, resumed])
      expect(projector.storeDay('oslo', '2026-11-24')?.currencies.NOK).toMatchObject({ refundedAmount: 4_000 });
    expect(folded.terminal('oslo', 'T-2')).toEqual(resumed.terminal('oslo', 'T-2'));
    expect(folded.storeDay('oslo', '2026-11-24')).toEqual(resumed.storeDay('oslo', '2026-11-24'));
    expect(folded.store('oslo')).toEqual(resumed.store('oslo'));
  });
  it("marks a late capture given back on its own day after a restart, though the store's time zone changed since", () => {
    // Captured late at 23:30 UTC: the 25th in Oslo, where the store was then; the 24th in UTC, where it is now.
    const captured = [...store(), ...cancelledCapturedLate('2026-11-24T23:30:00.000Z')];
    const moved = event('store-oslo', 'StoreDetailsChanged', {
      storeId: 'oslo',
      name: 'Oslo',
      payoutDestinationId: 'p',
      timeZone: 'UTC',
      at: '2026-11-25T12:00:00.000Z',
    });
    const refund = event('payment-c', 'ExternalRefundRecorded', {
      transactionId: 'tx-c',
      amount: 700,
      refundedElsewhere: 700,
      lateCapture: true,
      source: 'webhook',
      at: '2026-11-26T10:00:00.000Z',
    });
    const folded = project([...captured, moved, refund]);
    // A restart before the refund: documents from KV, the payment read back from the log.
    const first = project([...captured, moved]);
    const resumed = new ReadModelProjector();
    first.documents().forEach((change) => resumed.load(change));
    expect(resumed.missingPayment(refund)).toBe('c');
    resumed.rememberPayment([...captured, moved], refund.position);
    resumed.apply(refund);
    const lateDay = folded.storeDay('oslo', '2026-11-25');
    expect(lateDay?.lateCaptures).toEqual([
      expect.objectContaining({ transactionId: 'tx-c', refundedOn: ['2026-11-26'] }),
    ]);
    expect(resumed.storeDay('oslo', '2026-11-25')).toEqual(lateDay);
  });

  it('marks a part of a late capture recorded after a refund of it given back on that refund’s day, live and read back', () => {
    const captured = [...store(), ...cancelledCapturedLate('2026-11-24T10:00:00.000Z')];
    const refunds = [
      // Ours on the 25th, and one made at Dintero by none of ours on the 26th.
      event('payment-c', 'RefundRequested', {
        refundId: 'r-1',
        amount: 300,
        currency: 'EUR',
        transactionId: 'tx-c',
        terminalId: 'T-1',
        at: '2026-11-25T09:00:00.000Z',
      }),
      event('payment-c', 'RefundSucceeded', {
        refundId: 'r-1',
        source: 'command-service',
        at: '2026-11-25T09:00:00.000Z',
      }),
      event('payment-c', 'ExternalRefundRecorded', {
        transactionId: 'tx-c',
        amount: 100,
        currency: 'EUR',
        refundedElsewhere: 100,
        lateCapture: true,
        source: 'webhook',
        at: '2026-11-26T09:00:00.000Z',
      }),
    ];
    // Its second part, reported after both, captured on the 24th (on the day of the first) and one on the 27th.
    const parts = [
      event('payment-c', 'LateCaptureRecorded', {
        transactionId: 'tx-c',
        amount: 200,
        capturedAmount: 900,
        currency: 'EUR',
        endedAs: 'cancelled',
        flaggedForReversal: true,
        source: 'webhook',
        at: '2026-11-27T09:00:00.000Z',
        dinteroAt: '2026-11-24T11:00:00.000Z',
      }),
      event('payment-c', 'LateCaptureRecorded', {
        transactionId: 'tx-c',
        amount: 100,
        capturedAmount: 1_000,
        currency: 'EUR',
        endedAs: 'cancelled',
        flaggedForReversal: true,
        source: 'webhook',
        at: '2026-11-27T10:00:00.000Z',
      }),
    ];
    const folded = project([...captured, ...refunds, ...parts]);
    const given = ['2026-11-25', '2026-11-26'];
    expect(folded.storeDay('oslo', '2026-11-24')?.lateCaptures).toEqual([
      expect.objectContaining({ amount: 700, refundedOn: given }),
      expect.objectContaining({ amount: 200, refundedOn: given }),
    ]);
    expect(folded.storeDay('oslo', '2026-11-27')?.lateCaptures).toEqual([
      expect.objectContaining({ amount: 100, refundedOn: given }),
    ]);
    // A restart before the later parts: documents from KV, the payment read back from the log.
    const first = project([...captured, ...refunds]);
    const resumed = new ReadModelProjector();
    first.documents().forEach((change) => resumed.load(change));
    expect(resumed.missingPayment(parts[0]!)).toBe('c');
    for (const part of parts) {
      // As the rim does before each event (`applyFromLog`): the payment read back when it is not held.
      if (resumed.missingPayment(part)) resumed.rememberPayment([...captured, ...refunds, ...parts], part.position);
      resumed.apply(part);
    }
    for (const date of ['2026-11-24', '2026-11-27'])
      expect(resumed.storeDay('oslo', date)?.lateCaptures).toEqual(folded.storeDay('oslo', date)?.lateCaptures);
  });
});

describe("a store's time zone changed between a refund and a restart", () => {
  // Store Oslo's late capture tx-c (24th), refunded at 23:30 UTC on the 25th: the 26th in Oslo, the 25th in UTC. The
  // store moves to UTC on the 27th; on the 28th a later part of tx-c (captured on the 24th) is reported.
  const event = logOfEvents();
  const log = [
    event('store-oslo', 'StoreRegistered', {
      storeId: 'oslo',
      name: 'Oslo',
      payoutDestinationId: 'p',
      timeZone: 'Europe/Oslo',
      at: '2026-11-01T00:00:00.000Z',
    }),
    event('store-oslo', 'TerminalRegistered', { storeId: 'oslo', terminalId: 'T-2', at: '2026-11-01T00:00:00.000Z' }),
    event('payment-c', 'PaymentRequested', {
      paymentId: 'c',
      storeId: 'oslo',
      terminalId: 'T-2',
      amount: 700,
      currency: 'EUR',
      requestedAt: '2026-11-24T10:00:00.000Z',
    }),
    event('payment-c', 'PaymentCancelled', { by: 'customer', source: 'callback', at: '2026-11-24T10:00:00.000Z' }),
    event('payment-c', 'LateCaptureRecorded', {
      transactionId: 'tx-c',
      amount: 700,
      currency: 'EUR',
      endedAs: 'cancelled',
      flaggedForReversal: true,
      source: 'webhook',
      at: '2026-11-24T10:00:00.000Z',
    }),
    event('payment-c', 'RefundRequested', {
      refundId: 'r-1',
      amount: 300,
      currency: 'EUR',
      transactionId: 'tx-c',
      terminalId: 'T-2',
      at: '2026-11-25T23:30:00.000Z',
    }),
    event('payment-c', 'RefundSucceeded', {
      refundId: 'r-1',
      source: 'command-service',
      at: '2026-11-25T23:30:00.000Z',
    }),
    event('store-oslo', 'StoreDetailsChanged', {
      storeId: 'oslo',
      name: 'Oslo',
      payoutDestinationId: 'p',
      timeZone: 'UTC',
      at: '2026-11-27T12:00:00.000Z',
    }),
    event('payment-c', 'LateCaptureRecorded', {
      transactionId: 'tx-c',
      amount: 200,
      capturedAmount: 900,
      currency: 'EUR',
      endedAs: 'cancelled',
      flaggedForReversal: true,
      source: 'webhook',
      at: '2026-11-28T09:00:00.000Z',
      dinteroAt: '2026-11-24T11:00:00.000Z',
    }),
  ];
  /** The log as the rim reads it back: a stream, whole, as it is now. */
  const readable = {
    readStream: (name: string) => Promise.resolve(log.filter((e) => e.streamName === name)),
  } as unknown as EventStore;
  /** Folds `events` on `projector` as the rim does, writing each changed document to `kv`. */
  const fold = async (projector: ReadModelProjector, events: RecordedEvent[], kv: Map<string, unknown>) =>
    applyFromLog(readable, projector, events, (change) => kv.set(`${change.model}:${change.key}`, change.doc));

  it('marks the later part given back on the day of the refund in the zone of then: live, restarted, rebuilt alike', async () => {
    const moved = log.findIndex((e) => e.type === 'StoreDetailsChanged');
    const live = new Map<string, unknown>();
    const running = new ReadModelProjector();
    await fold(running, log.slice(0, moved + 1), live);
    await fold(running, log.slice(moved + 1), live);
    // A restart after the move: the documents from KV, the payment read back from the log.
    const restarted = new Map<string, unknown>();
    const before = new ReadModelProjector();
    await fold(before, log.slice(0, moved + 1), restarted);
    const resumed = new ReadModelProjector();
    before.documents().forEach((change) => resumed.load(change));
    await fold(resumed, log.slice(moved + 1), restarted);
    const rebuilt = new Map<string, unknown>();
    await fold(new ReadModelProjector(), log, rebuilt);

    expect((live.get('store-day:oslo.2026-11-24') as StoreDayDoc).lateCaptures).toEqual([
      expect.objectContaining({ amount: 700, refundedOn: ['2026-11-26'] }),
      expect.objectContaining({ amount: 200, refundedOn: ['2026-11-26'] }),
    ]);
    expect(restarted).toEqual(live);
    expect(rebuilt).toEqual(live);
  });
});

describe('replaying from the checkpoint after a crash', () => {
  it('leaves documents that already hold an event as they are, and applies it to the rest', () => {
    const events = [...store(), ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z')];
    const whole = project(events);
    // The crash: the capture's store-day was written, but not its terminal, and the checkpoint is before it.
    const captureIndex = events.findIndex((e) => e.type === 'PaymentCaptured');
    const before = project(events.slice(0, captureIndex));
    const resumed = new ReadModelProjector();
    for (const key of ['T-1', 'T-2'])
      resumed.load({ model: 'terminal', key: `oslo.${key}`, doc: before.terminal('oslo', key)! });
    resumed.load({ model: 'store', key: 'oslo', doc: before.store('oslo')! });
    resumed.load({ model: 'store-day', key: 'oslo.2026-11-24', doc: whole.storeDay('oslo', '2026-11-24')! });
    // The payment's start is before the checkpoint too: replay from the capture on.
    events
      .slice(0, captureIndex)
      .filter((e) => e.type === 'PaymentRequested')
      .forEach((e) => resumed.apply(e));
    for (const key of ['T-1', 'T-2'])
      resumed.load({ model: 'terminal', key: `oslo.${key}`, doc: before.terminal('oslo', key)! });
    events.slice(captureIndex).forEach((e) => resumed.apply(e));
    expect(resumed.storeDay('oslo', '2026-11-24')).toEqual(whole.storeDay('oslo', '2026-11-24'));
    expect(resumed.terminal('oslo', 'T-1')).toEqual(whole.terminal('oslo', 'T-1'));
  });

  it("counts a replayed capture once in its terminal's batch when the terminal already holds it", () => {
    const events = [...store(), ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z')];
    const whole = project(events);
    const captureIndex = events.findIndex((e) => e.type === 'PaymentCaptured');
    const resumed = new ReadModelProjector();
    // KV holds every document through the whole run; the checkpoint is before the capture.
    for (const change of whole.documents()) resumed.load(change);
    resumed.rememberPayment(events.slice(0, captureIndex), events[captureIndex]!.position);
    events.slice(captureIndex).forEach((e) => resumed.apply(e));
    expect(whole.terminal('oslo', 'T-1')?.openBatch).toMatchObject({ purchasesCount: 1 });
    expect(resumed.terminal('oslo', 'T-1')).toEqual(whole.terminal('oslo', 'T-1'));
  });
});

describe('a crash between a terminal’s document and its store’s', () => {
  /** As KV held them after the crash: every terminal through `events`, the store only before the last one. */
  const crashedBeforeStore = (events: RecordedEvent[]) => {
    const whole = project(events);
    const before = project(events.slice(0, -1));
    const resumed = new ReadModelProjector();
    resumed.load({ model: 'store', key: 'oslo', doc: before.store('oslo')! });
    for (const key of ['T-1', 'T-2'])
      resumed.load({ model: 'terminal', key: `oslo.${key}`, doc: whole.terminal('oslo', key)! });
    return { whole, resumed };
  };

  it('recounts the store when the terminal already holds the event', () => {
    const events = [...store(), ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z').slice(0, 1)];
    const { whole, resumed } = crashedBeforeStore(events);
    resumed.apply(events.at(-1)!);
    expect(resumed.store('oslo')?.terminals).toEqual({ busy: 1, idle: 1, deactivated: 0 });
    expect(resumed.store('oslo')).toEqual(whole.store('oslo'));
  });

  it('writes the day of a close when the terminal already holds the close', () => {
    // The terminal counted 2 purchases, the log 1: the day must show the close as a mismatch. (Events take the
    // next position as they are made: the close is made last.)
    const paid = [...store(), ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z')];
    const close = {
      ...event('operation-c-9', 'OperationCompleted', {
        operationId: 'c-9',
        dinteroOperationId: 'd-9',
        batch: { batchId: '000009', purchasesCount: 2, purchasesAmount: 20_000 },
        at: '2026-11-24T22:00:00.000Z',
      }),
      metadata: { storeId: 'oslo', terminalId: 'T-1', businessDay: '2026-11-24' },
    };
    const events = [...paid, close];
    const whole = project(events);
    expect(whole.storeDay('oslo', '2026-11-24')?.closeMismatches).toBe(1);
    // KV after the crash: the terminal with the close, its day without it, the checkpoint before the close.
    const resumed = new ReadModelProjector();
    const before = project(events.slice(0, -1));
    resumed.load({ model: 'store', key: 'oslo', doc: before.store('oslo')! });
    resumed.load({ model: 'store-day', key: 'oslo.2026-11-24', doc: before.storeDay('oslo', '2026-11-24')! });
    for (const key of ['T-1', 'T-2'])
      resumed.load({ model: 'terminal', key: `oslo.${key}`, doc: whole.terminal('oslo', key)! });
    resumed.apply(close);
    expect(resumed.storeDay('oslo', '2026-11-24')).toEqual(whole.storeDay('oslo', '2026-11-24'));
    expect(resumed.terminal('oslo', 'T-1')).toEqual(whole.terminal('oslo', 'T-1'));
  });

  it('recounts the store on a replayed release, which leaves the terminal’s document as it is', () => {
    // A claim released with nothing recorded behind it: the release only frees the terminal. (Events are
    // made in log order: each takes the next position.)
    const registered = store();
    const [claim] = capturedPayment('p-9', '2026-11-24T10:00:00.000Z');
    const release = event('terminal-T-1', 'TerminalReleased', {
      terminalId: 'T-1',
      claimId: 'p-9',
      paymentId: 'p-9',
      storeId: 'oslo',
      reason: 'expired',
      at: '2026-11-24T10:05:00.000Z',
    });
    const { whole, resumed } = crashedBeforeStore([...registered, claim!, release]);
    expect(resumed.store('oslo')?.terminals.busy).toBe(1);
    resumed.apply(release);
    expect(resumed.store('oslo')).toEqual(whole.store('oslo'));
  });
});

describe('a close in the log with a time the fold cannot read', () => {
  it('is folded with that time as unknown, told with its position and ids, and the fold goes on', () => {
    // Written before the rim and the decider refused such times (1c76654), or by hand: folded as given, localDate
    // threw on it and the projector stopped on this event for good.
    const before = [...store(), ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z')];
    const unreadable = {
      ...event('operation-c-bad', 'OperationCompleted', {
        operationId: 'c-bad',
        dinteroOperationId: 'd-c-bad',
        batch: { batchId: '7', startOfDayAt: 'this morning', purchasesCount: 1, purchasesAmount: 10_000 },
        at: '2026-11-24T22:00:00.000Z',
        dinteroAt: 'not a time',
      }),
      metadata: { storeId: 'oslo', terminalId: 'T-1' },
    };
    const told: unknown[] = [];
    const projector = new ReadModelProjector();
    projector.onUnreadable = (unread) => told.push(unread);
    const log = [...before, unreadable, ...capturedPayment('p-2', '2026-11-25T10:00:00.000Z')];
    // As the rim folds it: the store days the event needs looked up first (`missingDays`), then applied.
    for (const e of log) {
      projector.missingDays(e);
      projector.apply(e);
    }
    // Dated by when the engine heard of it, its batch's opening unknown: the close before it opens it, as for any.
    expect(projector.terminal('oslo', 'T-1')?.lastClose).toMatchObject({
      operationId: 'c-bad',
      businessDay: '2026-11-24',
      closedAt: '2026-11-24T22:00:00.000Z',
      recorded: { purchasesCount: 1, purchasesAmount: 10_000 },
      mismatch: false,
    });
    expect(projector.terminal('oslo', 'T-1')?.lastClose?.startOfDayAt).toBeUndefined();
    // The fold went on: the next day's sale is in the open batch and on its day.
    expect(projector.terminal('oslo', 'T-1')?.openBatch).toMatchObject({ purchasesCount: 1, purchasesAmount: 10_000 });
    expect(projector.storeDay('oslo', '2026-11-25')?.currencies['NOK']).toMatchObject({ capturedAmount: 10_000 });
    expect(projector.storeDay('oslo', '2026-11-24')?.closes?.['c-bad']).toMatchObject({
      closedAt: '2026-11-24T22:00:00.000Z',
    });
    expect(told).toEqual([
      {
        position: String(unreadable.position),
        type: 'OperationCompleted',
        storeId: 'oslo',
        terminalId: 'T-1',
        operationId: 'c-bad',
        unread: ['dinteroAt', 'batch.startOfDayAt'],
      },
    ]);
    for (const change of projector.documents())
      expect([change.key, documentProblem(change.model, change.doc)]).toEqual([change.key, undefined]);
  });
});

describe('a close whose figures Dintero gave unreadable', () => {
  const closeWith = (batch: Record<string, unknown>) =>
    closeOf('c-1', '2026-11-24', '2026-11-24T22:00:00.000Z', { batchId: '7', ...batch });

  it('shows such a figure as unknown and the close as a mismatch, where it compared as 0', () => {
    // The terminal gave its purchases' sum as no whole number: the rim left it out and named it (start-operation.int).
    const unreadableSum = { purchasesCount: 1, unreadable: ['purchasesAmount'], reversalsCount: 0, reversalsAmount: 0 };
    const sold = project([...store(), ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z'), closeWith(unreadableSum)]);
    // Not a difference of -10,000 (a sum of 0 the terminal never gave): a sum nobody knows.
    expect(sold.terminal('oslo', 'T-1')?.lastClose).toMatchObject({
      terminal: { purchasesCount: 1, reversalsCount: 0, reversalsAmount: 0 },
      unknown: ['purchasesAmount'],
      recorded: { purchasesCount: 1, purchasesAmount: 10_000 },
      mismatch: true,
    });
    expect(sold.terminal('oslo', 'T-1')?.lastClose?.terminal).not.toHaveProperty('purchasesAmount');
    expect(sold.terminal('oslo', 'T-1')?.lastClose?.differences).toBeUndefined();
    // With nothing sold, 0 against 0 hid it: the close agreed with the log.
    const unsold = project([...store(), closeWith({ ...unreadableSum, purchasesCount: 0 })]);
    expect(unsold.storeDay('oslo', '2026-11-24')?.closes?.['c-1']).toMatchObject({
      unknown: ['purchasesAmount'],
      mismatch: true,
    });
    expect(unsold.storeDay('oslo', '2026-11-24')?.closeMismatches).toBe(1);
  });

  it('takes a figure in the log that is no whole number (written before the rim refused one) as unknown', () => {
    const projector = project([...store(), closeWith({ purchasesCount: 0, purchasesAmount: '0', reversalsCount: 0 })]);
    expect(projector.terminal('oslo', 'T-1')?.lastClose).toMatchObject({
      terminal: { purchasesCount: 0, reversalsCount: 0, reversalsAmount: 0 },
      unknown: ['purchasesAmount'],
      mismatch: true,
    });
  });
});

describe('a captured payment handed to a person', () => {
  it('lists a further capture of its transaction in another currency for review, and lets the payment go again', () => {
    // The further capture is not booked (Dintero's report is refused); the flag is all that tells of it.
    const flagged = event('payment-p-1', 'PaymentFlaggedForReview', {
      reason: 'not_settleable',
      transactionId: 'tx-p-1',
      since: '2026-11-25T09:00:00.000Z',
      problem: 'Dintero transaction tx-p-1 is CAPTURED in SEK, but payment p-1 is in NOK: nothing was booked',
      at: '2026-11-25T09:00:00.000Z',
    });
    const log = [...store(), ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z'), flagged];
    const projector = project(log);
    expect(projector.store('oslo')?.review).toEqual([
      {
        paymentId: 'p-1',
        terminalId: 'T-1',
        reason: 'not_settleable',
        transactionId: 'tx-p-1',
        since: '2026-11-25T09:00:00.000Z',
        problem: 'Dintero transaction tx-p-1 is CAPTURED in SEK, but payment p-1 is in NOK: nothing was booked',
        at: '2026-11-25T09:00:00.000Z',
        // A captured payment's: not one whose outcome is in doubt (the dashboard words them apart).
        captured: true,
      },
    ]);
    // Nothing booked: the day's takings are the sale's alone.
    expect(projector.storeDay('oslo', '2026-11-24')?.currencies['NOK']).toMatchObject({ capturedAmount: 10_000 });
    expect(projector.storeDay('oslo', '2026-11-25')).toBeUndefined();
    expect(projector.paymentsHeld()).toBe(0);
  });
});

describe('a captured payment handed to a person, resolved by one', () => {
  it('takes the payment off the review list, and lets it go again', () => {
    const flagged = event('payment-p-1', 'PaymentFlaggedForReview', {
      reason: 'not_settleable',
      transactionId: 'tx-p-1',
      since: '2026-11-25T09:00:00.000Z',
      problem: 'Dintero transaction tx-p-1 is CAPTURED in SEK, but payment p-1 is in NOK: nothing was booked',
      capturedAmount: 10_500,
      at: '2026-11-25T09:00:00.000Z',
    });
    const resolved = event('payment-p-1', 'PaymentReviewResolved', {
      flaggedAt: '2026-11-25T09:00:00.000Z',
      by: 'hq',
      note: 'Refunded the SEK capture at Dintero',
      at: '2026-11-25T11:00:00.000Z',
    });
    const projector = project([...store(), ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z'), flagged, resolved]);
    expect(projector.store('oslo')?.review).toBeUndefined();
    // Nothing booked by the word: the day's takings are the sale's alone.
    expect(projector.storeDay('oslo', '2026-11-24')?.currencies['NOK']).toMatchObject({ capturedAmount: 10_000 });
    expect(projector.storeDay('oslo', '2026-11-25')).toBeUndefined();
    expect(projector.paymentsHeld()).toBe(0);
  });
});

describe('a refund failed for silence, taken by Dintero since, handed to a person', () => {
  it('lets the payment go again, as every refund event after its end does', () => {
    const at = '2026-11-24T10:00:00.000Z';
    const accepted = event('payment-p-1', 'RefundAccepted', { refundId: 'r-1', requestId: 'req-1', at });
    const paid = [...store(), ...capturedPayment('p-1', at), ...refundFailedForSilence(at), accepted];
    // Forgotten: the refund failed, Dintero's late 202 brings nothing open back.
    expect(project(paid).paymentsHeld()).toBe(0);
    // Dintero has not finished it long after: the reconciler hands it to a person (`not_final`).
    const flagged = event('payment-p-1', 'RefundFlaggedForReview', {
      refundId: 'r-1',
      amount: 4_000,
      currency: 'NOK',
      terminalId: 'T-2',
      reason: 'not_final',
      since: at,
      at: '2026-11-24T11:00:00.000Z',
    });
    const projector = project([...paid, flagged]);
    expect(projector.store('oslo')?.review).toEqual([expect.objectContaining({ paymentId: 'p-1', refundId: 'r-1' })]);
    expect(projector.paymentsHeld()).toBe(0);
  });
});

describe('a captured payment handed to a person, its further capture booked since', () => {
  it('takes the payment off the review list once Dintero shows the further capture in its currency, booked', () => {
    const flagged = event('payment-p-1', 'PaymentFlaggedForReview', {
      reason: 'not_settleable',
      transactionId: 'tx-p-1',
      since: '2026-11-25T09:00:00.000Z',
      problem: 'Dintero transaction tx-p-1 is CAPTURED in SEK, but payment p-1 is in NOK: nothing was booked',
      at: '2026-11-25T09:00:00.000Z',
    });
    // Dintero shows the transaction in the payment's currency again: the further capture is booked after all.
    const booked = event('payment-p-1', 'FurtherCaptureRecorded', {
      transactionId: 'tx-p-1',
      amount: 500,
      capturedAmount: 10_500,
      source: 'webhook',
      at: '2026-11-25T10:00:00.000Z',
    });
    const projector = project([...store(), ...capturedPayment('p-1', '2026-11-24T10:00:00.000Z'), flagged, booked]);
    expect(projector.storeDay('oslo', '2026-11-25')?.currencies['NOK']).toMatchObject({ capturedAmount: 500 });
    // No entry saying "nothing was booked" for money that was.
    expect(projector.store('oslo')?.review).toBeUndefined();
  });
});

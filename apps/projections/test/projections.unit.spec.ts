import type { PaymentEvent } from '@app/payment-domain';
import type { Fact } from '../src/read-models/projections/fact';
import { emptyStoreDay, storeDayProjection } from '../src/read-models/projections/store-day.projection';
import {
  countedAs,
  emptyStore,
  storeProjection,
  withTerminalCounts,
} from '../src/read-models/projections/store.projection';
import { emptyTerminal, terminalProjection } from '../src/read-models/projections/terminal.projection';
import type { StoreDoc, TerminalDoc } from '../src/read-models/read-model.types';

const at = '2026-11-24T10:00:00.000Z';
const later = '2026-11-24T10:01:00.000Z';
const payment = { storeId: 'oslo', terminalId: 'T-1', amount: 10_000, currency: 'NOK' };
/** A fact of payment p-1 on T-1, on the 24th. */
const paid = (event: PaymentEvent, refundAmount = 0, date = '2026-11-24'): Fact => ({
  stream: 'payment',
  event,
  recordedAt: later,
  paymentId: 'p-1',
  payment,
  at: later,
  date,
  moneyCurrency: payment.currency,
  refundAmount,
});
const fold = <Doc>(projection: { evolve(doc: Doc, fact: Fact): Doc }, start: Doc, facts: Fact[]) =>
  facts.reduce((doc, fact) => projection.evolve(doc, fact), start);
const claim: Fact = {
  stream: 'terminal',
  recordedAt: at,
  storeId: 'oslo',
  event: {
    type: 'TerminalClaimed',
    data: {
      terminalId: 'T-1',
      claimId: 'p-1',
      kind: 'payment',
      paymentId: 'p-1',
      storeId: 'oslo',
      claimedAt: at,
      expiresAt: '2026-11-24T10:03:00.000Z',
    },
  },
};
/** The release of p-1's claim on T-1, a minute later. */
const release: Fact = {
  stream: 'terminal',
  recordedAt: later,
  storeId: 'oslo',
  event: {
    type: 'TerminalReleased',
    data: { terminalId: 'T-1', claimId: 'p-1', paymentId: 'p-1', storeId: 'oslo', reason: 'finished', at: later },
  },
};
const captured: PaymentEvent = {
  type: 'PaymentCaptured',
  data: {
    transactionId: 'tx-1',
    amount: 10_000,
    currency: 'NOK',
    card: { brand: 'VISA', entryMethod: 'contactless' },
    source: 'callback',
    at: later,
  },
};

const requested = {
  paymentId: 'p-1',
  storeId: 'oslo',
  terminalId: 'T-1',
  payoutDestinationId: 'p',
  amount: 10_000,
  currency: 'NOK',
  merchantReference: 'R-1',
  posClientId: 'pos',
  claimId: 'p-1',
  requestedAt: at,
  expiresAt: later,
};

describe('the terminal projection', () => {
  const start = { ...emptyTerminal('oslo', 'T-1'), position: '1' };

  it('leaves a terminal as it is for the registry’s hold while its device is changed, and for the hold’s end', () => {
    if (claim.stream !== 'terminal' || claim.event.type !== 'TerminalClaimed') throw new Error('a claim');
    const data = { ...claim.event.data, claimId: 'chg-1', kind: 'device-change' as const, paymentId: 'chg-1' };
    const held: Fact = { ...claim, event: { type: 'TerminalClaimed', data } };
    const ended: Fact = {
      ...claim,
      event: {
        type: 'TerminalReleased',
        data: { terminalId: 'T-1', claimId: 'chg-1', paymentId: 'chg-1', storeId: 'oslo', reason: 'finished', at },
      },
    };
    expect(fold(terminalProjection, start, [held])).toBe(start);
    expect(fold(terminalProjection, start, [held, ended])).toBe(start);
    // A payment holding it is not ended by the hold's release.
    const starting = terminalProjection.evolve(start, claim);
    expect(terminalProjection.evolve(starting, ended)).toBe(starting);
  });

  it('follows a payment: starting, awaiting the card, idle with its outcome and the day’s counts', () => {
    const starting = terminalProjection.evolve(start, claim);
    expect(starting).toMatchObject({
      status: 'starting',
      statusSince: at,
      active: { kind: 'payment', paymentId: 'p-1', since: at, expiresAt: '2026-11-24T10:03:00.000Z' },
    });
    const awaiting = fold(terminalProjection, starting, [
      paid({ type: 'PaymentRequested', data: { ...requested } }),
      paid({ type: 'SessionCreated', data: { sessionId: 's-1', expiresAt: later, at: later } }),
    ]);
    expect(awaiting).toMatchObject({ status: 'awaiting_card', statusSince: later, today: { payments: 1 } });
    const done = terminalProjection.evolve(awaiting, paid(captured));
    expect(done).toMatchObject({
      status: 'idle',
      lastOutcome: { paymentId: 'p-1', status: 'captured', amount: 10_000, currency: 'NOK', at: later },
      today: { date: '2026-11-24', payments: 1, captured: 1 },
    });
    const released = terminalProjection.evolve(done, release);
    expect(released).toMatchObject({ status: 'idle', lastHeardAt: later });
    // As KV keeps it: the fields it does not have (no payment holds it, no refund or close yet) are left out.
    expect(Object.keys(JSON.parse(JSON.stringify({ ...released, position: '9' })) as object).sort()).toEqual(
      ['storeId', 'terminalId', 'status', 'statusSince', 'lastOutcome', 'lastHeardAt', 'today', 'position'].sort(),
    );
  });

  it('leaves a deactivated terminal deactivated, and a terminal another payment holds as it is', () => {
    const deactivated = terminalProjection.evolve(start, {
      stream: 'store',
      recordedAt: at,
      event: { type: 'TerminalDeactivated', data: { storeId: 'oslo', terminalId: 'T-1', at } },
    });
    expect(terminalProjection.evolve(deactivated, claim).status).toBe('deactivated');
    const otherPayment: TerminalDoc = {
      ...start,
      status: 'awaiting_card',
      active: { kind: 'payment', paymentId: 'p-2', since: at },
    };
    const late = terminalProjection.evolve(
      otherPayment,
      paid({ type: 'SessionCreated', data: { sessionId: 's', expiresAt: at, at } }),
    );
    expect(late.status).toBe('awaiting_card');
  });

  it('keeps when a claim began when the same claim is extended, with its new expiry', () => {
    const extended: Fact = {
      ...claim,
      recordedAt: later,
      event: {
        type: 'TerminalClaimed',
        data: { ...(claim.event.data as object), claimedAt: later, expiresAt: '2026-11-24T10:05:00.000Z' },
      } as Extract<Fact, { stream: 'terminal' }>['event'],
    };
    const doc = fold(terminalProjection, start, [claim, extended]);
    expect(doc.active).toMatchObject({ paymentId: 'p-1', since: at, expiresAt: '2026-11-24T10:05:00.000Z' });
    // Extended once its session prompts (a start resumed after it was created): still awaiting the card.
    const session = paid({ type: 'SessionCreated', data: { sessionId: 's-1', expiresAt: later, at: later } });
    expect(fold(terminalProjection, start, [claim, session, extended]).status).toBe('awaiting_card');
  });

  it('stays cancelling when the session of a payment the POS asked to cancel is recorded after the cancel', () => {
    // The POS cancelled while the session's creation went unanswered; a transaction found later names the session
    // (ingest learns it), and the reconciler sends the cancel after that: the terminal is being cancelled all along.
    const cancel = paid({ type: 'CancellationRequested', data: { by: 'pos-1', at: later } });
    const session = paid({ type: 'SessionCreated', data: { sessionId: 's-1', expiresAt: later, at: later } });
    const doc = fold(terminalProjection, start, [claim, cancel, session]);
    expect(doc.status).toBe('cancelling');
    expect(doc.active).toMatchObject({ paymentId: 'p-1', stage: 'cancelling' });
  });

  it('is at its payment’s stage again when reactivated while the payment went on under the deactivation', () => {
    const store = (type: 'TerminalDeactivated' | 'TerminalReactivated'): Fact => ({
      stream: 'store',
      recordedAt: at,
      event: { type, data: { storeId: 'oslo', terminalId: 'T-1', at } },
    });
    const session = paid({ type: 'SessionCreated', data: { sessionId: 's-1', expiresAt: later, at: later } });
    const cancel = paid({ type: 'CancellationRequested', data: { by: 'pos-1', at: later } });
    const prompting = fold(terminalProjection, start, [
      claim,
      store('TerminalDeactivated'),
      session,
      store('TerminalReactivated'),
    ]);
    expect(prompting.status).toBe('awaiting_card');
    expect(terminalProjection.evolve(prompting, cancel).status).toBe('cancelling');
    const cancelling = fold(terminalProjection, prompting, [store('TerminalDeactivated'), cancel]);
    expect(cancelling.status).toBe('deactivated');
    expect(terminalProjection.evolve(cancelling, store('TerminalReactivated')).status).toBe('cancelling');
  });

  it('is busy again when reactivated while a claim holds it, and idle once the claim is released', () => {
    const store = (type: 'TerminalDeactivated' | 'TerminalReactivated'): Fact => ({
      stream: 'store',
      recordedAt: at,
      event: { type, data: { storeId: 'oslo', terminalId: 'T-1', at } },
    });
    const reactivated = fold(terminalProjection, start, [
      claim,
      store('TerminalDeactivated'),
      store('TerminalReactivated'),
    ]);
    expect(reactivated.status).toBe('starting');
    expect(terminalProjection.evolve(reactivated, release).status).toBe('idle');
    // Reactivated with nothing holding it: idle, as before.
    expect(fold(terminalProjection, start, [store('TerminalDeactivated'), store('TerminalReactivated')]).status).toBe(
      'idle',
    );
  });

  it('shows the last refund, and changes nothing for an event it does not handle', () => {
    const refunded = terminalProjection.evolve(
      start,
      paid({ type: 'RefundSucceeded', data: { refundId: 'r-1', source: 'command-service', at: later } }, 4_000),
    );
    expect(refunded.lastRefund).toEqual({
      paymentId: 'p-1',
      refundId: 'r-1',
      status: 'refunded',
      amount: 4_000,
      currency: 'NOK',
      at: later,
    });
    const untouched = paid({ type: 'TransactionStarted', data: { transactionId: 't', source: 'webhook', at } });
    expect(terminalProjection.handles.has('TransactionStarted')).toBe(false);
    expect(terminalProjection.evolve(start, untouched)).toBe(start);
  });
});

describe('the store projection', () => {
  const registered = storeProjection.evolve(emptyStore('oslo'), {
    stream: 'store',
    recordedAt: at,
    event: {
      type: 'StoreRegistered',
      data: {
        storeId: 'oslo',
        name: 'Oslo',
        payoutDestinationId: 'p',
        timeZone: 'Europe/Oslo',
        currencies: ['NOK'],
        at,
      },
    },
  });

  it('keeps the payments waiting for a person until Dintero tells more, and today’s totals', () => {
    expect(registered).toMatchObject({ name: 'Oslo', timeZone: 'Europe/Oslo' });
    const flagged = storeProjection.evolve(
      registered,
      paid({ type: 'PaymentFlaggedForReview', data: { reason: 'outcome_unknown', since: at, at: later } }),
    );
    expect(flagged.review).toEqual([
      { paymentId: 'p-1', terminalId: 'T-1', reason: 'outcome_unknown', since: at, at: later },
    ]);
    // One the reconciler cannot settle says why; a payment flagged again replaces its entry.
    const problem = 'Dintero transaction status "PENDING_REVIEW" is not one this engine knows';
    const unsettleable = storeProjection.evolve(
      flagged,
      paid({ type: 'PaymentFlaggedForReview', data: { reason: 'not_settleable', since: at, problem, at: later } }),
    );
    expect(unsettleable.review).toEqual([
      { paymentId: 'p-1', terminalId: 'T-1', reason: 'not_settleable', since: at, problem, at: later },
    ]);
    const after = storeProjection.evolve(unsettleable, paid(captured));
    expect(after.review).toBeUndefined();
    expect(after.today).toEqual({
      date: '2026-11-24',
      totals: { NOK: { capturedCount: 1, capturedAmount: 10_000, refundedCount: 0, refundedAmount: 0, net: 10_000 } },
    });
    // A capture Dintero dates the day before leaves today as it is.
    expect(storeProjection.evolve(after, paid(captured, 0, '2026-11-23'))).toBe(after);
  });

  it('keeps a refund waiting for a person beside its payment’s entries until the refund has an outcome', () => {
    const flag = (refundId: string) =>
      paid({
        type: 'RefundFlaggedForReview',
        data: { refundId, amount: 4_000, terminalId: 'T-9', reason: 'not_final', since: at, at: later },
      });
    const flagged = storeProjection.evolve(storeProjection.evolve(registered, flag('r-1')), flag('r-2'));
    const entry = (refundId: string) => ({
      paymentId: 'p-1',
      refundId,
      terminalId: 'T-9',
      amount: 4_000,
      currency: 'NOK',
      reason: 'not_final',
      since: at,
      at: later,
    });
    expect(flagged.review).toEqual([entry('r-1'), entry('r-2')]);
    // The payment's own end does not take a refund's entry; the refund's outcome does, and only its own.
    expect(storeProjection.evolve(flagged, paid(captured)).review).toEqual([entry('r-1'), entry('r-2')]);
    const failed = storeProjection.evolve(
      flagged,
      paid({ type: 'RefundFailed', data: { refundId: 'r-1', reason: 'DECLINED', source: 'reconciler', at: later } }),
    );
    expect(failed.review).toEqual([entry('r-2')]);
    const succeeded = storeProjection.evolve(
      failed,
      paid({ type: 'RefundSucceeded', data: { refundId: 'r-2', source: 'reconciler', at: later } }, 4_000),
    );
    expect(succeeded.review).toBeUndefined();
  });

  it('lets a payment’s or a refund’s entry go once a person resolved it, and only that one', () => {
    const flagged = [
      paid({ type: 'PaymentFlaggedForReview', data: { reason: 'outcome_unknown', since: at, at: later } }),
      paid({
        type: 'RefundFlaggedForReview',
        data: { refundId: 'r-1', amount: 4_000, terminalId: 'T-9', reason: 'not_final', since: at, at: later },
      }),
    ].reduce((doc, fact) => storeProjection.evolve(doc, fact), registered);
    expect(flagged.review?.map((entry) => entry.refundId ?? entry.paymentId)).toEqual(['p-1', 'r-1']);
    const word = { flaggedAt: later, by: 'hq', note: 'dealt with', at: later };
    const paymentResolved = storeProjection.evolve(flagged, paid({ type: 'PaymentReviewResolved', data: word }));
    expect(paymentResolved.review?.map((entry) => entry.refundId ?? entry.paymentId)).toEqual(['r-1']);
    const refundResolved = storeProjection.evolve(
      paymentResolved,
      paid({ type: 'RefundReviewResolved', data: { refundId: 'r-1', ...word } }),
    );
    expect(refundResolved.review).toBeUndefined();
    // Nothing moved: today's totals are as they were.
    expect(refundResolved.today).toEqual(flagged.today);
  });

  it('counts its terminals by what they do, and is the same document when nothing changed', () => {
    const counts = (statuses: TerminalDoc['status'][]) => {
      const counted = { busy: 0, idle: 0, deactivated: 0 };
      for (const status of statuses) counted[countedAs(status)] += 1;
      return counted;
    };
    const counted = withTerminalCounts(registered, counts(['awaiting_card', 'idle', 'deactivated']));
    expect(counted.terminals).toEqual({ busy: 1, idle: 1, deactivated: 1 });
    const same: StoreDoc = withTerminalCounts(counted, counts(['refunding', 'idle', 'deactivated']));
    expect(same).toBe(counted);
    expect(withTerminalCounts(counted, counts(['idle', 'idle', 'deactivated'])).terminals).toEqual({
      busy: 0,
      idle: 2,
      deactivated: 1,
    });
  });
});

describe('the store-day projection', () => {
  it('totals a day per currency, brand, entry method and terminal; counts refusals; lists late captures', () => {
    const day = fold(storeDayProjection, emptyStoreDay('oslo', '2026-11-24', 'Europe/Oslo'), [
      paid(captured),
      paid({ type: 'RefundSucceeded', data: { refundId: 'r-1', source: 'command-service', at: later } }, 4_000),
      paid({ type: 'PaymentDeclined', data: { reason: 'declined', source: 'callback', at } }),
      paid({ type: 'PaymentExpired', data: { source: 'reconciler', at } }),
      paid({
        type: 'LateCaptureRecorded',
        data: {
          transactionId: 'tx-9',
          amount: 500,
          currency: 'NOK',
          endedAs: 'cancelled',
          flaggedForReversal: true,
          source: 'webhook',
          at,
        },
      }),
    ]);
    expect(day).toMatchObject({
      currencies: {
        NOK: { capturedCount: 1, capturedAmount: 10_000, refundedCount: 1, refundedAmount: 4_000, net: 6_000 },
      },
      counts: { declined: 1, failed: 0, cancelled: 0, expired: 1 },
      cardBrands: { VISA: 1 },
      entryMethods: { contactless: 1 },
      terminals: {
        'T-1': { currencies: { NOK: { capturedCount: 1, capturedAmount: 10_000, refundedAmount: 4_000 } } },
      },
      lateCaptures: [
        {
          paymentId: 'p-1',
          terminalId: 'T-1',
          transactionId: 'tx-9',
          amount: 500,
          currency: 'NOK',
          endedAs: 'cancelled',
          at: later,
        },
      ],
    });
  });

  it('counts a voided payment and one Dintero refused to start with the day’s outcomes, on the terminal too', () => {
    const voided: PaymentEvent = { type: 'PaymentVoided', data: { transactionId: 'tx-1', source: 'webhook', at } };
    const rejected: PaymentEvent = {
      type: 'SessionCreationRejected',
      data: { code: 'INVALID_REQUEST', message: 'refused', httpStatus: 400, at },
    };
    const facts = [paid(voided), paid(rejected, 0, '2026-11-25')];
    const none = { declined: 0, failed: 0, cancelled: 0, expired: 0 };
    const on24th = fold(storeDayProjection, emptyStoreDay('oslo', '2026-11-24', 'Europe/Oslo'), facts.slice(0, 1));
    expect(on24th.counts).toEqual({ ...none, voided: 1, rejected: 0 });
    const on25th = fold(storeDayProjection, emptyStoreDay('oslo', '2026-11-25', 'Europe/Oslo'), facts.slice(1));
    expect(on25th.counts).toEqual({ ...none, voided: 0, rejected: 1 });
    const terminal = emptyTerminal('oslo', 'T-1');
    expect(fold(terminalProjection, terminal, facts.slice(0, 1)).today).toMatchObject({
      date: '2026-11-24',
      voided: 1,
    });
    expect(fold(terminalProjection, terminal, facts).today).toEqual({
      date: '2026-11-25',
      payments: 0,
      captured: 0,
      ...none,
      voided: 0,
      rejected: 1,
      refunds: 0,
    });
  });

  it('adds the rest of a partly captured payment to the day it was captured, as money and not as a sale', () => {
    const partly = { ...captured, data: { ...captured.data, amount: 6_000 } } as PaymentEvent;
    const rest: PaymentEvent = {
      type: 'FurtherCaptureRecorded',
      data: { transactionId: 'tx-1', amount: 4_000, capturedAmount: 10_000, source: 'webhook', at: later },
    };
    const first = fold(storeDayProjection, emptyStoreDay('oslo', '2026-11-24', 'Europe/Oslo'), [paid(partly)]);
    expect(first.currencies['NOK']).toMatchObject({ capturedCount: 1, capturedAmount: 6_000 });
    const day = storeDayProjection.evolve(first, paid(rest));
    expect(day.currencies['NOK']).toEqual({
      capturedCount: 1,
      capturedAmount: 10_000,
      refundedCount: 0,
      refundedAmount: 0,
      net: 10_000,
    });
    expect(day.terminals['T-1']).toEqual({
      currencies: { NOK: { capturedCount: 1, capturedAmount: 10_000, refundedAmount: 0 } },
    });
    const store = fold(storeProjection, emptyStore('oslo'), [paid(partly), paid(rest)]);
    expect(store.today?.totals['NOK']).toMatchObject({ capturedCount: 1, capturedAmount: 10_000, net: 10_000 });
  });

  it("keeps a terminal's totals per currency, as the day's, where one sum added kroner to euros", () => {
    const inEuro = (event: PaymentEvent, refundAmount = 0): Fact =>
      ({
        ...paid(event, refundAmount),
        paymentId: 'p-2',
        payment: { ...payment, amount: 2_500, currency: 'EUR' },
        moneyCurrency: 'EUR',
      }) as Fact;
    const euroCapture = {
      ...captured,
      data: { ...captured.data, transactionId: 'tx-2', amount: 2_500 },
    } as PaymentEvent;
    const euroRefund: PaymentEvent = {
      type: 'RefundSucceeded',
      data: { refundId: 'r-2', transactionId: 'tx-2', amount: 1_000, source: 'callback', at: later },
    } as PaymentEvent;
    const day = fold(storeDayProjection, emptyStoreDay('oslo', '2026-11-24', 'Europe/Oslo'), [
      paid(captured),
      inEuro(euroCapture),
      inEuro(euroRefund, 1_000),
    ]);
    expect(day.terminals['T-1']).toEqual({
      currencies: {
        NOK: { capturedCount: 1, capturedAmount: 10_000, refundedAmount: 0 },
        EUR: { capturedCount: 1, capturedAmount: 2_500, refundedAmount: 1_000 },
      },
    });
    expect(day.currencies['EUR']).toMatchObject({ capturedAmount: 2_500, refundedAmount: 1_000, net: 1_500 });
  });

  it('counts a refund booked failed for silence that Dintero then made, as the refund it is', () => {
    const late: PaymentEvent = {
      type: 'LateRefundRecorded',
      data: { refundId: 'r-1', amount: 4_000, terminalId: 'T-2', source: 'webhook', at: later },
    };
    const day = fold(storeDayProjection, emptyStoreDay('oslo', '2026-11-24', 'Europe/Oslo'), [
      paid(captured),
      paid({
        type: 'RefundFailed',
        data: { refundId: 'r-1', reason: 'no trace', noTrace: true, source: 'reconciler', at },
      }),
      paid(late, 4_000),
    ]);
    expect(day.currencies['NOK']).toEqual({
      capturedCount: 1,
      capturedAmount: 10_000,
      refundedCount: 1,
      refundedAmount: 4_000,
      net: 6_000,
    });
    const store = fold(storeProjection, emptyStore('oslo'), [paid(captured), paid(late, 4_000)]);
    expect(store.today?.totals['NOK']).toMatchObject({ refundedCount: 1, refundedAmount: 4_000, net: 6_000 });
  });

  // Valid terminal names that every JavaScript object answers to: each is a terminal of its own, from zero.
  it.each(['toString', 'constructor', '__proto__'])('totals a terminal named %s as any other', (terminalId) => {
    const there = (fact: Fact): Fact => ({ ...fact, payment: { ...payment, terminalId } }) as Fact;
    const refund: PaymentEvent = {
      type: 'RefundSucceeded',
      data: { refundId: 'r-1', source: 'command-service', at: later },
    };
    const day = fold(storeDayProjection, emptyStoreDay('oslo', '2026-11-24', 'Europe/Oslo'), [
      there(paid(captured)),
      there(paid(refund, 4_000)),
    ]);
    const written = JSON.parse(JSON.stringify(day)) as typeof day;
    expect(Object.entries(written.terminals)).toEqual([
      [terminalId, { currencies: { NOK: { capturedCount: 1, capturedAmount: 10_000, refundedAmount: 4_000 } } }],
    ]);
    // Read back from KV, the document goes on from its figures.
    const next = storeDayProjection.evolve(written, there(paid(captured)));
    expect(Object.entries(next.terminals)).toEqual([
      [terminalId, { currencies: { NOK: { capturedCount: 2, capturedAmount: 20_000, refundedAmount: 4_000 } } }],
    ]);
  });

  // Card brands and entry methods are Dintero's words, counted by name as terminals are.
  it.each(['toString', 'constructor', '__proto__'])('counts a card brand or entry method named %s', (name) => {
    const card = { ...captured, data: { ...captured.data, card: { brand: name, entryMethod: name } } } as PaymentEvent;
    const day = fold(storeDayProjection, emptyStoreDay('oslo', '2026-11-24', 'Europe/Oslo'), [paid(card), paid(card)]);
    const written = JSON.parse(JSON.stringify(day)) as typeof day;
    expect(Object.entries(written.cardBrands)).toEqual([[name, 2]]);
    expect(Object.entries(written.entryMethods)).toEqual([[name, 2]]);
  });
});

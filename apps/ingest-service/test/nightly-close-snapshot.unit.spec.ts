import type { RecordedEvent } from '@app/event-store';
import {
  NIGHTLY_CLOSE_SWITCH_STREAM,
  addDays,
  nightlyCloseSwitchDecider,
  operationDecider,
  operationStream,
  storeDecider,
  storeStream,
  terminalDecider,
  terminalStream,
  type Decider,
} from '@app/payment-domain';
import { endOfDayRequest } from '../../../test/support/end-of-day-request';
import { giveUpReason, nextAttempt, stateOf } from '../src/fleet/close-attempt';
import { closeDayKey, closeOperationId, closeTime } from '../src/fleet/close-schedule';
import {
  dueCloses,
  missedCloses,
  outOfUseAtCloseTime,
  supersededCloses,
  type CloseDaySettings,
} from '../src/fleet/nightly-close-days';
import { CORRELATION_ID, KEEP_DAYS_MS, NightlyCloseIndex } from '../src/fleet/nightly-close-index';
import { restoreInto, snapshotOf, type NightlyCloseSnapshot } from '../src/fleet/nightly-close-snapshot';

const SETTINGS = { maxAttempts: 2, retryMs: 600_000 };
const DAYS: CloseDaySettings = { spreadMs: 60_000, maxAttempts: SETTINGS.maxAttempts };
const LOOK_BACK_DAYS = 7;
const DAY = 86_400_000;
const iso = (instant: number) => new Date(instant).toISOString();
/** Noon UTC on 20 November: the close due is the 19th's (23:30 in Oslo), the days before it looked back over. */
const NOW = Date.parse('2026-11-20T12:00:00Z');
const day = (back: number) => addDays('2026-11-20', -back);
const oslo = (back: number) => closeTime(day(back), '23:30', 'Europe/Oslo');

/**
 * A log written through the deciders, as the engine writes it: each command is decided on its stream's state, and its
 * events recorded at the next positions.
 */
function deciderLog() {
  const events: RecordedEvent[] = [];
  let position = 0n;
  return {
    events,
    run<C, E extends { type: string; data: unknown }, S>(streamName: string, decider: Decider<C, E, S>, command: C) {
      const own = events.filter((event) => event.streamName === streamName);
      const state = own.reduce((held, event) => decider.evolve(held, event as unknown as E), decider.initialState);
      for (const event of decider.decide(command, state)) {
        position += 1n;
        events.push({
          id: `e-${position}`,
          type: event.type,
          data: event.data,
          metadata: { correlationId: 'test' },
          streamName,
          revision: own.length,
          position,
        });
      }
    },
  };
}

/**
 * A chain's fortnight: two stores (one closing at 22:00), the switch off and on, terminals registered, taken out of use
 * and back, moved to the other store, and an enrolled one going `INACTIVE` and `ACTIVE` at Dintero; payments (one
 * refused, one never released) and a refund; nightly closes completed, failed and tried again, one still open, one
 * given up; a close by hand with a sale after it; and days with no trace at all.
 */
function fortnight() {
  const log = deciderLog();
  const start = NOW - 12 * DAY;
  const switched = (enabled: boolean, at: number) =>
    log.run(NIGHTLY_CLOSE_SWITCH_STREAM, nightlyCloseSwitchDecider, {
      type: 'SwitchNightlyClose',
      data: { enabled, at: iso(at) },
    });
  const store = (storeId: string, endOfDayTime: string) =>
    log.run(storeStream(storeId), storeDecider, {
      type: 'RegisterStore',
      data: {
        storeId,
        name: storeId,
        payoutDestinationId: 'seller-1',
        timeZone: 'Europe/Oslo',
        endOfDayTime,
        at: iso(start),
      },
    });
  const terminal = (storeId: string, terminalId: string, at: number, enrolled = false) => {
    log.run(terminalStream(terminalId), terminalDecider, {
      type: 'AssignTerminal',
      data: { terminalId, storeId, at: iso(at) },
    });
    log.run(storeStream(storeId), storeDecider, {
      type: 'RegisterTerminal',
      data: {
        storeId,
        terminalId,
        ...(enrolled
          ? {
              enrollment: {
                dinteroTerminalId: `D-${terminalId}`,
                deviceSerialNumber: `SN-${terminalId}`,
                status: 'ACTIVE' as const,
              },
            }
          : {}),
        at: iso(at),
      },
    });
  };
  const status = (storeId: string, terminalId: string, value: 'ACTIVE' | 'INACTIVE', at: number) =>
    log.run(storeStream(storeId), storeDecider, {
      type: 'RecordTerminalStatus',
      data: { storeId, terminalId, dinteroTerminalId: `D-${terminalId}`, status: value, at: iso(at) },
    });
  const claim = (
    storeId: string,
    terminalId: string,
    claimId: string,
    at: number,
    kind: 'payment' | 'refund' = 'payment',
  ) =>
    log.run(terminalStream(terminalId), terminalDecider, {
      type: 'ClaimTerminal',
      data: {
        terminalId,
        storeId,
        claimId,
        kind,
        paymentId: claimId,
        claimedAt: iso(at),
        expiresAt: iso(at + 300_000),
      },
    });
  const release = (terminalId: string, claimId: string, at: number, reason: 'finished' | 'rejected' = 'finished') =>
    log.run(terminalStream(terminalId), terminalDecider, {
      type: 'ReleaseTerminal',
      data: { terminalId, claimId, reason, at: iso(at) },
    });
  const paid = (storeId: string, terminalId: string, claimId: string, at: number) => {
    claim(storeId, terminalId, claimId, at);
    release(terminalId, claimId, at + 60_000);
  };
  const requested = (
    storeId: string,
    terminalId: string,
    businessDay: string,
    attempt: number,
    at: number,
    by = CORRELATION_ID,
  ) => {
    const operationId =
      by === CORRELATION_ID
        ? closeOperationId(storeId, terminalId, businessDay, attempt)
        : `hand-${terminalId}-${businessDay}`;
    log.run(operationStream(operationId), operationDecider, {
      type: 'RequestOperation',
      data: endOfDayRequest({ operationId, storeId, terminalId, businessDay, requestedBy: by, requestedAt: at }),
    });
    return operationId;
  };
  const ended = (operationId: string, outcome: 'completed' | 'failed', at: number) =>
    log.run(operationStream(operationId), operationDecider, {
      type: 'RecordOperationOutcome',
      data: {
        outcome,
        dinteroOperationId: `dintero-${operationId}`,
        ...(outcome === 'failed' ? { reason: 'the terminal reported a failure' } : {}),
        at: iso(at),
      },
    });
  const closed = (
    storeId: string,
    terminalId: string,
    back: number,
    closeAt: number,
    outcome: 'completed' | 'failed' = 'completed',
    attempt = 1,
  ) => ended(requested(storeId, terminalId, day(back), attempt, closeAt + 60_000), outcome, closeAt + 120_000);

  switched(true, start);
  store('oslo', '23:30');
  store('bergen', '22:00');
  for (const terminalId of ['O-1', 'O-2', 'O-3', 'O-4']) terminal('oslo', terminalId, start);
  terminal('oslo', 'O-5', start, true);
  terminal('bergen', 'B-1', start);
  terminal('bergen', 'B-2', start);
  switched(false, NOW - 10 * DAY);
  switched(true, NOW - 9 * DAY);
  // The nightly close at work from five days back, each of Oslo's terminals closed.
  for (const back of [5, 4, 3])
    for (const terminalId of ['O-1', 'O-2', 'O-3', 'O-4', 'O-5']) closed('oslo', terminalId, back, oslo(back));
  // B-1 moved to Oslo: removed from Bergen, still looked at there.
  log.run(storeStream('bergen'), storeDecider, {
    type: 'RemoveTerminal',
    data: { storeId: 'bergen', terminalId: 'B-1', movedToStoreId: 'oslo', at: iso(NOW - 4 * DAY) },
  });
  // Its terminal stream keeps the store it was first assigned to, which the nightly close does not read.
  log.run(storeStream('oslo'), storeDecider, {
    type: 'RegisterTerminal',
    data: { storeId: 'oslo', terminalId: 'B-1', at: iso(NOW - 4 * DAY + 1_000) },
  });
  // O-5 INACTIVE at Dintero for a day, then ACTIVE again.
  status('oslo', 'O-5', 'INACTIVE', NOW - 3 * DAY);
  status('oslo', 'O-5', 'ACTIVE', NOW - 2 * DAY - 3_600_000);
  // Two days back: O-1 closed; O-2 failed twice and given up; O-3 used and deactivated before its close time; O-4 closed
  // by hand, then used; B-1 left no trace.
  closed('oslo', 'O-1', 2, oslo(2));
  closed('oslo', 'O-2', 2, oslo(2), 'failed');
  closed('oslo', 'O-2', 2, oslo(2) + SETTINGS.retryMs, 'failed', 2);
  log.run(operationStream(closeDayKey('oslo', 'O-2', day(2))), operationDecider, {
    type: 'GiveUpClose',
    data: {
      operationId: closeOperationId('oslo', 'O-2', day(2), 2),
      storeId: 'oslo',
      terminalId: 'O-2',
      businessDay: day(2),
      attempts: 2,
      reason: 'the terminal reported a failure',
      at: iso(oslo(2) + 2 * SETTINGS.retryMs),
    },
  });
  paid('oslo', 'O-3', 'pay-3a', oslo(2) - 6 * 3_600_000);
  log.run(storeStream('oslo'), storeDecider, {
    type: 'DeactivateTerminal',
    data: { storeId: 'oslo', terminalId: 'O-3', at: iso(oslo(2) - 3_600_000) },
  });
  const byHand = requested('oslo', 'O-4', day(2), 1, oslo(2) - 2 * 3_600_000, 'pos');
  ended(byHand, 'completed', oslo(2) - 2 * 3_600_000 + 60_000);
  paid('oslo', 'O-4', 'pay-4a', oslo(2) - 3_600_000);
  // A day back: O-1 failed, its second attempt not yet made; O-2's close still at Dintero; O-3 back in use.
  closed('oslo', 'O-1', 1, oslo(1), 'failed');
  requested('oslo', 'O-2', day(1), 1, oslo(1) + 60_000);
  terminal('oslo', 'O-3', oslo(1) - 3_600_000);
  closed('oslo', 'O-3', 1, oslo(1));
  // B-2 took a payment in Bergen's day, and was taken out of use before its close time.
  paid('bergen', 'B-2', 'pay-b2', closeTime(day(1), '22:00', 'Europe/Oslo') - 8 * 3_600_000);
  log.run(storeStream('bergen'), storeDecider, {
    type: 'DeactivateTerminal',
    data: { storeId: 'bergen', terminalId: 'B-2', at: iso(closeTime(day(1), '22:00', 'Europe/Oslo') - 3_600_000) },
  });
  closed('oslo', 'B-1', 1, oslo(1), 'failed');
  closed('oslo', 'B-1', 1, oslo(1) + SETTINGS.retryMs, 'failed', 2);
  // Tromsø, with no terminals, moved from 23:30 to noon half an hour after it: today's close due as the move was made.
  store('tromso', '23:30');
  log.run(storeStream('tromso'), storeDecider, {
    type: 'RegisterStore',
    data: {
      storeId: 'tromso',
      name: 'tromso',
      payoutDestinationId: 'seller-1',
      timeZone: 'Europe/Oslo',
      endOfDayTime: '12:00',
      at: iso(NOW - 1_800_000),
    },
  });
  // Today: payments and a refund, one refused before it reached the terminal, one not yet released.
  paid('oslo', 'O-1', 'pay-1a', NOW - 4 * 3_600_000);
  claim('oslo', 'O-1', 'refund-1', NOW - 3 * 3_600_000, 'refund');
  release('O-1', 'refund-1', NOW - 3 * 3_600_000 + 30_000, 'rejected');
  paid('oslo', 'O-4', 'pay-4b', NOW - 2 * 3_600_000);
  claim('oslo', 'O-5', 'pay-5a', NOW - 3_600_000);
  return log;
}

/** The events after the snapshot: the open claim released as refused, a terminal out of use, closes made. */
function tail(log: ReturnType<typeof deciderLog>) {
  const from = log.events.length;
  log.run(terminalStream('O-5'), terminalDecider, {
    type: 'ReleaseTerminal',
    data: { terminalId: 'O-5', claimId: 'pay-5a', reason: 'rejected', at: iso(NOW - 3_500_000) },
  });
  log.run(storeStream('oslo'), storeDecider, {
    type: 'DeactivateTerminal',
    data: { storeId: 'oslo', terminalId: 'O-4', at: iso(NOW - 1_800_000) },
  });
  const second = closeOperationId('oslo', 'O-1', day(1), 2);
  log.run(operationStream(second), operationDecider, {
    type: 'RequestOperation',
    data: endOfDayRequest({
      operationId: second,
      storeId: 'oslo',
      terminalId: 'O-1',
      businessDay: day(1),
      requestedBy: CORRELATION_ID,
      requestedAt: NOW - 600_000,
    }),
  });
  return log.events.slice(from);
}

/**
 * Everything the nightly close asks of its index in a round at `now` (`NightlyClose.tick`, its writer, `missedReason`),
 * under `settings` (`NIGHTLY_CLOSE_MAX_ATTEMPTS`, `NIGHTLY_CLOSE_RETRY_SECONDS`).
 */
function answers(index: NightlyCloseIndex, now: number, settings = SETTINGS) {
  const days: CloseDaySettings = { ...DAYS, maxAttempts: settings.maxAttempts };
  const lookBackFrom = iso(now - LOOK_BACK_DAYS * DAY).slice(0, 10);
  const due = dueCloses(index, days, now);
  const missed = missedCloses(index, days, now, lookBackFrom);
  return {
    due,
    closes: due.map(({ key }) => {
      const close = index.closes.get(key);
      return {
        close,
        state: stateOf(close, settings.maxAttempts),
        reason: close && giveUpReason(close, settings.maxAttempts),
        next: nextAttempt(close, now, settings),
      };
    }),
    allCloses: [...index.closes].sort(),
    closeOf: [...index.closeOf].sort(),
    outOfUse: outOfUseAtCloseTime(index, days, now),
    superseded: supersededCloses(index, days, due, now),
    missed,
    inService: missed.map(({ closeAt, nextCloseAt }) => index.inService.forDay(closeAt, nextCloseAt)),
    lastAtWork: index.inService.lastAtWork,
    // The days a change of a store's schedule made due as it was made: what a give-up is found late by.
    scheduleMoved: [...index.scheduleMoved].sort(),
  };
}

/** Through JSON, as the object store keeps it. */
const stored = (index: NightlyCloseIndex) => JSON.parse(JSON.stringify(snapshotOf(index))) as NightlyCloseSnapshot;

function restored(snapshot: NightlyCloseSnapshot): NightlyCloseIndex {
  const index = new NightlyCloseIndex();
  restoreInto(index, snapshot);
  return index;
}

function prune(index: NightlyCloseIndex, now: number) {
  index.prune(iso(now - KEEP_DAYS_MS).slice(0, 10), iso(now - LOOK_BACK_DAYS * DAY).slice(0, 10));
}

/** The instants a restarted instance may ask at: now, through the next close time, to after the day's after it. */
const INSTANTS = [NOW, oslo(0) + 120_000, oslo(0) + SETTINGS.retryMs + 1, oslo(-1) + 120_000, NOW + 5 * DAY];

describe('the nightly close’s checkpoint of its index', () => {
  it('restores an index that answers every question of the nightly close as the one it was taken of', () => {
    const log = fortnight();
    const folded = new NightlyCloseIndex();
    for (const event of log.events) folded.onEvent(event);
    const copy = restored(stored(folded));
    // The scenario asks what it should: closes due in every state, superseded, missed, out of use at its close time.
    const first = answers(folded, NOW);
    expect(first.due.length).toBeGreaterThan(0);
    expect(first.closes.map(({ state }) => state)).toEqual(
      expect.arrayContaining(['completed', 'running', 'waiting', 'failed']),
    );
    expect(first.outOfUse.length).toBeGreaterThan(0);
    expect(answers(folded, oslo(0) + 120_000).superseded.length).toBeGreaterThan(0);
    expect(answers(folded, NOW + 5 * DAY).missed.length).toBeGreaterThan(0);
    expect(first.scheduleMoved).toEqual([['tromso', { at: NOW - 1_800_000, from: day(0), through: day(0) }]]);
    for (const now of INSTANTS) expect(answers(copy, now)).toEqual(answers(folded, now));
    // And the snapshot of the copy is the snapshot it was made of.
    expect(stored(copy)).toEqual(stored(folded));

    // The log's tail folded into each: the refused claim taken back on its period, a terminal out of use, a close made.
    const after = tail(log);
    for (const event of after) {
      folded.onEvent(event);
      copy.onEvent(event);
    }
    for (const now of INSTANTS) expect(answers(copy, now)).toEqual(answers(folded, now));
    expect(answers(copy, oslo(0) + 120_000).outOfUse.map(({ terminalId }) => terminalId)).toEqual(['O-4']);
    // The same as an index that folded the whole log from its start.
    const fromStart = new NightlyCloseIndex();
    for (const event of log.events) fromStart.onEvent(event);
    for (const now of INSTANTS) expect(answers(copy, now)).toEqual(answers(fromStart, now));
    // Down to what no question asks yet: the refused claim's note taken back from its period, say.
    expect(stored(copy)).toEqual(stored(fromStart));
  });

  it('keeps the closes as the log has them, not this instance’s notes of them, as a start from the log’s beginning', () => {
    const log = fortnight();
    const folded = new NightlyCloseIndex();
    for (const event of log.events) folded.onEvent(event);
    const plain = stored(folded);
    // What the writer notes: a busy terminal (a pause of its own), a start that failed, an attempt it recorded that the
    // log is not followed to yet.
    const waiting = `oslo.O-1.${day(1)}`;
    folded.closes.set(waiting, { businessDay: day(1), attempt: 2, status: 'busy', notBefore: NOW + 15_000 });
    const unstarted = `oslo.O-4.${day(1)}`;
    folded.closes.set(unstarted, {
      businessDay: day(1),
      attempt: 1,
      status: 'unstarted',
      notBefore: NOW + 600_000,
      reason: 'could not be started: the log is away',
      failedStarts: 1,
    });
    const ahead = closeOperationId('oslo', 'O-5', day(1), 1);
    folded.closeOf.set(ahead, { key: `oslo.O-5.${day(1)}`, attempt: 1 });
    folded.closes.set(`oslo.O-5.${day(1)}`, { businessDay: day(1), attempt: 1, status: 'requested', notBefore: 0 });
    expect(answers(folded, NOW)).not.toEqual(answers(restored(plain), NOW));

    expect(stored(folded)).toEqual(plain);
    const copy = restored(stored(folded));
    const fromStart = new NightlyCloseIndex();
    for (const event of log.events) fromStart.onEvent(event);
    for (const now of INSTANTS) expect(answers(copy, now)).toEqual(answers(fromStart, now));
    expect(copy.closes.get(waiting)).toMatchObject({ attempt: 1, status: 'failed' });
    expect(copy.closes.has(unstarted)).toBe(false);
  });

  it('leaves out what one run of an instance knows, as a start from the log’s beginning does', () => {
    const folded = new NightlyCloseIndex();
    for (const event of fortnight().events) folded.onEvent(event);
    folded.seenDue.add(`oslo.O-1.${day(1)}`);
    folded.notMissed.add(`oslo.B-1.${day(2)}`);
    missedCloses(folded, DAYS, NOW, day(LOOK_BACK_DAYS));
    const copy = restored(stored(folded));
    expect(copy.seenDue.size).toBe(0);
    expect(copy.notMissed.size).toBe(0);
    expect(copy.schedules.size).toBe(0);
  });

  it('keeps what was pruned pruned, and prunes a restored index as it prunes the one it was taken of', () => {
    const log = fortnight();
    const later = NOW + 6 * DAY;
    // Pruned, then snapshot: nothing forgotten comes back.
    const pruned = new NightlyCloseIndex();
    for (const event of log.events) pruned.onEvent(event);
    const before = stored(pruned);
    prune(pruned, later);
    const after = stored(pruned);
    expect(after.index.closes.length).toBeLessThan(before.index.closes.length);
    expect(after.index.inService.atWork.length).toBeLessThan(before.index.inService.atWork.length);
    const copy = restored(after);
    expect(stored(copy)).toEqual(after);
    for (const now of [later, later + DAY]) expect(answers(copy, now)).toEqual(answers(pruned, now));

    // Snapshot, then pruned: the copy forgets what the original forgets, and holds no more than it.
    const unpruned = new NightlyCloseIndex();
    for (const event of log.events) unpruned.onEvent(event);
    const restoredUnpruned = restored(stored(unpruned));
    prune(unpruned, later);
    prune(restoredUnpruned, later);
    expect(stored(restoredUnpruned)).toEqual(stored(unpruned));
    expect(stored(restoredUnpruned)).toEqual(after);
    expect(restoredUnpruned.use.size).toBe(unpruned.use.size);
  });
});

describe('a checkpoint of the nightly close’s index saved by an instance set otherwise', () => {
  /** The fortnight folded by one instance and checkpointed, and folded from the log's start by another. */
  const folds = (log: ReturnType<typeof deciderLog>) => {
    const folded = new NightlyCloseIndex();
    for (const event of log.events) folded.onEvent(event);
    const fromStart = new NightlyCloseIndex();
    for (const event of log.events) fromStart.onEvent(event);
    return { copy: restored(stored(folded)), fromStart };
  };

  it('answers under another NIGHTLY_CLOSE_RETRY_SECONDS as a start from the log’s beginning, with that pause', () => {
    const { copy, fromStart } = folds(fortnight());
    const quicker = { ...SETTINGS, retryMs: 60_000 };
    // O-1's first close of a day back failed at its close time + 120 s: five minutes on, the second attempt is due
    // under a pause of 60 s, and not under 600.
    const between = oslo(1) + 120_000 + 300_000;
    for (const now of [...INSTANTS, between])
      expect(answers(copy, now, quicker)).toEqual(answers(fromStart, now, quicker));
    const o1 = (settings: typeof SETTINGS) =>
      answers(copy, between, settings).closes.find(({ close }) => close?.businessDay === day(1) && close.attempt === 1);
    expect(answers(copy, between, quicker).due.map(({ key }) => key)).toContain(`oslo.O-1.${day(1)}`);
    expect(copy.closes.get(`oslo.O-1.${day(1)}`)).toMatchObject({ status: 'failed', endedAt: oslo(1) + 120_000 });
    expect(o1(quicker)?.next).toBe(2);
    expect(o1(SETTINGS)?.next).toBeUndefined();
  });

  it('knows an attempt past its own NIGHTLY_CLOSE_MAX_ATTEMPTS, made by an instance set to more', () => {
    const log = fortnight();
    // A third attempt, by an instance started with three.
    const third = closeOperationId('oslo', 'B-1', day(1), 3);
    log.run(operationStream(third), operationDecider, {
      type: 'RequestOperation',
      data: endOfDayRequest({
        operationId: third,
        storeId: 'oslo',
        terminalId: 'B-1',
        businessDay: day(1),
        requestedBy: CORRELATION_ID,
        requestedAt: oslo(1) + 3 * SETTINGS.retryMs,
      }),
    });
    const { copy, fromStart } = folds(log);
    expect(copy.closes.get(`oslo.B-1.${day(1)}`)).toMatchObject({ attempt: 3, status: 'requested' });
    for (const settings of [SETTINGS, { ...SETTINGS, maxAttempts: 3 }])
      for (const now of INSTANTS) expect(answers(copy, now, settings)).toEqual(answers(fromStart, now, settings));
  });
});

import { handleCommand, type EventStore, type RecordedEvent } from '@app/event-store';
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
  type CloseGivenUpData,
  type OperationRequestedData,
  type ReleaseReason,
} from '@app/payment-domain';
import { closeOperationId, closeTime, dueClose } from '../../apps/ingest-service/src/fleet/close-schedule';
import { endOfDayRequest } from './end-of-day-request';

/**
 * A nightly close of `businessDay` (its first attempt), written straight into the log as an earlier version of the
 * engine made it: requested a minute after the store's close time, and a minute later completed, or failed at the
 * terminal (`outcome`). The nightly close at work that night.
 */
export async function closedThatNight(
  log: EventStore,
  close: { storeId: string; terminalId: string; businessDay: string; timeZone?: string; endOfDayTime?: string },
  outcome: 'completed' | 'failed' = 'completed',
): Promise<string> {
  const { storeId, terminalId, businessDay, timeZone = 'Europe/Oslo', endOfDayTime = '23:30' } = close;
  const operationId = closeOperationId(storeId, terminalId, businessDay, 1);
  const requestedAt = closeTime(businessDay, endOfDayTime, timeZone) + 60_000;
  const metadata = { correlationId: 'nightly-close', storeId, terminalId, operationId, businessDay };
  await handleCommand(
    log,
    operationStream(operationId),
    operationDecider,
    {
      type: 'RequestOperation',
      data: endOfDayRequest({
        operationId,
        storeId,
        terminalId,
        businessDay,
        requestedBy: 'nightly-close',
        requestedAt,
      }),
    },
    { metadata },
  );
  await handleCommand(
    log,
    operationStream(operationId),
    operationDecider,
    {
      type: 'RecordOperationOutcome',
      data: {
        outcome,
        dinteroOperationId: `old-${operationId}`,
        ...(outcome === 'failed' ? { reason: 'the terminal reported a failure' } : {}),
        at: new Date(requestedAt + 60_000).toISOString(),
      },
    },
    { metadata },
  );
  return operationId;
}

/**
 * The store's close time moved to `endOfDayTime` (its time zone `timeZone`, payout destination `seller-1`), as a
 * registration of it again does: now, so that the close due changes at once.
 */
export async function setCloseTime(
  log: EventStore,
  store: { storeId: string; timeZone: string },
  endOfDayTime: string,
): Promise<void> {
  const { storeId, timeZone } = store;
  await handleCommand(
    log,
    storeStream(storeId),
    storeDecider,
    {
      type: 'RegisterStore',
      data: {
        storeId,
        name: storeId,
        payoutDestinationId: 'seller-1',
        timeZone,
        endOfDayTime,
        at: new Date().toISOString(),
      },
    },
    { metadata: { correlationId: 'test' } },
  );
}

/** The nightly close switched on or off at `at`, as an ingest instance started so records it. */
export async function switchedNightlyClose(log: EventStore, enabled: boolean, at: number): Promise<void> {
  await handleCommand(
    log,
    NIGHTLY_CLOSE_SWITCH_STREAM,
    nightlyCloseSwitchDecider,
    { type: 'SwitchNightlyClose', data: { enabled, at: new Date(at).toISOString() } },
    { metadata: { correlationId: 'nightly-close' } },
  );
}

/**
 * A time zone and two close times at which, now and for the next ten minutes, the close due is one day and then the
 * next: moving a store from the first to the second makes its next day's close fall due at once, as midnight's
 * passing would. Looked for at run time, since which pair does so depends on the hour.
 */
export function twoDays(now: number): { timeZone: string; first: string; second: string; day: string } {
  const times = Array.from({ length: 24 * 12 }, (_, i) => {
    const minutes = i * 5;
    return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  });
  for (const timeZone of ['Europe/Oslo', 'America/New_York', 'Asia/Tokyo']) {
    const steady = new Map<string, string>();
    for (const time of times) {
      const day = dueClose(timeZone, time, now).businessDay;
      if (day === dueClose(timeZone, time, now + 600_000).businessDay) steady.set(time, day);
    }
    for (const [first, day] of steady)
      for (const [second, next] of steady) if (next === addDays(day, 1)) return { timeZone, first, second, day };
  }
  throw new Error('no two close times a day apart');
}

/** The closes given up among `events` (what `CloseGivenUp` says), in the log's order. */
export function givenUpIn(events: readonly RecordedEvent[]): CloseGivenUpData[] {
  return events.filter((event) => event.type === 'CloseGivenUp').map((event) => event.data as CloseGivenUpData);
}

/** How many closes of `businessDay` `events` hold completed (each an `OperationCompleted` of that day). */
export function closedCount(events: readonly RecordedEvent[], businessDay: string): number {
  return events.filter(
    (event) =>
      event.type === 'OperationCompleted' && (event.metadata as { businessDay?: string }).businessDay === businessDay,
  ).length;
}

/**
 * What `log` says of one terminal day of `storeId`: its give-ups, the attempts of its close requested, and the event
 * types of any stream.
 */
export async function terminalDayLog(
  log: EventStore,
  storeId: string,
  { terminalId, businessDay }: { readonly terminalId: string; readonly businessDay: string },
) {
  const events: RecordedEvent[] = await log.readAll({ limit: 10_000 });
  const ofDay = (data: { storeId: string; terminalId: string; businessDay?: string }) =>
    data.storeId === storeId && data.terminalId === terminalId && data.businessDay === businessDay;
  return {
    givenUp: givenUpIn(events).filter(ofDay),
    requested: events
      .filter((event) => event.type === 'OperationRequested')
      .map((event) => event.data as OperationRequestedData)
      .filter(ofDay),
    types: (streamName: string) => events.filter((e) => e.streamName === streamName).map((e) => e.type),
  };
}

/**
 * A close of the terminal's batch by hand (an operator's `end_of_day`, not the nightly close's), written straight into
 * the log as the command service records one: requested at `at`, dated `businessDay`, and completed a minute later.
 */
export async function closedByHand(
  log: EventStore,
  close: { storeId: string; terminalId: string; businessDay: string; at: number },
): Promise<string> {
  const { storeId, terminalId, businessDay, at } = close;
  const operationId = `by-hand-${storeId}-${terminalId}-${at}`;
  const metadata = { correlationId: 'operator', storeId, terminalId, operationId, businessDay };
  const request = endOfDayRequest({
    operationId,
    storeId,
    terminalId,
    businessDay,
    requestedBy: 'operator',
    requestedAt: at,
  });
  const stream = operationStream(operationId);
  await handleCommand(log, stream, operationDecider, { type: 'RequestOperation', data: request }, { metadata });
  await handleCommand(
    log,
    stream,
    operationDecider,
    {
      type: 'RecordOperationOutcome',
      data: { outcome: 'completed', dinteroOperationId: `d-${operationId}`, at: new Date(at + 60_000).toISOString() },
    },
    { metadata },
  );
  return operationId;
}

/**
 * A payment on the terminal at `at`: its claim (`claimId`), and the claim's release a minute later, `finished` (its
 * outcome recorded, whatever it was) unless `released` says otherwise (`rejected`: refused before it reached the
 * terminal; `none`: not released, its outcome unknown).
 */
export async function paidOn(
  log: EventStore,
  payment: { storeId: string; terminalId: string; claimId: string; at: number },
  released: ReleaseReason | 'none' = 'finished',
): Promise<void> {
  const { storeId, terminalId, claimId, at } = payment;
  const metadata = { metadata: { correlationId: 'test' } };
  const iso = (instant: number) => new Date(instant).toISOString();
  const claim = { claimId, kind: 'payment' as const, paymentId: claimId, storeId, terminalId };
  await handleCommand(
    log,
    terminalStream(terminalId),
    terminalDecider,
    { type: 'ClaimTerminal', data: { ...claim, claimedAt: iso(at), expiresAt: iso(at + 300_000) } },
    metadata,
  );
  if (released === 'none') return;
  await handleCommand(
    log,
    terminalStream(terminalId),
    terminalDecider,
    { type: 'ReleaseTerminal', data: { terminalId, claimId, reason: released, at: iso(at + 60_000) } },
    metadata,
  );
}

/**
 * The business days of a store closing at `endOfDayTime` in `timeZone`, counted back from the one whose close is due
 * now (`due`, `day(0)`), and the close time of each (`closeAt(back)`).
 */
export function closeDays(timeZone = 'Europe/Oslo', endOfDayTime = '23:30', now = Date.now()) {
  const due = dueClose(timeZone, endOfDayTime, now).businessDay;
  const day = (back: number) => addDays(due, -back);
  return { due, day, closeAt: (back: number) => closeTime(day(back), endOfDayTime, timeZone) };
}

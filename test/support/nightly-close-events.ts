import type { RecordedEvent } from '@app/event-store';
import { endOfDayRequest, type EndOfDayAsked } from './end-of-day-request';
import type { logOfEvents } from './recorded-events';

const iso = (instant: number) => new Date(instant).toISOString();

/** An end-of-day operation's request and completion, as its stream has them. */
export interface EndOfDay extends EndOfDayAsked {
  /** When it completed: a minute after it was asked for, unless given. */
  readonly completedAt?: number;
}

/**
 * The events of the streams the nightly close's index follows (`store-`, `terminal-`, `operation-`,
 * `nightly-close-`), for pure tests of the index: each built by `event` (a `logOfEvents()`), at the log's next position.
 */
export function nightlyCloseEvents(event: ReturnType<typeof logOfEvents>) {
  return {
    storeRegistered: (storeId: string, timeZone: string, endOfDayTime: string, at: number): RecordedEvent =>
      event(`store-${storeId}`, 'StoreRegistered', {
        storeId,
        name: storeId,
        payoutDestinationId: 'seller-1',
        timeZone,
        endOfDayTime,
        at: iso(at),
      }),
    terminalRegistered: (storeId: string, terminalId: string, at: number): RecordedEvent =>
      event(`store-${storeId}`, 'TerminalRegistered', { storeId, terminalId, at: iso(at) }),
    /** A terminal taken out of use (`TerminalDeactivated`) or back into it (`TerminalReactivated`). */
    terminalUse: (
      type: 'TerminalDeactivated' | 'TerminalReactivated',
      storeId: string,
      terminalId: string,
      at: number,
    ): RecordedEvent => event(`store-${storeId}`, type, { storeId, terminalId, at: iso(at) }),
    /** A payment's claim of the terminal at `at`, held five minutes. */
    claimed: (storeId: string, terminalId: string, claimId: string, at: number): RecordedEvent =>
      event(`terminal-${terminalId}`, 'TerminalClaimed', {
        terminalId,
        storeId,
        claimId,
        kind: 'payment',
        paymentId: claimId,
        claimedAt: iso(at),
        expiresAt: iso(at + 300_000),
      }),
    released: (terminalId: string, claimId: string, at: number): RecordedEvent =>
      event(`terminal-${terminalId}`, 'TerminalReleased', { terminalId, claimId, reason: 'finished', at: iso(at) }),
    switched: (enabled: boolean, at: number): RecordedEvent =>
      event('nightly-close-switch', 'NightlyCloseSwitched', { enabled, at: iso(at) }),
    /** An end of day asked for and completed. */
    endOfDay: ({ operationId, storeId, terminalId, businessDay, requestedBy, requestedAt, completedAt }: EndOfDay) => [
      event(`operation-${operationId}`, 'OperationRequested', {
        ...endOfDayRequest({ operationId, storeId, terminalId, businessDay, requestedBy, requestedAt }),
      }),
      event(`operation-${operationId}`, 'OperationCompleted', {
        operationId,
        dinteroOperationId: `d-${operationId}`,
        at: iso(completedAt ?? requestedAt + 60_000),
      }),
    ],
  };
}

import { DomainError } from '../shared/domain-error';
import { ownEntry } from '../shared/own-entry';
import { requireCurrency } from '../shared/validation';
import type { DinteroTerminalStatus, TerminalEnrollment } from './terminal-enrollment';

/*
 * The store as its stream has it, and what a payment, refund or operation asks of it: the store and a terminal
 * registered to it, the device behind a terminal's name, whether the terminal may be used, and the currencies taken.
 */

export interface StoreDetails {
  readonly storeId: string;
  readonly name: string;
  readonly payoutDestinationId: string;
  readonly timeZone: string;
  /**
   * The currencies its terminals accept (ISO 4217, sorted). Absent on stores registered before stores had
   * currencies: those accept any until registered again.
   */
  readonly currencies?: readonly string[];
  /** Dintero's own id of the store (e.g. `P11223351-0026`), once the store exists at Dintero. */
  readonly dinteroStoreId?: string;
  /**
   * The local time (`HH:MM`, in `timeZone`) its terminals close their day (end-of-day), every day; a time
   * before noon closes the day before. Absent on stores registered before it was kept: 23:30.
   */
  readonly endOfDayTime?: string;
}

/** When a store's terminals close their day when it does not say. */
export const DEFAULT_END_OF_DAY_TIME = '23:30';

/** A registered terminal: deactivated or not here, and the device behind it at Dintero when it is known. */
export interface RegisteredTerminal {
  readonly active: boolean;
  /** Absent for a terminal registered before enrollment was recorded: Dintero knows it by its own name. */
  readonly dintero?: TerminalEnrollment;
  /** When the status in `dintero` was asked of Dintero (its enrollment, or the last status change recorded). */
  readonly statusSeenAt?: string;
}

export type StoreState =
  | { readonly status: 'unregistered' }
  | {
      readonly status: 'registered';
      readonly details: StoreDetails;
      readonly terminals: Readonly<Record<string, RegisteredTerminal>>;
      /**
       * Devices swapped out of a name (Dintero's id → the name they left), until registered again: still at
       * Dintero, but replaced (broken, returned), so an import does not bring them back.
       */
      readonly swappedOut?: Readonly<Record<string, string>>;
    };

export function requireStore(state: StoreState, storeId: string): Extract<StoreState, { status: 'registered' }> {
  if (state.status !== 'registered')
    throw new DomainError('UNKNOWN_STORE', `Store ${storeId} is not registered`, { storeId });
  return state;
}

export function requireTerminal(state: StoreState, storeId: string, terminalId: string): RegisteredTerminal {
  const terminal = ownEntry(requireStore(state, storeId).terminals, terminalId);
  if (!terminal)
    throw new DomainError('UNKNOWN_TERMINAL', `Terminal ${terminalId} is not registered to store ${storeId}`, {
      storeId,
      terminalId,
    });
  return terminal;
}

/**
 * The name a Dintero terminal is registered under in the store, if any (a terminal registered before devices
 * were recorded goes by its name): two names for one device would let two payments prompt on it at once.
 */
export function nameOfDevice(state: StoreState, dinteroTerminalId: string): string | undefined {
  if (state.status !== 'registered') return undefined;
  return Object.entries(state.terminals).find(
    ([name, { dintero }]) => (dintero?.dinteroTerminalId ?? name) === dinteroTerminalId,
  )?.[0];
}

export function deviceTaken(storeId: string, terminalId: string, dinteroTerminalId: string): DomainError {
  return new DomainError(
    'DINTERO_TERMINAL_TAKEN',
    `Dintero's terminal ${dinteroTerminalId} is registered here as ${terminalId} already`,
    { storeId, terminalId, dinteroTerminalId },
  );
}

/** What a payment or refund on a usable terminal needs: the store, and the terminal's id at Dintero. */
export interface UsableTerminal {
  readonly store: StoreDetails;
  readonly dinteroTerminalId: string;
}

/** A terminal registered to this store and not deactivated; refused otherwise. */
function activeTerminal(state: StoreState, storeId: string, terminalId: string, deactivatedToo = false) {
  const terminal = requireTerminal(state, storeId, terminalId);
  if (!terminal.active && !deactivatedToo)
    throw new DomainError('TERMINAL_INACTIVE', `Terminal ${terminalId} is deactivated`, { storeId, terminalId });
  return terminal;
}

/**
 * The device (Dintero's terminal id) behind a terminal's name now, for a payment, refund or operation that holds
 * the terminal: the device may have been changed, or the terminal deactivated, between the request's checks and
 * its claim, and what the request sends goes to the device the store has once nothing else can change it.
 */
export function currentDevice(
  state: StoreState,
  storeId: string,
  terminalId: string,
  /** A use that a deactivated terminal takes too (its last day closed by hand). */
  deactivatedToo = false,
): string {
  return activeTerminal(state, storeId, terminalId, deactivatedToo).dintero?.dinteroTerminalId ?? terminalId;
}

/**
 * A terminal a payment or refund may use: registered to this store, not deactivated, and `ACTIVE` at Dintero
 * as far as the log knows (a terminal registered before enrollment was recorded is taken as active).
 */
export function usableTerminal(
  state: StoreState,
  storeId: string,
  terminalId: string,
  /** Statuses at Dintero besides `ACTIVE` the use is fine with (a check-update for `ACTION_REQUIRED`). */
  alsoAt: readonly DinteroTerminalStatus[] = [],
  /**
   * A use that a terminal deactivated here takes too: the close by hand of its last day, whose batch no nightly
   * close closes (a deactivated terminal has none), still `ACTIVE` at Dintero.
   */
  deactivatedToo = false,
): UsableTerminal {
  const terminal = activeTerminal(state, storeId, terminalId, deactivatedToo);
  const { dintero } = terminal;
  if (dintero && dintero.status !== 'ACTIVE' && !alsoAt.includes(dintero.status)) {
    const reason = dintero.statusReason ? ` (${dintero.statusReason})` : '';
    throw new DomainError(
      'TERMINAL_NOT_ACTIVE_AT_DINTERO',
      `Terminal ${terminalId} is ${dintero.status}${reason} at Dintero, not ACTIVE`,
      {
        storeId,
        terminalId,
        dinteroTerminalId: dintero.dinteroTerminalId,
        dinteroStatus: dintero.status,
        ...(dintero.statusReason ? { dinteroStatusReason: dintero.statusReason } : {}),
      },
    );
  }
  return {
    store: (state as Extract<StoreState, { status: 'registered' }>).details,
    dinteroTerminalId: dintero?.dinteroTerminalId ?? terminalId,
  };
}

/**
 * A payment's currency is one the store's terminals accept: refused before anything is written or Dintero
 * is asked. A store registered before stores had currencies accepts any.
 */
export function assertAcceptedCurrency(store: StoreDetails, currency: string): void {
  requireCurrency(currency);
  if (store.currencies === undefined || store.currencies.includes(currency)) return;
  throw new DomainError(
    'CURRENCY_NOT_ACCEPTED',
    `Store ${store.storeId} takes ${store.currencies.join(', ')}, not ${currency}`,
    { storeId: store.storeId, currency, accepted: store.currencies },
  );
}

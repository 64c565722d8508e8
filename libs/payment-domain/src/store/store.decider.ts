import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import { requireCurrency, requireInstant, requireText, requireTimeZone, requireToken } from '../shared/validation';
import { storeCurrencies } from './store-currencies';

/** Stream `store-{storeId}`: the store, its payout destination, its time zone and its terminals. */
export const storeStream = (storeId: string): string => `store-${storeId}`;

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
}

/** What a registration gives: the details, and the currencies or the country they are told from. */
export type StoreRegistration = Omit<StoreDetails, 'currencies'> & {
  readonly currencies?: readonly unknown[];
  readonly country?: unknown;
};

export type StoreEvent =
  | { readonly type: 'StoreRegistered'; readonly data: StoreDetails & { readonly at: string } }
  | { readonly type: 'StoreDetailsChanged'; readonly data: StoreDetails & { readonly at: string } }
  | {
      readonly type: 'TerminalRegistered';
      readonly data: { readonly storeId: string; readonly terminalId: string; readonly at: string };
    }
  | {
      readonly type: 'TerminalDeactivated';
      readonly data: { readonly storeId: string; readonly terminalId: string; readonly at: string };
    }
  | {
      readonly type: 'TerminalReactivated';
      readonly data: { readonly storeId: string; readonly terminalId: string; readonly at: string };
    }
  | {
      readonly type: 'TerminalRemoved';
      readonly data: {
        readonly storeId: string;
        readonly terminalId: string;
        readonly movedToStoreId: string;
        readonly at: string;
      };
    };

export type StoreCommand =
  | { readonly type: 'RegisterStore'; readonly data: StoreRegistration & { readonly at: string } }
  | {
      readonly type: 'RegisterTerminal';
      readonly data: { readonly storeId: string; readonly terminalId: string; readonly at: string };
    }
  | {
      readonly type: 'DeactivateTerminal';
      readonly data: { readonly storeId: string; readonly terminalId: string; readonly at: string };
    }
  | {
      readonly type: 'RemoveTerminal';
      readonly data: {
        readonly storeId: string;
        readonly terminalId: string;
        readonly movedToStoreId: string;
        readonly at: string;
      };
    };

export type StoreState =
  | { readonly status: 'unregistered' }
  | {
      readonly status: 'registered';
      readonly details: StoreDetails;
      readonly terminals: Readonly<Record<string, { readonly active: boolean }>>;
    };

const initialState: StoreState = { status: 'unregistered' };

function registerStore({ data }: Extract<StoreCommand, { type: 'RegisterStore' }>, state: StoreState): StoreEvent[] {
  const timeZone = requireTimeZone(data.timeZone);
  const currencies = currenciesOf(data, timeZone, state);
  const details: StoreDetails = {
    storeId: requireToken(data.storeId, 'storeId'),
    name: requireText(data.name, 'name'),
    payoutDestinationId: requireText(data.payoutDestinationId, 'payoutDestinationId', 100),
    timeZone,
    ...(currencies === undefined ? {} : { currencies }),
  };
  const at = requireInstant(data.at, 'at');
  if (state.status === 'unregistered') return [{ type: 'StoreRegistered', data: { ...details, at } }];
  const current = state.details;
  const unchanged =
    current.name === details.name &&
    current.payoutDestinationId === details.payoutDestinationId &&
    current.timeZone === details.timeZone &&
    current.currencies?.join() === details.currencies?.join();
  return unchanged ? [] : [{ type: 'StoreDetailsChanged', data: { ...details, at } }];
}

/**
 * A registration's currencies: those given, or the country's given. Without either, a registered store keeps
 * its own; a new one (or one registered before currencies) takes its time zone's country's, and a new one
 * whose zone names no country is refused, while an old one keeps taking any rather than be refused.
 */
function currenciesOf(data: StoreRegistration, timeZone: string, state: StoreState): readonly string[] | undefined {
  const given = data.currencies !== undefined || data.country !== undefined;
  if (given || state.status === 'unregistered')
    return storeCurrencies({ timeZone, currencies: data.currencies, country: data.country });
  if (state.details.currencies !== undefined) return state.details.currencies;
  try {
    return storeCurrencies({ timeZone });
  } catch {
    return undefined;
  }
}

function registerTerminal(
  { data }: Extract<StoreCommand, { type: 'RegisterTerminal' }>,
  state: StoreState,
): StoreEvent[] {
  const registered = requireStore(state, data.storeId);
  const terminalId = requireToken(data.terminalId, 'terminalId');
  const at = requireInstant(data.at, 'at');
  const terminal = registered.terminals[terminalId];
  if (!terminal) return [{ type: 'TerminalRegistered', data: { storeId: data.storeId, terminalId, at } }];
  return terminal.active ? [] : [{ type: 'TerminalReactivated', data: { storeId: data.storeId, terminalId, at } }];
}

function deactivateTerminal(
  { data }: Extract<StoreCommand, { type: 'DeactivateTerminal' }>,
  state: StoreState,
): StoreEvent[] {
  const terminal = requireTerminal(state, data.storeId, data.terminalId);
  const at = requireInstant(data.at, 'at');
  return terminal.active
    ? [{ type: 'TerminalDeactivated', data: { storeId: data.storeId, terminalId: data.terminalId, at } }]
    : [];
}

function removeTerminal({ data }: Extract<StoreCommand, { type: 'RemoveTerminal' }>, state: StoreState): StoreEvent[] {
  requireTerminal(state, data.storeId, data.terminalId);
  const movedToStoreId = requireToken(data.movedToStoreId, 'movedToStoreId');
  const at = requireInstant(data.at, 'at');
  return [
    { type: 'TerminalRemoved', data: { storeId: data.storeId, terminalId: data.terminalId, movedToStoreId, at } },
  ];
}

function requireStore(state: StoreState, storeId: string): Extract<StoreState, { status: 'registered' }> {
  if (state.status !== 'registered')
    throw new DomainError('UNKNOWN_STORE', `Store ${storeId} is not registered`, { storeId });
  return state;
}

function requireTerminal(state: StoreState, storeId: string, terminalId: string): { readonly active: boolean } {
  const terminal = requireStore(state, storeId).terminals[terminalId];
  if (!terminal)
    throw new DomainError('UNKNOWN_TERMINAL', `Terminal ${terminalId} is not registered to store ${storeId}`, {
      storeId,
      terminalId,
    });
  return terminal;
}

/** A terminal a payment may use: registered to this store and active. */
export function assertUsableTerminal(state: StoreState, storeId: string, terminalId: string): StoreDetails {
  const terminal = requireTerminal(state, storeId, terminalId);
  if (!terminal.active)
    throw new DomainError('TERMINAL_INACTIVE', `Terminal ${terminalId} is deactivated`, { storeId, terminalId });
  return (state as Extract<StoreState, { status: 'registered' }>).details;
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

function evolve(state: StoreState, event: StoreEvent): StoreState {
  switch (event.type) {
    case 'StoreRegistered':
    case 'StoreDetailsChanged': {
      const { at: _at, ...details } = event.data;
      return { status: 'registered', details, terminals: state.status === 'registered' ? state.terminals : {} };
    }
    case 'TerminalRegistered':
    case 'TerminalReactivated':
    case 'TerminalDeactivated': {
      if (state.status !== 'registered') return state;
      const active = event.type !== 'TerminalDeactivated';
      return { ...state, terminals: { ...state.terminals, [event.data.terminalId]: { active } } };
    }
    case 'TerminalRemoved': {
      if (state.status !== 'registered') return state;
      const { [event.data.terminalId]: _removed, ...terminals } = state.terminals;
      return { ...state, terminals };
    }
  }
}

function decide(command: StoreCommand, state: StoreState): StoreEvent[] {
  switch (command.type) {
    case 'RegisterStore':
      return registerStore(command, state);
    case 'RegisterTerminal':
      return registerTerminal(command, state);
    case 'DeactivateTerminal':
      return deactivateTerminal(command, state);
    case 'RemoveTerminal':
      return removeTerminal(command, state);
    default: {
      const unknown: never = command;
      throw new DomainError('VALIDATION_FAILED', `Unknown store command ${JSON.stringify(unknown)}`);
    }
  }
}

export const storeDecider: Decider<StoreCommand, StoreEvent, StoreState> = { initialState, decide, evolve };

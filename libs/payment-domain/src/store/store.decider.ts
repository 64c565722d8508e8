import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import { ownEntry } from '../shared/own-entry';
import { requireInstant, requireText, requireTimeZone, requireToken } from '../shared/validation';
import { storeCurrencies } from './store-currencies';
import {
  DEFAULT_END_OF_DAY_TIME,
  deviceTaken,
  nameOfDevice,
  requireStore,
  requireTerminal,
  type StoreDetails,
  type StoreState,
} from './store.state';
import {
  requireDinteroStatus,
  requireEnrollment,
  sameDevice,
  sameStatus,
  type DinteroTerminalStatus,
  type TerminalEnrollment,
} from './terminal-enrollment';

/** Stream `store-{storeId}`: the store, its payout destination, its time zone and its terminals. */
export const storeStream = (storeId: string): string => `store-${storeId}`;

type TerminalRef = { readonly storeId: string; readonly terminalId: string };

/** A terminal's status at Dintero now, and the one it had. */
export type TerminalStatusChange = TerminalRef & {
  /** Dintero's id of the terminal (its `terminal_id`). */
  readonly dinteroTerminalId: string;
  /** Its status at Dintero now; only `ACTIVE` takes payments. */
  readonly status: DinteroTerminalStatus;
  /** Why, as Dintero gives it: with `ACTION_REQUIRED`, `CHECK_UPDATE`; with `ERROR`, what is wrong. */
  readonly statusReason?: string;
  /** Its status at Dintero before. */
  readonly previousStatus: DinteroTerminalStatus;
  readonly at: string;
};

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
  /** The terminal's device is registered at Dintero (or another device took its place there). */
  | { readonly type: 'TerminalEnrolled'; readonly data: TerminalRef & TerminalEnrollment & { readonly at: string } }
  | { readonly type: 'TerminalStatusChanged'; readonly data: TerminalStatusChange }
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
      readonly data: TerminalRef & {
        readonly enrollment?: TerminalEnrollment;
        readonly at: string;
        /**
         * The device the request found the name with (its Dintero id; `null`: the name was not registered), when it
         * decided on what it saw: a device changed since is refused (`TERMINAL_DEVICE_CHANGED`), never put back.
         */
        readonly replacing?: string | null;
      };
    }
  /** What Dintero says of the terminal's status now; nothing is recorded when it is what the log has. */
  | {
      readonly type: 'RecordTerminalStatus';
      readonly data: TerminalRef & {
        readonly dinteroTerminalId: string;
        readonly status: DinteroTerminalStatus;
        readonly statusReason?: string;
        readonly at: string;
      };
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
    ...dinteroStoreIdOf(data, state),
    endOfDayTime: endOfDayTimeOf(data, state),
  };
  const at = requireInstant(data.at, 'at');
  if (state.status === 'unregistered') return [{ type: 'StoreRegistered', data: { ...details, at } }];
  const current = state.details;
  const unchanged =
    current.name === details.name &&
    current.payoutDestinationId === details.payoutDestinationId &&
    current.timeZone === details.timeZone &&
    current.currencies?.join() === details.currencies?.join() &&
    current.dinteroStoreId === details.dinteroStoreId &&
    (current.endOfDayTime ?? DEFAULT_END_OF_DAY_TIME) === details.endOfDayTime;
  return unchanged ? [] : [{ type: 'StoreDetailsChanged', data: { ...details, at } }];
}

/** The store's close time: the one given, or the one it had, or the default. */
function endOfDayTimeOf(data: StoreRegistration, state: StoreState): string {
  const time =
    data.endOfDayTime ??
    (state.status === 'registered' ? state.details.endOfDayTime : undefined) ??
    DEFAULT_END_OF_DAY_TIME;
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(time))
    throw new DomainError('VALIDATION_FAILED', `endOfDayTime ${JSON.stringify(time)} is not a time of day HH:MM`, {
      field: 'endOfDayTime',
    });
  return time;
}

/** Dintero's id of the store: the one given, or the one it had. */
function dinteroStoreIdOf(data: StoreRegistration, state: StoreState): { dinteroStoreId?: string } {
  const id = data.dinteroStoreId ?? (state.status === 'registered' ? state.details.dinteroStoreId : undefined);
  return id === undefined ? {} : { dinteroStoreId: requireText(id, 'dinteroStoreId', 100) };
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
  const ref = { storeId: data.storeId, terminalId };
  const terminal = ownEntry(registered.terminals, terminalId);
  if (data.replacing !== undefined) {
    const device = terminal ? (terminal.dintero?.dinteroTerminalId ?? terminalId) : null;
    if (device !== data.replacing)
      throw new DomainError(
        'TERMINAL_DEVICE_CHANGED',
        `Terminal ${terminalId}'s device changed while this request was under way (now ${device ?? 'none'}): send it again to change the terminal as it is now`,
        { ...ref, dinteroTerminalId: device },
      );
  }
  const events: StoreEvent[] = [];
  if (!terminal) events.push({ type: 'TerminalRegistered', data: { ...ref, at } });
  else if (!terminal.active) events.push({ type: 'TerminalReactivated', data: { ...ref, at } });
  const enrollment = data.enrollment && requireEnrollment(data.enrollment);
  const taken = enrollment && nameOfDevice(registered, enrollment.dinteroTerminalId);
  if (taken !== undefined && taken !== terminalId)
    throw deviceTaken(data.storeId, taken, enrollment!.dinteroTerminalId);
  const current = terminal?.dintero;
  if (enrollment && !sameDevice(current, enrollment))
    events.push({ type: 'TerminalEnrolled', data: { ...ref, ...enrollment, at } });
  else if (enrollment && current && !sameStatus(current, enrollment))
    events.push({ type: 'TerminalStatusChanged', data: statusChange(ref, current, enrollment, at) });
  return events;
}

function recordTerminalStatus(
  { data }: Extract<StoreCommand, { type: 'RecordTerminalStatus' }>,
  state: StoreState,
): StoreEvent[] {
  const { dintero: current, statusSeenAt } = requireTerminal(state, data.storeId, data.terminalId);
  const status = requireDinteroStatus(data.status);
  const at = requireInstant(data.at, 'at');
  // A status of a device the terminal no longer is (another took its place since it was read) is stale.
  if (current?.dinteroTerminalId !== data.dinteroTerminalId) return [];
  // So is one asked before the status recorded was: another instance's newer answer stands.
  if (statusSeenAt !== undefined && Date.parse(at) < Date.parse(statusSeenAt)) return [];
  const next = { status, ...(data.statusReason === undefined ? {} : { statusReason: data.statusReason }) };
  if (sameStatus(current, next)) return [];
  return [{ type: 'TerminalStatusChanged', data: statusChange(data, current, next, at) }];
}

function statusChange(
  ref: TerminalRef,
  current: TerminalEnrollment,
  next: Pick<TerminalEnrollment, 'status' | 'statusReason'>,
  at: string,
): TerminalStatusChange {
  return {
    storeId: ref.storeId,
    terminalId: ref.terminalId,
    dinteroTerminalId: current.dinteroTerminalId,
    status: next.status,
    ...(next.statusReason === undefined ? {} : { statusReason: next.statusReason }),
    previousStatus: current.status,
    at,
  };
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
      const { active: _active, ...held } = ownEntry(state.terminals, event.data.terminalId) ?? {};
      return { ...state, terminals: { ...state.terminals, [event.data.terminalId]: { active, ...held } } };
    }
    case 'TerminalEnrolled': {
      const terminal = state.status === 'registered' ? ownEntry(state.terminals, event.data.terminalId) : undefined;
      if (state.status !== 'registered' || !terminal) return state;
      const { storeId: _storeId, terminalId, at, ...dintero } = event.data;
      // The device enrolled is in use again; the one it replaces (if any) is swapped out.
      const { [dintero.dinteroTerminalId]: _back, ...stillOut } = state.swappedOut ?? {};
      const left = terminal.dintero?.dinteroTerminalId;
      const swappedOut: Record<string, string> =
        left !== undefined && left !== dintero.dinteroTerminalId ? { ...stillOut, [left]: terminalId } : stillOut;
      const { swappedOut: _before, ...rest } = state;
      const terminals = { ...state.terminals, [terminalId]: { ...terminal, dintero, statusSeenAt: at } };
      return { ...rest, terminals, ...(Object.keys(swappedOut).length > 0 ? { swappedOut } : {}) };
    }
    case 'TerminalStatusChanged': {
      const terminal = state.status === 'registered' ? ownEntry(state.terminals, event.data.terminalId) : undefined;
      if (state.status !== 'registered' || !terminal?.dintero) return state;
      const { status, statusReason, terminalId, at: statusSeenAt } = event.data;
      const { statusReason: _previous, ...device } = terminal.dintero;
      const dintero = { ...device, status, ...(statusReason === undefined ? {} : { statusReason }) };
      return { ...state, terminals: { ...state.terminals, [terminalId]: { ...terminal, dintero, statusSeenAt } } };
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
    case 'RecordTerminalStatus':
      return recordTerminalStatus(command, state);
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

import { DomainError, assertUsableTerminal, fold, storeDecider, type StoreEvent } from '@app/payment-domain';
import { deciderSpec } from './decider-spec';

const spec = deciderSpec(storeDecider);
const at = '2026-11-23T10:00:00.000Z';
const details = {
  storeId: 'oslo-center',
  name: 'Oslo Center',
  payoutDestinationId: 'seller-1',
  timeZone: 'Europe/Oslo',
};
const registered: StoreEvent = { type: 'StoreRegistered', data: { ...details, at } };
const terminal: StoreEvent = { type: 'TerminalRegistered', data: { storeId: 'oslo-center', terminalId: 'T-1', at } };

describe('store registry', () => {
  it('registers a store', () =>
    spec
      .given([])
      .when({ type: 'RegisterStore', data: { ...details, at } })
      .then([registered]));
  it('is idempotent for the same details', () =>
    spec
      .given([registered])
      .when({ type: 'RegisterStore', data: { ...details, at } })
      .thenNothing());
  it('records changed details', () =>
    spec
      .given([registered])
      .when({ type: 'RegisterStore', data: { ...details, payoutDestinationId: 'seller-2', at } })
      .then([{ type: 'StoreDetailsChanged', data: { ...details, payoutDestinationId: 'seller-2', at } }]));

  it.each([
    ['a store id that is not a subject token', { storeId: 'oslo center' }],
    ['a store id with a dot', { storeId: 'oslo.center' }],
    ['an unknown time zone', { timeZone: 'Mars/Olympus' }],
    ['an offset instead of a zone', { timeZone: '+01:00' }],
    ['an empty time zone', { timeZone: '' }],
    ['an empty name', { name: ' ' }],
    ['no payout destination', { payoutDestinationId: '' }],
  ])('refuses %s', (_case, change) =>
    spec
      .given([])
      .when({ type: 'RegisterStore', data: { ...details, ...change, at } })
      .thenFails('VALIDATION_FAILED'),
  );

  // Node 20's Intl.supportedValuesOf('timeZone') lists one name per zone, often the legacy one: current
  // canonical names (Asia/Kolkata, Europe/Kyiv) and Etc/UTC were refused for that reason.
  it.each([
    'Asia/Kolkata',
    'Asia/Calcutta',
    'Europe/Kyiv',
    'Europe/Kiev',
    'Asia/Kathmandu',
    'Asia/Ho_Chi_Minh',
    'Asia/Yangon',
    'America/Nuuk',
    'Pacific/Kanton',
    'Pacific/Kiritimati',
    'Pacific/Pago_Pago',
    'Etc/UTC',
    'UTC',
    'Etc/GMT+5',
    'America/Argentina/Buenos_Aires',
  ])('accepts the IANA zone %s, kept as given', (timeZone) =>
    spec
      .given([])
      .when({ type: 'RegisterStore', data: { ...details, timeZone, at } })
      .then([{ type: 'StoreRegistered', data: { ...details, timeZone, at } }]),
  );

  it('registers, deactivates and reactivates a terminal', () => {
    spec
      .given([registered])
      .when({ type: 'RegisterTerminal', data: { storeId: 'oslo-center', terminalId: 'T-1', at } })
      .then([terminal]);
    spec
      .given([registered, terminal])
      .when({ type: 'RegisterTerminal', data: { storeId: 'oslo-center', terminalId: 'T-1', at } })
      .thenNothing();
    const deactivated: StoreEvent = {
      type: 'TerminalDeactivated',
      data: { storeId: 'oslo-center', terminalId: 'T-1', at },
    };
    spec
      .given([registered, terminal])
      .when({ type: 'DeactivateTerminal', data: { storeId: 'oslo-center', terminalId: 'T-1', at } })
      .then([deactivated]);
    spec
      .given([registered, terminal, deactivated])
      .when({ type: 'DeactivateTerminal', data: { storeId: 'oslo-center', terminalId: 'T-1', at } })
      .thenNothing();
    spec
      .given([registered, terminal, deactivated])
      .when({ type: 'RegisterTerminal', data: { storeId: 'oslo-center', terminalId: 'T-1', at } })
      .then([{ type: 'TerminalReactivated', data: { storeId: 'oslo-center', terminalId: 'T-1', at } }]);
  });

  it('refuses a terminal for an unregistered store, and an unknown terminal', () => {
    spec
      .given([])
      .when({ type: 'RegisterTerminal', data: { storeId: 'oslo-center', terminalId: 'T-1', at } })
      .thenFails('UNKNOWN_STORE');
    spec
      .given([registered])
      .when({ type: 'DeactivateTerminal', data: { storeId: 'oslo-center', terminalId: 'T-9', at } })
      .thenFails('UNKNOWN_TERMINAL');
  });

  it('removes a terminal moved to another store', () => {
    const removed: StoreEvent = {
      type: 'TerminalRemoved',
      data: { storeId: 'oslo-center', terminalId: 'T-1', movedToStoreId: 'bergen', at },
    };
    spec
      .given([registered, terminal])
      .when({
        type: 'RemoveTerminal',
        data: { storeId: 'oslo-center', terminalId: 'T-1', movedToStoreId: 'bergen', at },
      })
      .then([removed]);
    expect(() =>
      assertUsableTerminal(fold(storeDecider, [registered, terminal, removed]), 'oslo-center', 'T-1'),
    ).toThrow(/not registered/);
  });

  it('tells which terminals a payment may use', () => {
    const deactivated: StoreEvent = {
      type: 'TerminalDeactivated',
      data: { storeId: 'oslo-center', terminalId: 'T-1', at },
    };
    expect(assertUsableTerminal(fold(storeDecider, [registered, terminal]), 'oslo-center', 'T-1')).toEqual(details);
    expect(
      codeOf(() => assertUsableTerminal(fold(storeDecider, [registered, terminal, deactivated]), 'oslo-center', 'T-1')),
    ).toBe('TERMINAL_INACTIVE');
    expect(codeOf(() => assertUsableTerminal(fold(storeDecider, []), 'oslo-center', 'T-1'))).toBe('UNKNOWN_STORE');
  });
});

function codeOf(act: () => unknown): string | undefined {
  try {
    act();
  } catch (error) {
    return error instanceof DomainError ? error.code : undefined;
  }
  return undefined;
}

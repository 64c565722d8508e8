import {
  DomainError,
  assertAcceptedCurrency,
  usableTerminal,
  fold,
  storeDecider,
  type StoreEvent,
} from '@app/payment-domain';
import { deciderSpec } from './decider-spec';

const spec = deciderSpec(storeDecider);
const at = '2026-11-23T10:00:00.000Z';
const details = {
  storeId: 'oslo-center',
  name: 'Oslo Center',
  payoutDestinationId: 'seller-1',
  timeZone: 'Europe/Oslo',
  endOfDayTime: '23:30',
};
const registered: StoreEvent = { type: 'StoreRegistered', data: { ...details, currencies: ['NOK'], at } };
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
      .then([
        { type: 'StoreDetailsChanged', data: { ...details, payoutDestinationId: 'seller-2', currencies: ['NOK'], at } },
      ]));

  describe('end-of-day time', () => {
    it('defaults to 23:30, keeps the one it has, and records a change', () => {
      spec
        .given([registered])
        .when({ type: 'RegisterStore', data: { ...details, endOfDayTime: undefined, at } })
        .thenNothing();
      spec
        .given([registered])
        .when({ type: 'RegisterStore', data: { ...details, endOfDayTime: '22:00', at } })
        .then([{ type: 'StoreDetailsChanged', data: { ...details, currencies: ['NOK'], endOfDayTime: '22:00', at } }]);
    });
    it.each(['24:00', '7:30', '23:60', 'late'])('refuses %s', (endOfDayTime) =>
      spec
        .given([])
        .when({ type: 'RegisterStore', data: { ...details, endOfDayTime, at } })
        .thenFails('VALIDATION_FAILED', { field: 'endOfDayTime' }),
    );
  });

  describe('currencies', () => {
    const registering = (change: Record<string, unknown>) =>
      spec.given([]).when({ type: 'RegisterStore', data: { ...details, ...change, at } });
    const currenciesOf = (change: Record<string, unknown>) =>
      (
        storeDecider.decide(
          { type: 'RegisterStore', data: { ...details, ...change, at } },
          storeDecider.initialState,
        )[0]!.data as { currencies?: string[] }
      ).currencies;

    it('keeps a time zone given in another case under its own name, and finds its country', () => {
      const [event] = storeDecider.decide(
        { type: 'RegisterStore', data: { ...details, timeZone: 'europe/oslo', at } },
        fold(storeDecider, []),
      );
      expect(event?.data).toMatchObject({ timeZone: 'Europe/Oslo', currencies: ['NOK'] });
      spec
        .given([registered])
        .when({ type: 'RegisterStore', data: { ...details, timeZone: 'EUROPE/OSLO', at } })
        .thenNothing();
    });
    it("defaults to the currency of the time zone's country", () => {
      expect(currenciesOf({ timeZone: 'Europe/Stockholm' })).toEqual(['SEK']);
      expect(currenciesOf({ timeZone: 'Europe/Helsinki' })).toEqual(['EUR']);
    });
    it('takes the country given over the time zone', () =>
      expect(currenciesOf({ timeZone: 'Europe/Oslo', country: 'DK' })).toEqual(['DKK']));
    it('takes the currencies given, each once, sorted', () =>
      expect(currenciesOf({ currencies: ['SEK', 'NOK', 'SEK'] })).toEqual(['NOK', 'SEK']));
    it.each([
      ['a zone whose country is not known, without currencies', { timeZone: 'UTC' }, 'currencies'],
      ['a country whose currency is not known', { country: 'ZZ' }, 'currencies'],
      ['a country that is not a code', { country: 'Norway' }, 'country'],
      ['a currency that does not exist', { currencies: ['XYZ'] }, 'currencies'],
      ['no currency at all', { currencies: [] }, 'currencies'],
    ])('refuses %s, naming the field', (_case, change, field) =>
      registering(change).thenFails('VALIDATION_FAILED', { field }),
    );
    it('keeps the currencies of a registered store when they are not given again', () =>
      spec
        .given([{ type: 'StoreRegistered', data: { ...details, currencies: ['EUR', 'NOK'], at } }])
        .when({ type: 'RegisterStore', data: { ...details, timeZone: 'UTC', at } })
        .then([
          { type: 'StoreDetailsChanged', data: { ...details, timeZone: 'UTC', currencies: ['EUR', 'NOK'], at } },
        ]));
    it('does not refuse a store registered before currencies whose zone names no country: it takes any', () =>
      spec
        .given([{ type: 'StoreRegistered', data: { ...details, timeZone: 'UTC', at } }])
        .when({ type: 'RegisterStore', data: { ...details, timeZone: 'UTC', at } })
        .thenNothing());
    it('gives a store registered before currencies its currencies when it is registered again', () =>
      spec
        .given([{ type: 'StoreRegistered', data: { ...details, at } }])
        .when({ type: 'RegisterStore', data: { ...details, at } })
        .then([{ type: 'StoreDetailsChanged', data: { ...details, currencies: ['NOK'], at } }]));
    it('refuses a payment in a currency the store does not take; one registered before currencies takes any', () => {
      const store = { ...details, currencies: ['NOK'] };
      expect(() => assertAcceptedCurrency(store, 'NOK')).not.toThrow();
      let refusal: unknown;
      try {
        assertAcceptedCurrency(store, 'SEK');
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toBeInstanceOf(DomainError);
      expect(refusal).toMatchObject({ code: 'CURRENCY_NOT_ACCEPTED', details: { accepted: ['NOK'], currency: 'SEK' } });
      expect(() => assertAcceptedCurrency(details, 'SEK')).not.toThrow();
    });
  });

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
      .when({ type: 'RegisterStore', data: { ...details, timeZone, currencies: ['NOK'], at } })
      .then([{ type: 'StoreRegistered', data: { ...details, timeZone, currencies: ['NOK'], at } }]),
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
    expect(() => usableTerminal(fold(storeDecider, [registered, terminal, removed]), 'oslo-center', 'T-1')).toThrow(
      /not registered/,
    );
  });

  it('tells which terminals a payment may use', () => {
    const deactivated: StoreEvent = {
      type: 'TerminalDeactivated',
      data: { storeId: 'oslo-center', terminalId: 'T-1', at },
    };
    expect(usableTerminal(fold(storeDecider, [registered, terminal]), 'oslo-center', 'T-1')).toEqual({
      store: { ...details, currencies: ['NOK'] },
      dinteroTerminalId: 'T-1',
    });
    expect(
      codeOf(() => usableTerminal(fold(storeDecider, [registered, terminal, deactivated]), 'oslo-center', 'T-1')),
    ).toBe('TERMINAL_INACTIVE');
    expect(codeOf(() => usableTerminal(fold(storeDecider, []), 'oslo-center', 'T-1'))).toBe('UNKNOWN_STORE');
  });

  // Valid terminal names that every JavaScript object answers to: a store's terminals are looked up as its own.
  describe.each(['constructor', 'toString', 'hasOwnProperty', '__proto__'])('a terminal named %s', (terminalId) => {
    const named: StoreEvent = { type: 'TerminalRegistered', data: { storeId: 'oslo-center', terminalId, at } };
    it('is unknown until registered', () => {
      expect(codeOf(() => usableTerminal(fold(storeDecider, [registered]), 'oslo-center', terminalId))).toBe(
        'UNKNOWN_TERMINAL',
      );
      spec
        .given([registered])
        .when({ type: 'DeactivateTerminal', data: { storeId: 'oslo-center', terminalId, at } })
        .thenFails('UNKNOWN_TERMINAL');
    });
    it('is registered as a new terminal, then usable', () => {
      spec
        .given([registered])
        .when({ type: 'RegisterTerminal', data: { storeId: 'oslo-center', terminalId, at } })
        .then([named]);
      expect(usableTerminal(fold(storeDecider, [registered, named]), 'oslo-center', terminalId)).toEqual({
        store: { ...details, currencies: ['NOK'] },
        dinteroTerminalId: terminalId,
      });
    });
  });
});

describe('terminal enrollment at Dintero', () => {
  const ref = { storeId: 'oslo-center', terminalId: 'till-1' };
  const device = {
    dinteroTerminalId: 'T12345678-T0001',
    deviceSerialNumber: 'SN-1',
    deviceModel: 'SATURN1000',
  } as const;
  const pending = { ...device, status: 'PENDING' as const };
  const enrolled: StoreEvent = { type: 'TerminalEnrolled', data: { ...ref, ...pending, at } };
  const listed: StoreEvent = { type: 'TerminalRegistered', data: { ...ref, at } };
  const activated: StoreEvent = {
    type: 'TerminalStatusChanged',
    data: { ...ref, dinteroTerminalId: device.dinteroTerminalId, status: 'ACTIVE', previousStatus: 'PENDING', at },
  };
  const status = (change: Record<string, unknown>) => ({
    type: 'RecordTerminalStatus' as const,
    data: { ...ref, dinteroTerminalId: device.dinteroTerminalId, status: 'ACTIVE' as const, at, ...change },
  });

  it('registers the terminal with its device and status at Dintero', () =>
    spec
      .given([registered])
      .when({ type: 'RegisterTerminal', data: { ...ref, enrollment: pending, at } })
      .then([listed, enrolled]));
  it('records nothing when the same device is registered again', () =>
    spec
      .given([registered, listed, enrolled])
      .when({ type: 'RegisterTerminal', data: { ...ref, enrollment: pending, at } })
      .thenNothing());
  it('records a registration that finds the device in another status as a status change', () =>
    spec
      .given([registered, listed, enrolled])
      .when({ type: 'RegisterTerminal', data: { ...ref, enrollment: { ...device, status: 'ACTIVE' }, at } })
      .then([activated]));
  it('records another device taking the name', () => {
    const replaced = {
      ...device,
      dinteroTerminalId: 'T12345678-T0002',
      deviceSerialNumber: 'SN-2',
      status: 'ACTIVE' as const,
    };
    spec
      .given([registered, listed, enrolled])
      .when({ type: 'RegisterTerminal', data: { ...ref, enrollment: replaced, at } })
      .then([{ type: 'TerminalEnrolled', data: { ...ref, ...replaced, at } }]);
  });
  it('keeps the device another one replaced as swapped out, until a name takes it again', () => {
    const replaced = {
      ...device,
      dinteroTerminalId: 'T12345678-T0002',
      deviceSerialNumber: 'SN-2',
      status: 'ACTIVE' as const,
    };
    const swap: StoreEvent = { type: 'TerminalEnrolled', data: { ...ref, ...replaced, at } };
    const swapped = fold(storeDecider, [registered, listed, enrolled, swap]);
    expect(swapped.status === 'registered' && swapped.swappedOut).toEqual({ 'T12345678-T0001': 'till-1' });
    // Taken back by a name (here the same till, swapped back): in use again, and the other one swapped out.
    const back = fold(storeDecider, [registered, listed, enrolled, swap, enrolled]);
    expect(back.status === 'registered' && back.swappedOut).toEqual({ 'T12345678-T0002': 'till-1' });
    const first = fold(storeDecider, [registered, listed, enrolled]);
    expect(first.status === 'registered' && first.swappedOut).toBeUndefined();
  });
  it('refuses a second name for a device the store has under one name', () =>
    spec
      .given([registered, listed, enrolled])
      .when({
        type: 'RegisterTerminal',
        data: { storeId: 'oslo-center', terminalId: 'till-2', enrollment: pending, at },
      })
      .thenFails('DINTERO_TERMINAL_TAKEN', { terminalId: 'till-1', dinteroTerminalId: device.dinteroTerminalId }));
  it('records a status change once, with the reason and the status before', () => {
    spec.given([registered, listed, enrolled]).when(status({})).then([activated]);
    spec.given([registered, listed, enrolled, activated]).when(status({})).thenNothing();
    spec
      .given([registered, listed, enrolled])
      .when(status({ status: 'ACTION_REQUIRED', statusReason: 'CHECK_UPDATE' }))
      .then([
        {
          type: 'TerminalStatusChanged',
          data: {
            ...ref,
            dinteroTerminalId: device.dinteroTerminalId,
            status: 'ACTION_REQUIRED',
            statusReason: 'CHECK_UPDATE',
            previousStatus: 'PENDING',
            at,
          },
        },
      ]);
  });
  it('ignores a status asked of Dintero before the one recorded, as another instance answered later', () => {
    const later = new Date(Date.parse(at) + 5_000).toISOString();
    const deactivatedThen: StoreEvent = {
      type: 'TerminalStatusChanged',
      data: { ...activated.data, status: 'INACTIVE', previousStatus: 'ACTIVE', at: later },
    };
    // Asked at `at`, answered ACTIVE, recorded after the INACTIVE another instance asked for at `later`.
    spec.given([registered, listed, enrolled, activated, deactivatedThen]).when(status({})).thenNothing();
    spec
      .given([registered, listed, enrolled, activated, deactivatedThen])
      .when(status({ at: new Date(Date.parse(later) + 1).toISOString() }))
      .then([
        {
          type: 'TerminalStatusChanged',
          data: { ...activated.data, previousStatus: 'INACTIVE', at: new Date(Date.parse(later) + 1).toISOString() },
        },
      ]);
  });
  it('ignores a status of a device the terminal no longer is, and refuses an unknown status', () => {
    spec
      .given([registered, listed, enrolled])
      .when(status({ dinteroTerminalId: 'T12345678-T0009' }))
      .thenNothing();
    spec
      .given([registered, listed, enrolled])
      .when(status({ status: 'BROKEN' }))
      .thenFails('VALIDATION_FAILED');
  });
  it("lets a payment use the terminal only when Dintero has it ACTIVE, and names Dintero's id", () => {
    const state = fold(storeDecider, [registered, listed, enrolled]);
    expect(codeOf(() => usableTerminal(state, 'oslo-center', 'till-1'))).toBe('TERMINAL_NOT_ACTIVE_AT_DINTERO');
    expect(
      usableTerminal(fold(storeDecider, [registered, listed, enrolled, activated]), 'oslo-center', 'till-1'),
    ).toEqual({
      store: { ...details, currencies: ['NOK'] },
      dinteroTerminalId: device.dinteroTerminalId,
    });
  });
  it('keeps the device across a deactivation and a reactivation', () => {
    const deactivated: StoreEvent = { type: 'TerminalDeactivated', data: { ...ref, at } };
    const reactivated: StoreEvent = { type: 'TerminalReactivated', data: { ...ref, at } };
    const state = fold(storeDecider, [registered, listed, enrolled, activated, deactivated, reactivated]);
    expect(usableTerminal(state, 'oslo-center', 'till-1').dinteroTerminalId).toBe(device.dinteroTerminalId);
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

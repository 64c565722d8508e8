import { documentProblem } from '../src/read-models/document-schemas';
import { emptyStoreDay } from '../src/read-models/projections/store-day.projection';
import { emptyTerminal } from '../src/read-models/projections/terminal.projection';
import {
  closeBatch,
  closeRequested,
  countInBatch,
  deviceSwapped,
  withClose,
} from '../src/read-models/projections/terminal-batch';

const at = '2026-12-01T10:00:00.000Z';
const totals = { capturedCount: 1, capturedAmount: 10_000, refundedCount: 1, refundedAmount: 12_000, net: -2_000 };
const terminal = { storeId: 'oslo', terminalId: 'T-1', status: 'idle', position: '41' };
const store = {
  storeId: 'oslo',
  timeZone: 'Europe/Oslo',
  terminals: { busy: 0, idle: 2, deactivated: 1 },
  position: '7',
};
const day = {
  storeId: 'oslo',
  date: '2026-12-01',
  timeZone: 'Europe/Oslo',
  currencies: { NOK: totals },
  counts: { declined: 0, failed: 0, cancelled: 1, expired: 0 },
  cardBrands: { VISA: 1 },
  entryMethods: { contactless: 1 },
  terminals: { 'T-1': { currencies: { NOK: { capturedCount: 1, capturedAmount: 10_000, refundedAmount: 12_000 } } } },
  lateCaptures: [
    {
      paymentId: 'p',
      terminalId: 'T-1',
      transactionId: 'tx',
      amount: 1,
      currency: 'NOK',
      endedAs: 'cancelled',
      at,
    },
  ],
  position: '99',
};

describe("a read-model document's shape, as a projector reads it back from KV", () => {
  it('takes documents as the fold makes them, closes and batches included', () => {
    const counted = countInBatch(
      { ...emptyTerminal('oslo', 'T-1'), position: '3' },
      { kind: 'purchase', amount: 10_000, currency: 'NOK', count: 1 },
      at,
    );
    const close = {
      operationId: 'op-1',
      businessDay: '2026-12-01',
      closedAt: '2026-12-01T22:30:00.000Z',
      batch: { batchId: '7', purchasesCount: 2, purchasesAmount: 12_000, reversalsCount: 0, reversalsAmount: 0 },
    };
    const closed = closeBatch(counted, close);
    expect(documentProblem('terminal', closed)).toBeUndefined();
    // A close pending when another device took the terminal's name.
    const swapping = deviceSwapped(
      closeRequested({ ...closed, device: 'D-OLD' }, 'op-2'),
      'D-NEW',
      '2026-12-02T09:00:00.000Z',
    );
    expect(swapping.openBatch?.swappedWhileClosing).toEqual({
      at: '2026-12-02T09:00:00.000Z',
      device: 'D-OLD',
      closes: ['op-2'],
    });
    expect(documentProblem('terminal', swapping)).toBeUndefined();
    const dayDoc = withClose(
      { ...emptyStoreDay('oslo', '2026-12-01', 'Europe/Oslo'), position: '4' },
      closed.lastClose!,
    );
    expect(dayDoc.closeMismatches).toBe(1);
    expect(documentProblem('store-day', dayDoc)).toBeUndefined();
    expect(documentProblem('store-day', day)).toBeUndefined();
    expect(
      documentProblem('store', { ...store, name: 'Oslo', today: { date: '2026-12-01', totals: { NOK: totals } } }),
    ).toBeUndefined();
  });

  it('takes what earlier versions wrote: an offline terminal, offline counted in a store, fields since added absent', () => {
    expect(documentProblem('terminal', { ...terminal, status: 'offline' })).toBeUndefined();
    expect(documentProblem('store', { ...store, terminals: { busy: 0, idle: 2, offline: 1 } })).toBeUndefined();
    // As the first version wrote a terminal: none of the fields added since.
    expect(documentProblem('terminal', terminal)).toBeUndefined();
  });

  it("takes a day's terminal totals of no currency, as kept before, only when the day has one currency", () => {
    const unsplit = { 'T-1': { capturedCount: 1, capturedAmount: 10_000, refundedAmount: 12_000 } };
    expect(documentProblem('store-day', { ...day, terminals: unsplit })).toBeUndefined();
    expect(documentProblem('store-day', { ...day, terminals: unsplit, currencies: { NOK: totals, EUR: totals } })).toBe(
      '/terminals hold totals of no currency, and the day has 2 currencies',
    );
    expect(
      documentProblem('store-day', { ...day, terminals: { 'T-1': { currencies: { NOK: { capturedCount: 1 } } } } }),
    ).toMatch(/^\/terminals\/T-1/);
  });

  it('takes a document without what the fold only carries from an event (a review entry with no reason)', () => {
    expect(documentProblem('store', { ...store, review: [{ paymentId: 'p', since: at }] })).toBeUndefined();
    expect(documentProblem('terminal', { ...terminal, lastOutcome: { paymentId: 'p', amount: 5 } })).toBeUndefined();
    expect(documentProblem('store', { ...store, review: [{ since: at }] })).toBe(
      "/review/0 must have required property 'paymentId'",
    );
    expect(documentProblem('terminal', { ...terminal, lastOutcome: { amount: '5' } })).toBe(
      '/lastOutcome/amount must be number',
    );
  });

  it("takes fields and names it does not know, as a later version's documents may have", () => {
    expect(documentProblem('terminal', { ...terminal, status: 'updating', firmware: '2.1' })).toBeUndefined();
    expect(
      documentProblem('terminal', { ...terminal, active: { kind: 'maintenance', paymentId: 'op-9', since: at } }),
    ).toBeUndefined();
  });

  it('names the field of a document a projector could not fold onto', () => {
    expect(documentProblem('terminal', { storeId: 'oslo', terminalId: 'T-1', position: '1' })).toBe(
      "the document must have required property 'status'",
    );
    expect(documentProblem('terminal', { ...terminal, active: { kind: 'payment', since: at } })).toBe(
      "/active must have required property 'paymentId'",
    );
    expect(documentProblem('store', { ...store, terminals: { busy: '1', idle: 2 } })).toBe(
      '/terminals/busy must be number',
    );
    expect(documentProblem('store-day', { ...day, currencies: 'NOK' })).toBe('/currencies must be object');
    expect(
      documentProblem('store-day', { ...day, terminals: { 'T-1': { currencies: { NOK: { capturedCount: 1 } } } } }),
    ).toBe("/terminals/T-1/currencies/NOK must have required property 'capturedAmount'");
    expect(documentProblem('store-day', { ...day, lateCaptures: {} })).toBe('/lateCaptures must be array');
    expect(documentProblem('store-day', [day])).toBe('the document must be object');
  });
});

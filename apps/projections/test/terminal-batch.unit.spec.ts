import { emptyStoreDay } from '../src/read-models/projections/store-day.projection';
import { emptyTerminal } from '../src/read-models/projections/terminal.projection';
import { closeBatch, countInBatch, withClose } from '../src/read-models/projections/terminal-batch';

const close = (purchasesCount: number, purchasesAmount: number) => ({
  operationId: 'op-1',
  businessDay: '2026-12-01',
  closedAt: '2026-12-01T22:30:00.000Z',
  batch: { batchId: '000007', purchasesCount, purchasesAmount, reversalsCount: 1, reversalsAmount: 500 },
});

/** An instant on the 1st of December (UTC), at the hour given. */
const at = (hour: number) => `2026-12-01T${String(hour).padStart(2, '0')}:00:00.000Z`;

describe("a terminal's batch beside the log", () => {
  const open = [
    ['purchase', 10_000, '2026-12-01T10:00:00.000Z'],
    ['purchase', 2_000, '2026-12-01T11:00:00.000Z'],
    ['reversal', 500, '2026-12-01T12:00:00.000Z'],
  ] as const;
  const counted = open.reduce(
    (doc, [kind, amount, at]) => countInBatch(doc, { kind, amount, currency: 'NOK', count: 1 }, at),
    emptyTerminal('oslo', 'till-1'),
  );

  it('counts captures and refunds at the terminal into the open batch', () =>
    expect(counted.openBatch).toEqual({
      purchasesCount: 2,
      purchasesAmount: 12_000,
      reversalsCount: 1,
      reversalsAmount: 500,
      currencies: { NOK: { purchasesCount: 2, purchasesAmount: 12_000, reversalsCount: 1, reversalsAmount: 500 } },
    }));

  it('keeps what the log counted per currency beside the sum the terminal makes of them', () => {
    const euro = countInBatch(counted, { kind: 'purchase', amount: 3_000, currency: 'EUR', count: 1 }, at(13));
    const closed = closeBatch(euro, close(3, 15_000));
    // The terminal's batch gives no currency: its sum matches the log's, and the close says what the sum holds.
    expect(closed.lastClose).toMatchObject({
      recorded: { purchasesCount: 3, purchasesAmount: 15_000 },
      currencies: {
        NOK: { purchasesCount: 2, purchasesAmount: 12_000, reversalsCount: 1, reversalsAmount: 500 },
        EUR: { purchasesCount: 1, purchasesAmount: 3_000, reversalsCount: 0, reversalsAmount: 0 },
      },
      mismatch: false,
    });
    // A capture reported late into that close: counted in its currency there too.
    const late = countInBatch(closed, { kind: 'reversal', amount: 200, currency: 'EUR', count: 1 }, at(14));
    expect(late.lastClose?.currencies?.EUR).toEqual({
      purchasesCount: 1,
      purchasesAmount: 3_000,
      reversalsCount: 1,
      reversalsAmount: 200,
    });
    expect(late.openBatch?.currencies).toBeUndefined();
  });

  it('compares a close with the log, and opens the next batch at it', () => {
    const closed = closeBatch(counted, close(2, 12_000));
    expect(closed.lastClose).toEqual({
      terminalId: 'till-1',
      operationId: 'op-1',
      businessDay: '2026-12-01',
      batchId: '000007',
      closedAt: '2026-12-01T22:30:00.000Z',
      terminal: { purchasesCount: 2, purchasesAmount: 12_000, reversalsCount: 1, reversalsAmount: 500 },
      recorded: { purchasesCount: 2, purchasesAmount: 12_000, reversalsCount: 1, reversalsAmount: 500 },
      currencies: { NOK: { purchasesCount: 2, purchasesAmount: 12_000, reversalsCount: 1, reversalsAmount: 500 } },
      mismatch: false,
    });
    expect(closed.openBatch).toEqual({
      purchasesCount: 0,
      purchasesAmount: 0,
      reversalsCount: 0,
      reversalsAmount: 0,
      since: '2026-12-01T22:30:00.000Z',
    });
  });

  it('gives no split per currency for a batch a version before this one counted into: it would not add up', () => {
    const { currencies: _split, ...older } = counted.openBatch!;
    const upgraded = { ...counted, openBatch: older };
    const more = countInBatch(upgraded, { kind: 'purchase', amount: 3_000, currency: 'EUR', count: 1 }, at(13));
    expect(more.openBatch).toEqual({ ...older, purchasesCount: 3, purchasesAmount: 15_000 });
    const closed = closeBatch(more, close(3, 15_000));
    expect(closed.lastClose).not.toHaveProperty('currencies');
    expect(closed.lastClose).toMatchObject({
      recorded: { purchasesCount: 3, purchasesAmount: 15_000 },
      mismatch: false,
    });
    // Nor for a late fact into such a close; the batch the close opened counts them again.
    const late = countInBatch(closed, { kind: 'reversal', amount: 100, currency: 'NOK', count: 1 }, at(14));
    expect(late.lastClose).not.toHaveProperty('currencies');
    const next = countInBatch(
      late,
      { kind: 'purchase', amount: 700, currency: 'NOK', count: 1 },
      '2026-12-02T10:00:00.000Z',
    );
    expect(next.openBatch?.currencies).toEqual({
      NOK: { purchasesCount: 1, purchasesAmount: 700, reversalsCount: 0, reversalsAmount: 0 },
    });
  });

  it('keeps the sale amount and tips the terminal gives, beside the figures it compares', () => {
    const tipped = closeBatch(counted, {
      ...close(2, 12_000),
      batch: { ...close(2, 12_000).batch, saleAmount: 11_500, tipAmount: 700 },
    });
    expect(tipped.lastClose).toMatchObject({ saleAmount: 11_500, tipAmount: 700, mismatch: false });
    expect(closeBatch(counted, close(2, 12_000)).lastClose).not.toHaveProperty('tipAmount');
  });

  it('flags a close that disagrees, field by field, terminal minus log', () => {
    const closed = closeBatch(counted, close(3, 13_500));
    expect(closed.lastClose).toMatchObject({
      mismatch: true,
      differences: { purchasesCount: 1, purchasesAmount: 1_500 },
    });
  });

  it('adds a capture reported after the close but dated before it to that close, and compares again', () => {
    const early = closeBatch(
      countInBatch(counted, { kind: 'purchase', amount: 0, currency: 'NOK', count: 1 }, '2026-12-01T09:00:00.000Z'),
      close(3, 12_000),
    );
    expect(early.lastClose).toMatchObject({ mismatch: false });
    const closedShort = closeBatch(counted, close(3, 13_000));
    expect(closedShort.lastClose).toMatchObject({ mismatch: true });
    const late = countInBatch(
      closedShort,
      { kind: 'purchase', amount: 1_000, currency: 'NOK', count: 1 },
      '2026-12-01T22:29:59.000Z',
    );
    expect(late.lastClose).toMatchObject({ mismatch: false, recorded: { purchasesCount: 3, purchasesAmount: 13_000 } });
    expect(late.lastClose?.differences).toBeUndefined();
    expect(late.openBatch?.purchasesCount).toBe(0);
    const after = countInBatch(
      late,
      { kind: 'purchase', amount: 700, currency: 'NOK', count: 1 },
      '2026-12-01T22:31:00.000Z',
    );
    expect(after.openBatch?.purchasesAmount).toBe(700);
    expect(after.lastClose).toBe(late.lastClose);
  });

  it('leaves out a capture dated before the last close’s batch opened: neither that close nor the next disagrees by it', () => {
    // Closed on the 1st (opening the batch the 2nd's close closes), then on the 2nd with nothing sold.
    const first = closeBatch(counted, close(2, 12_000));
    const second = closeBatch(first, {
      ...close(0, 0),
      operationId: 'op-2',
      businessDay: '2026-12-02',
      closedAt: '2026-12-02T22:30:00.000Z',
      batch: { batchId: '000008', purchasesCount: 0, purchasesAmount: 0, reversalsCount: 0, reversalsAmount: 0 },
    });
    expect(second.lastClose).toMatchObject({ openedAt: '2026-12-01T22:30:00.000Z', mismatch: false });
    // A capture of the 1st, heard of on the 3rd: not the 2nd's, nor the batch open since.
    const late = countInBatch(
      second,
      { kind: 'purchase', amount: 10_000, currency: 'NOK', count: 1 },
      '2026-12-01T10:30:00.000Z',
    );
    expect(late).toBe(second);
    // After the close before, though before the start of day the terminal gives (its clock is not Dintero's): the
    // last close's, as the open batch counted it had it been heard of before that close.
    const windowed = { ...second, lastClose: { ...second.lastClose!, startOfDayAt: '2026-12-02T00:00:00.000Z' } };
    expect(
      countInBatch(
        windowed,
        { kind: 'purchase', amount: 10_000, currency: 'NOK', count: 1 },
        '2026-12-01T23:00:00.000Z',
      ).lastClose,
    ).toMatchObject({ mismatch: true, differences: { purchasesCount: -1, purchasesAmount: -10_000 } });
    // Within the last close's batch, it is that close's, as before.
    expect(
      countInBatch(second, { kind: 'purchase', amount: 10_000, currency: 'NOK', count: 1 }, '2026-12-02T10:00:00.000Z')
        .lastClose,
    ).toMatchObject({
      mismatch: true,
      differences: { purchasesCount: -1, purchasesAmount: -10_000 },
    });
  });

  it("keeps each terminal's close on the store day and counts the mismatches", () => {
    const day = emptyStoreDay('oslo', '2026-12-01', 'Europe/Oslo');
    const good = closeBatch(counted, close(2, 12_000)).lastClose!;
    const bad = { ...closeBatch(counted, close(9, 1)).lastClose!, terminalId: 'till-2', operationId: 'op-2' };
    const both = withClose(withClose(day, good), bad);
    expect(both.closeMismatches).toBe(1);
    expect(Object.values(both.closes ?? {}).map((each) => each.terminalId)).toEqual(['till-1', 'till-2']);
    expect(withClose(both, { ...bad, mismatch: false }).closeMismatches).toBe(0);
    // The same terminal closed again the same day: both closes stay, and the first one's mismatch with them.
    const again = withClose(both, { ...bad, operationId: 'op-3', mismatch: false });
    expect(again.closeMismatches).toBe(1);
    expect(Object.keys(again.closes ?? {})).toHaveLength(3);
  });
});

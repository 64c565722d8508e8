import { emptyTerminal } from '../src/read-models/projections/terminal.projection';
import { copied } from '../src/read-models/projections/terminal-copy';
import type { TerminalDoc } from '../src/read-models/read-model.types';

/** `copied` names a terminal's fields for speed: a terminal of any other shape must come out as a spread makes it. */
describe('a terminal copied for the projection to change', () => {
  const terminal: TerminalDoc = { ...emptyTerminal('oslo', 'T-1'), status: 'idle', position: '42' };

  it('is a new object with the same fields and values', () => {
    const copy = copied(terminal);
    expect(copy).not.toBe(terminal);
    expect(Object.entries(copy)).toEqual(Object.entries(terminal));
  });

  it('keeps a field emptyTerminal has not (closesLetGo, or a later version’s read back from KV)', () => {
    const letGo: TerminalDoc = { ...terminal, closesLetGo: true };
    expect(copied(letGo)).toEqual({ ...letGo });
    expect(copied(letGo).closesLetGo).toBe(true);
    const later = { ...terminal, fromALaterVersion: 'kept' } as TerminalDoc;
    expect(Object.entries(copied(later))).toEqual(Object.entries(later));
  });

  it('adds no field a terminal lacks, even with as many fields as emptyTerminal', () => {
    const { lastRefund: _lastRefund, ...without } = terminal;
    const swapped = { ...without, closesLetGo: true } as TerminalDoc;
    expect(Object.keys(copied(swapped))).toEqual(Object.keys(swapped));
    expect('lastRefund' in copied(swapped)).toBe(false);
    const fewer = without as TerminalDoc;
    expect(Object.keys(copied(fewer))).toEqual(Object.keys(fewer));
  });
});

import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DinteroSimulatorConfig } from '../src/dintero-simulator.config';
import { SimulatorState } from '../src/state/simulator-state';
import { replayJournal, snapshotText, type SavedState } from '../src/state/state-journal';
import { SimulatorStateWrites } from '../src/state/state-writes';
import { transaction } from './saved-transaction';

/** What the next writes of the file do instead of succeeding: a disk full part way, as the operating system has it. */
const mockFailures = { tornAppends: 0, journalRewrites: 0 };

jest.mock('../src/state/durable-file', () => {
  const actual = jest.requireActual<typeof import('../src/state/durable-file')>('../src/state/durable-file');
  const full = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  return {
    ...actual,
    // Part of the text reached the journal, then the disk was full.
    appendFileDurably: async (file: string, text: string) => {
      if (mockFailures.tornAppends === 0) return actual.appendFileDurably(file, text);
      mockFailures.tornAppends -= 1;
      appendFileSync(file, text.slice(0, Math.floor(text.length / 2)));
      throw full();
    },
    // The journal's new header could not be written: the old journal stays.
    writeFileDurablyAsync: async (file: string, text: string) => {
      if (mockFailures.journalRewrites === 0 || !file.endsWith('.journal'))
        return actual.writeFileDurablyAsync(file, text);
      mockFailures.journalRewrites -= 1;
      throw full();
    },
  };
});

/** The state as the start reads it back from the files: the snapshot, then the journal. */
function readBack(file: string): SavedState {
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as SavedState;
  return replayJournal(snapshot, readFileSync(`${file}.journal`, 'utf8'), `${file}.journal`).state;
}

describe('state writes that fail', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sim-writes-failures-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves no torn line inside the journal after an append that failed part way', async () => {
    const file = path.join(dir, 'torn.json');
    const state = new SimulatorState();
    state.transactions.set('A', transaction('A'));
    const writes = new SimulatorStateWrites({ stateFile: file } as DinteroSimulatorConfig, state);
    writes.compactNow();

    state.transactions.get('A')!.status = 'REFUNDED';
    state.touch('transactions', 'A');
    mockFailures.tornAppends = 1;
    await expect(writes.saved()).rejects.toThrow(/ENOSPC/);
    // Space again: the next change is written, and answered as kept.
    state.transactions.set('B', transaction('B'));
    state.touch('transactions', 'B');
    await writes.saved();

    const back = readBack(file);
    expect(back.transactions.map(({ id, status }) => ({ id, status }))).toEqual([
      { id: 'A', status: 'REFUNDED' },
      { id: 'B', status: 'CAPTURED' },
    ]);
  });

  it('starts again after compactions whose journal could not be written, the journal left two generations behind', async () => {
    const file = path.join(dir, 'behind.json');
    const state = new SimulatorState();
    state.transactions.set('A', transaction('A'));
    const writes = new SimulatorStateWrites({ stateFile: file } as DinteroSimulatorConfig, state);
    writes.compactNow();

    // Two compactions (a reset marks everything) whose snapshot is renamed in, whose journal is not: the second as a
    // kill between its two renames leaves it.
    mockFailures.journalRewrites = 2;
    for (const id of ['B', 'C']) {
      state.transactions.set(id, transaction(id));
      state.touch('transactions', id);
      state.giveBack({ whole: true, records: new Map() });
      await expect(writes.saved()).rejects.toThrow(/ENOSPC/);
    }

    expect((JSON.parse(readFileSync(file, 'utf8')) as SavedState).generation).toBe(3);
    expect(readBack(file).transactions.map(({ id }) => id)).toEqual(['A', 'B', 'C']);
    expect(readBack(file).transactions).toEqual((JSON.parse(snapshotText(state, 3)) as SavedState).transactions);
  });
});

import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DinteroSimulatorConfig } from '../src/dintero-simulator.config';
import { SimulatorState } from '../src/state/simulator-state';
import { journalHeader, journalLines, replayJournal, snapshotText, type SavedState } from '../src/state/state-journal';
import { SimulatorStateWrites } from '../src/state/state-writes';
import { transaction } from './saved-transaction';

/** The lists of a saved state, without when it was saved. */
function lists(saved: SavedState) {
  const { savedAt: _at, generation: _generation, ...rest } = saved;
  return rest;
}

describe('state journal', () => {
  it('reads back, snapshot then journal, what the state holds', () => {
    const state = new SimulatorState();
    state.payoutDestinations.add('seller-1');
    state.stores.set('oslo', { id: 'oslo', payout_destination_id: 'seller-1' });
    state.terminals.set('T-1', { terminal_id: 'T-1', store_id: 'oslo', status: 'ACTIVE' });
    state.transactions.set('A', transaction('A'));
    state.transactions.set('B', transaction('B'));
    state.operationKeys.set('k-1', 'O-1');
    const snapshot = JSON.parse(snapshotText(state, 3)) as SavedState;
    state.takeChanges();

    // Changed in place, added, removed, across two writes.
    state.transactions.get('A')!.status = 'REFUNDED';
    state.touch('transactions', 'A');
    state.payoutDestinations.add('seller-2');
    state.touch('payoutDestinations', 'seller-2');
    let journal = journalHeader(3) + journalLines(state, state.takeChanges(), 1);
    state.transactions.delete('B');
    state.touch('transactions', 'B');
    state.transactions.set('C', transaction('C'));
    state.touch('transactions', 'C');
    state.terminals.get('T-1')!.batch = {
      openedAt: 'x',
      purchasesCount: 1,
      purchasesAmount: 1000,
      reversalsCount: 0,
      reversalsAmount: 0,
    };
    state.touch('terminals', 'T-1');
    state.operationKeys.set('k-2', 'O-2');
    state.touch('operationKeys', 'k-2');
    journal += journalLines(state, state.takeChanges(), 2);

    const replayed = replayJournal(snapshot, journal, 'j');
    expect(replayed).toMatchObject({ applied: 6, ignored: 0, stale: false });
    expect(lists(replayed.state)).toEqual(lists(JSON.parse(snapshotText(state, 3)) as SavedState));
  });

  it('ignores a write cut short, refuses a line that is no journal record, and ignores a stale journal', () => {
    const state = new SimulatorState();
    state.transactions.set('A', transaction('A'));
    const snapshot = JSON.parse(snapshotText(state, 1)) as SavedState;
    state.transactions.get('A')!.status = 'REFUNDED';
    state.touch('transactions', 'A');
    const write = journalLines(state, state.takeChanges(), 1);
    // The commit line torn: the write's record is not applied.
    const torn = journalHeader(1) + write.slice(0, -5);
    expect(replayJournal(snapshot, torn, 'j')).toMatchObject({ applied: 0, ignored: 2 });
    expect(replayJournal(snapshot, torn, 'j').state.transactions[0]!.status).toBe('CAPTURED');
    // A whole line that is not a record (not a kill's doing): the start is refused.
    expect(() => replayJournal(snapshot, `${journalHeader(1)}{"nope":1}\n${write}`, 'j')).toThrow(
      /journal j has a line 2 that is not a journal record/,
    );
    expect(() => replayJournal(snapshot, write, 'j')).toThrow(/does not begin with a journal header/);
    // Killed between a compaction's two renames: the snapshot already holds what the journal had.
    expect(replayJournal(snapshot, journalHeader(0) + write, 'j')).toMatchObject({ applied: 0, stale: true });
    expect(() => replayJournal(snapshot, journalHeader(2) + write, 'j')).toThrow(/of generation 2, the snapshot of 1/);
  });
});

describe('state writes', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sim-journal-unit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes after a burst of changes bytes in proportion to the changes, not to the state', async () => {
    const file = path.join(dir, 'state.json');
    const state = new SimulatorState();
    for (let i = 0; i < 4_000; i++) state.transactions.set(`T${i}`, transaction(`T${i}`, 1_000));
    const writes = new SimulatorStateWrites({ stateFile: file } as DinteroSimulatorConfig, state);
    writes.compactNow();
    const snapshotBytes = statSync(file).size;
    expect(snapshotBytes).toBeGreaterThan(4_000_000);
    const before = writes.bytesWritten();

    const changes = 50;
    for (let i = 0; i < changes; i++) {
      state.transactions.get(`T${i}`)!.status = 'REFUNDED';
      state.touch('transactions', `T${i}`);
      await writes.saved();
    }
    const recordBytes = Buffer.byteLength(JSON.stringify(state.transactions.get('T0')));
    const written = writes.bytesWritten() - before;
    // Each change: its record and a commit line; never the 4 MB state again.
    expect(written).toBeGreaterThanOrEqual(changes * recordBytes);
    expect(written).toBeLessThan(changes * (recordBytes + 200));
    expect(statSync(file).size).toBe(snapshotBytes);
    expect(statSync(`${file}.journal`).size).toBe(Buffer.byteLength(journalHeader(1)) + written);
    expect(readFileSync(`${file}.journal`, 'utf8').split('\n')).toHaveLength(1 + 2 * changes + 1);
  });

  it('compacts once the journal outgrows the snapshot, and the files read back equal the state', async () => {
    const file = path.join(dir, 'compact.json');
    const state = new SimulatorState();
    state.transactions.set('A', transaction('A'));
    const writes = new SimulatorStateWrites({ stateFile: file } as DinteroSimulatorConfig, state);
    // No journal yet: the first write is a compaction (generation 1).
    state.touch('transactions', 'A');
    await writes.saved();
    expect((JSON.parse(readFileSync(file, 'utf8')) as SavedState).generation).toBe(1);
    // Writes of 4 KB records until the journal passes 64 KiB (the snapshot is smaller): then a compaction.
    for (let i = 0; i < 20; i++) {
      state.transactions.set(`B${i}`, transaction(`B${i}`, 4_000));
      state.touch('transactions', `B${i}`);
      await writes.saved();
    }
    // Compacted in the background: done once its snapshot is in and its journal replaced the old one.
    await writes.compacted();
    const snapshot = JSON.parse(readFileSync(file, 'utf8')) as SavedState;
    expect(snapshot.generation).toBe(2);
    const journal = readFileSync(`${file}.journal`, 'utf8');
    expect(journal.startsWith(journalHeader(2))).toBe(true);
    expect(journal.length).toBeLessThan(64 * 1024);
    const replayed = replayJournal(snapshot, journal, 'j');
    expect(replayed.applied).toBeGreaterThan(0);
    expect(lists(replayed.state)).toEqual(lists(JSON.parse(snapshotText(state, 2)) as SavedState));
  });
});

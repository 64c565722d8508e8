import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DinteroSimulatorConfig } from '../src/dintero-simulator.config';
import { SimulatorState } from '../src/state/simulator-state';
import { snapshotTextInSlices } from '../src/state/snapshot-slices';
import {
  journalHeader,
  journalLines,
  replayJournal,
  replayJournals,
  snapshotText,
  type SavedState,
} from '../src/state/state-journal';
import { SimulatorStateWrites } from '../src/state/state-writes';
import { transaction } from './saved-transaction';

/**
 * While `held`, a write of the snapshot (`file`) whose text `holds` picks waits until `release` is called (a slow
 * disk, a large state); `beforeNextAppend` runs once, as the first append to a next journal begins.
 */
const mockSnapshot = {
  file: '',
  held: false,
  holds: (_text: string): boolean => true,
  entered: 0,
  release: (): void => undefined,
  beforeNextAppend: undefined as (() => void) | undefined,
  /** Thrown by the next write of the snapshot that `holds` picks (a disk full), then cleared. */
  failWith: undefined as Error | undefined,
  /** Thrown by the next rename of a next journal over the journal, then cleared. */
  failRename: undefined as Error | undefined,
};

jest.mock('../src/state/durable-file', () => {
  const actual = jest.requireActual<typeof import('../src/state/durable-file')>('../src/state/durable-file');
  return {
    ...actual,
    appendFileDurably: async (file: string, text: string) => {
      const before = file.endsWith('.journal.next') ? mockSnapshot.beforeNextAppend : undefined;
      mockSnapshot.beforeNextAppend = undefined;
      before?.();
      return actual.appendFileDurably(file, text);
    },
    renameDurably: async (from: string, to: string) => {
      const failure = from.endsWith('.journal.next') ? mockSnapshot.failRename : undefined;
      mockSnapshot.failRename = undefined;
      if (failure) throw failure;
      return actual.renameDurably(from, to);
    },
    writeFileDurablyAsync: async (file: string, text: string) => {
      const failure = file === mockSnapshot.file && mockSnapshot.holds(text) ? mockSnapshot.failWith : undefined;
      if (failure) {
        mockSnapshot.failWith = undefined;
        throw failure;
      }
      if (mockSnapshot.held && file === mockSnapshot.file && mockSnapshot.holds(text)) {
        mockSnapshot.entered += 1;
        await new Promise<void>((resolve) => (mockSnapshot.release = resolve));
      }
      return actual.writeFileDurablyAsync(file, text);
    },
  };
});

/** The lists of a saved state, without when it was saved nor its generation. */
function lists(saved: SavedState) {
  const { savedAt: _at, generation: _generation, ...rest } = saved;
  return rest;
}

/** The state as a start reads it back from the files as they are now (a kill): snapshot, journal, next journal. */
function readBack(file: string): SavedState {
  const read = (name: string) => (existsSync(name) ? { text: readFileSync(name, 'utf8'), path: name } : undefined);
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as SavedState;
  return replayJournals(snapshot, read(`${file}.journal`), read(`${file}.journal.next`)).state;
}

/** `promise`, or a failure once `ms` have passed without it settling. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms for ${what}`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe('compaction while running', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sim-compaction-'));
  afterAll(() => {
    mockSnapshot.held = false;
    mockSnapshot.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers writes while the snapshot is written, and a kill at that point loses nothing', async () => {
    const file = path.join(dir, 'state.json');
    mockSnapshot.file = file;
    const state = new SimulatorState();
    const writes = new SimulatorStateWrites({ stateFile: file } as DinteroSimulatorConfig, state);
    state.transactions.set('A', transaction('A'));
    writes.compactNow();
    // 4 KB records until the journal passes 64 KiB: the write that finds it so starts a compaction.
    mockSnapshot.held = true;
    for (let i = 0; mockSnapshot.entered === 0; i++) {
      expect(i).toBeLessThan(40);
      state.transactions.set(`B${i}`, transaction(`B${i}`, 4_000));
      state.touch('transactions', `B${i}`);
      await within(writes.saved(), 2_000, `write ${i}, answered while the snapshot is held`);
    }

    // The snapshot is held: writes are answered meanwhile, changed in place, added and removed.
    state.transactions.get('A')!.status = 'REFUNDED';
    state.touch('transactions', 'A');
    state.transactions.delete('B0');
    state.touch('transactions', 'B0');
    state.transactions.set('C', transaction('C'));
    state.touch('transactions', 'C');
    await within(writes.saved(), 2_000, 'a write during the compaction');
    expect(mockSnapshot.entered).toBe(1);
    // Killed now: the old snapshot, its journal, and the next journal, read in turn, hold the state.
    expect((JSON.parse(readFileSync(file, 'utf8')) as SavedState).generation).toBe(1);
    expect(lists(readBack(file))).toEqual(lists(JSON.parse(snapshotText(state, 1)) as SavedState));

    mockSnapshot.held = false;
    mockSnapshot.release();
    await writes.compacted();
    expect(existsSync(`${file}.journal.next`)).toBe(false);
    expect((JSON.parse(readFileSync(file, 'utf8')) as SavedState).generation).toBe(2);
    expect(readFileSync(`${file}.journal`, 'utf8').startsWith(journalHeader(2))).toBe(true);
    expect(lists(readBack(file))).toEqual(lists(JSON.parse(snapshotText(state, 2)) as SavedState));
  });

  it('leaves the snapshot of a state reset while it was written out, so that a kill before the reset is written loses nothing', async () => {
    const file = path.join(dir, 'reset.json');
    mockSnapshot.file = file;
    mockSnapshot.entered = 0;
    const state = new SimulatorState();
    const writes = new SimulatorStateWrites({ stateFile: file } as DinteroSimulatorConfig, state);
    state.transactions.set('A', transaction('A'));
    writes.compactNow();
    // One write of more than a slice of records: the journal outgrows the snapshot, the next write compacts.
    for (let i = 0; i < 150; i++) {
      state.transactions.set(`B${i}`, transaction(`B${i}`, 4_000));
      state.touch('transactions', `B${i}`);
    }
    await writes.saved();
    // The reset comes while the snapshot is written out (past its first slice), as that write appends.
    let beforeReset: SavedState | undefined;
    mockSnapshot.beforeNextAppend = () => {
      beforeReset = JSON.parse(snapshotText(state, 0)) as SavedState;
      state.reset();
    };
    state.transactions.get('A')!.status = 'REFUNDED';
    state.touch('transactions', 'A');
    await writes.saved();
    expect(beforeReset?.transactions).toHaveLength(151);

    // The reset's write (a compaction in its place, generation 3) held: killed now, the files hold all before it.
    mockSnapshot.holds = (text) => /"generation":3[,}]/.test(text.slice(0, 100));
    mockSnapshot.held = true;
    const reset = writes.saved();
    for (let turn = 0; mockSnapshot.entered === 0; turn++) {
      expect(turn).toBeLessThan(1_000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(lists(readBack(file))).toEqual(lists(beforeReset!));

    mockSnapshot.held = false;
    mockSnapshot.release();
    await reset;
    expect(lists(readBack(file))).toEqual(lists(JSON.parse(snapshotText(state, 3)) as SavedState));
    expect((JSON.parse(readFileSync(file, 'utf8')) as SavedState).generation).toBe(3);
  });

  /** A state whose journal has just outgrown its snapshot: its next write starts a compaction in the background. */
  async function outgrown(file: string) {
    mockSnapshot.file = file;
    mockSnapshot.holds = () => true;
    const state = new SimulatorState();
    const writes = new SimulatorStateWrites({ stateFile: file } as DinteroSimulatorConfig, state);
    state.transactions.set('A', transaction('A'));
    writes.compactNow();
    for (let i = 0; i < 20; i++) {
      state.transactions.set(`B${i}`, transaction(`B${i}`, 4_000));
      state.touch('transactions', `B${i}`);
    }
    await writes.saved();
    return { state, writes };
  }

  function change(state: SimulatorState, id: string): void {
    state.transactions.set(id, transaction(id));
    state.touch('transactions', id);
  }

  const generationOf = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as SavedState).generation;

  it('loses nothing when the snapshot cannot be written in the background, and compacts at the next write', async () => {
    const file = path.join(dir, 'snapshot-fails.json');
    const { state, writes } = await outgrown(file);
    // The snapshot of generation 2, written in the background, fails (a disk full); the write that started it is in.
    mockSnapshot.failWith = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    change(state, 'C');
    await writes.saved();
    await writes.compacted();
    expect(mockSnapshot.failWith).toBeUndefined();
    // Killed now: snapshot 1, its journal, and the next journal of 2, read in turn, hold the state.
    expect(generationOf(file)).toBe(1);
    expect(existsSync(`${file}.journal.next`)).toBe(true);
    expect(lists(readBack(file))).toEqual(lists(JSON.parse(snapshotText(state, 1)) as SavedState));

    // The next write compacts in its place, of a generation after the next journal's, which goes.
    change(state, 'D');
    await writes.saved();
    expect(generationOf(file)).toBe(3);
    expect(existsSync(`${file}.journal.next`)).toBe(false);
    expect(readFileSync(`${file}.journal`, 'utf8')).toBe(journalHeader(3));
    expect(lists(readBack(file))).toEqual(lists(JSON.parse(snapshotText(state, 3)) as SavedState));
    expect(writes.failing()).toBe(false);
  });

  it('loses nothing when the next journal cannot replace the journal, and compacts at the next write', async () => {
    const file = path.join(dir, 'rename-fails.json');
    const { state, writes } = await outgrown(file);
    mockSnapshot.failRename = Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
    change(state, 'C');
    await writes.saved();
    await writes.compacted();
    expect(mockSnapshot.failRename).toBeUndefined();
    // The snapshot of 2 is in, the journal of 1 stale, the next journal of 2 left beside it: killed now, they hold
    // the state.
    expect(generationOf(file)).toBe(2);
    expect(existsSync(`${file}.journal.next`)).toBe(true);
    expect(lists(readBack(file))).toEqual(lists(JSON.parse(snapshotText(state, 2)) as SavedState));

    change(state, 'D');
    await writes.saved();
    expect(generationOf(file)).toBe(3);
    expect(existsSync(`${file}.journal.next`)).toBe(false);
    expect(readFileSync(`${file}.journal`, 'utf8')).toBe(journalHeader(3));
    expect(lists(readBack(file))).toEqual(lists(JSON.parse(snapshotText(state, 3)) as SavedState));
  });

  it('writes a snapshot in slices that, with the changes made meanwhile, reads back as the state', async () => {
    const state = new SimulatorState();
    for (let i = 0; i < 200; i++) state.transactions.set(`T${i}`, transaction(`T${i}`, 4_000));
    state.operationKeys.set('k-1', 'O-1');
    state.payoutDestinations.add('seller-1');
    state.takeChanges();
    let pauses = 0;
    const text = await snapshotTextInSlices(state, 5, async () => {
      pauses += 1;
      if (pauses > 1) return;
      // Between two slices: one written changed, one not yet written removed, one added.
      state.transactions.get('T0')!.status = 'REFUNDED';
      state.touch('transactions', 'T0');
      state.transactions.delete('T199');
      state.touch('transactions', 'T199');
      state.transactions.set('NEW', transaction('NEW'));
      state.touch('transactions', 'NEW');
    });
    expect(pauses).toBeGreaterThan(1);
    const snapshot = JSON.parse(text) as SavedState;
    expect(snapshot.generation).toBe(5);
    const journal = journalHeader(5) + journalLines(state, state.takeChanges(), 1);
    expect(lists(replayJournal(snapshot, journal, 'j').state)).toEqual(
      lists(JSON.parse(snapshotText(state, 5)) as SavedState),
    );
  });
});

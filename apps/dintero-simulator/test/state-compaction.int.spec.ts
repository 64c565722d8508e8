import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitUntil } from '../../../test/support/app-process';
import { SEED, startSimulator, type RunningSimulator } from '../../../test/support/simulator';
import { replayJournals, type SavedState } from '../src/state/state-journal';

/** While `held`, a write of the snapshot (`file`) waits until `release` is called: a slow disk, a large state. */
const mockSnapshot = { file: '', held: false, entered: 0, release: (): void => undefined };

jest.mock('../src/state/durable-file', () => {
  const actual = jest.requireActual<typeof import('../src/state/durable-file')>('../src/state/durable-file');
  return {
    ...actual,
    writeFileDurablyAsync: async (file: string, text: string) => {
      if (mockSnapshot.held && file === mockSnapshot.file) {
        mockSnapshot.entered += 1;
        await new Promise<void>((resolve) => (mockSnapshot.release = resolve));
      }
      return actual.writeFileDurablyAsync(file, text);
    },
  };
});

/** The lists as a start reads them back from the files as they are now: snapshot, journal, next journal. */
function readBack(file: string) {
  const read = (name: string) => (existsSync(name) ? { text: readFileSync(name, 'utf8'), path: name } : undefined);
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as SavedState;
  const {
    savedAt: _at,
    generation: _generation,
    ...lists
  } = replayJournals(snapshot, read(`${file}.journal`), read(`${file}.journal.next`)).state;
  return lists;
}

describe('simulator compaction while running', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sim-compaction-int-'));
  let sim: RunningSimulator | undefined;
  afterAll(async () => {
    mockSnapshot.held = false;
    mockSnapshot.release();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers requests that change the state while the compaction writes the snapshot', async () => {
    const file = path.join(dir, 'state.json');
    mockSnapshot.file = file;
    sim = await startSimulator({ SIM_STATE_FILE: file });
    const running = sim;
    const put = (terminalId: string, outcome: string) =>
      fetch(`${running.url}/_control/terminals/${terminalId}/next-outcome`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ outcome }),
        // Not answered in 5 s: waiting for the snapshot's write.
        signal: AbortSignal.timeout(5_000),
      });
    // The first write compacts (no journal yet); then 700 terminals, past 64 KiB of journal: the next write compacts.
    await running.control('POST', '/seed', SEED);
    const terminals = Array.from({ length: 700 }, (_, i) => ({ terminal_id: `T-X${i}`, store_id: 'oslo-center' }));
    await running.control('POST', '/seed', { terminals });
    expect(readFileSync(`${file}.journal`).length).toBeGreaterThan(64 * 1024);

    mockSnapshot.held = true;
    for (const [i, outcome] of ['declined:insufficient_funds', 'approved:visa:contactless', 'cancelled'].entries()) {
      const answer = await put(`T-X${i}`, outcome);
      expect(answer.status).toBe(200);
    }
    // Those were answered with the snapshot's write held: written to the next journal, whole, a kill now loses none.
    expect(mockSnapshot.entered).toBe(1);
    expect(existsSync(`${file}.journal.next`)).toBe(true);
    expect(readBack(file)).toEqual(await running.control('GET', '/state'));

    mockSnapshot.held = false;
    mockSnapshot.release();
    await waitUntil(() => !existsSync(`${file}.journal.next`), 10_000, 'the next journal to replace the journal');
    expect((JSON.parse(readFileSync(file, 'utf8')) as SavedState).generation).toBe(2);
    expect(readBack(file)).toEqual(await running.control('GET', '/state'));
  });
});

import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApp, type RunningApp } from './support/app-process';

/** Bytes read from a non-blocking FIFO once its writer has written some, polled until `withinMs`: 0 if none came. */
async function readSomeOf(fd: number, withinMs: number): Promise<number> {
  const buffer = Buffer.alloc(65_536);
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    try {
      const read = readSync(fd, buffer);
      if (read > 0) return read;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return 0;
}

/**
 * The simulator keeps Dintero's side of the world in SIM_STATE_FILE, written after each change and as it stops. A simulator killed while
 * writing it (SIGKILL after a SIGTERM: a supervisor out of patience) must leave the state it had, whole, and start
 * from it again; what the killed write left beside the file is never taken for the state.
 */
describe('simulator killed while writing its state file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sim-kill-'));
  const file = path.join(dir, 'dintero-simulator.json');
  let sim: RunningApp | undefined;
  afterAll(async () => {
    if (sim && sim.process.exitCode === null && sim.process.signalCode === null) sim.process.kill('SIGKILL');
    await sim?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the last whole state, starts from it, and leaves no partial write behind', async () => {
    // A world larger than a pipe holds, so that its write blocks in the FIFO below.
    const world = {
      version: 1,
      savedAt: new Date().toISOString(),
      payoutDestinations: Array.from({ length: 300_000 }, (_, i) => `seller-${i}`),
      stores: [{ id: 'oslo', name: 'Oslo', payout_destination_id: 'seller-1' }],
      terminals: [{ terminal_id: 'T-1', store_id: 'oslo', status: 'ACTIVE' }],
      sessions: [],
      transactions: [],
      operations: [],
      operationKeys: [],
    };
    const before = JSON.stringify(world);
    writeFileSync(file, before);

    sim = await startApp('dintero-simulator', { SIM_STATE_FILE: file }, 60_000);
    // The simulator's write goes to `<file>.<pid>.tmp`. Made a FIFO first, it holds the write: the simulator blocks in
    // it once the pipe is full, so the kill lands inside the write for certain, however fast the disk or busy the
    // machine (a kill timed against a real file's write had a window of about a millisecond).
    const partial = `${file}.${sim.process.pid}.tmp`;
    execFileSync('mkfifo', [partial]);
    const reader = openSync(partial, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      sim.process.kill('SIGTERM');
      const read = await readSomeOf(reader, 30_000);
      expect(read).toBeGreaterThan(0);
      sim.process.kill('SIGKILL');
    } finally {
      closeSync(reader);
    }
    expect(await sim.exited).toBeNull();
    expect(sim.process.signalCode).toBe('SIGKILL');

    // The killed write is beside the file, cut short; the file is the state it had, whole.
    expect(existsSync(partial)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(before);

    // Started again, it reads the whole state (not the partial write, which it removes) and stops cleanly.
    sim = await startApp('dintero-simulator', { SIM_STATE_FILE: file }, 60_000);
    expect(readdirSync(dir)).toEqual(['dintero-simulator.json', 'dintero-simulator.json.lock']);
    expect(await sim.stop()).toBe(0);
    expect(readdirSync(dir)).toEqual(['dintero-simulator.json', 'dintero-simulator.json.journal']);
    const after = JSON.parse(readFileSync(file, 'utf8')) as typeof world;
    expect(after.payoutDestinations).toHaveLength(300_000);
    expect(after.terminals).toMatchObject([{ terminal_id: 'T-1', status: 'ACTIVE' }]);
  });
});

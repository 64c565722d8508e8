import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApp, type RunningApp } from './support/app-process';

/**
 * The simulator keeps Dintero's side of the world in SIM_STATE_FILE, written as it stops. A simulator killed while
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
    // A world large enough that writing it takes a while (tens of MB): the kill lands inside the write.
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
    const partial = `${file}.${sim.process.pid}.tmp`;
    sim.process.kill('SIGTERM');
    // Polled without yielding: the write lasts a fraction of a second, and the kill must land inside it.
    const deadline = Date.now() + 30_000;
    while (!existsSync(partial) && sim.process.exitCode === null && Date.now() < deadline);
    expect(existsSync(partial)).toBe(true);
    sim.process.kill('SIGKILL');
    expect(await sim.exited).toBeNull();
    expect(sim.process.signalCode).toBe('SIGKILL');

    // The killed write is beside the file, cut short; the file is the state it had, whole.
    expect(existsSync(partial)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(before);

    // Started again, it reads the whole state (not the partial write, which it removes) and stops cleanly.
    sim = await startApp('dintero-simulator', { SIM_STATE_FILE: file }, 60_000);
    expect(readdirSync(dir)).toEqual(['dintero-simulator.json']);
    expect(await sim.stop()).toBe(0);
    const after = JSON.parse(readFileSync(file, 'utf8')) as typeof world;
    expect(after.payoutDestinations).toHaveLength(300_000);
    expect(after.terminals).toMatchObject([{ terminal_id: 'T-1', status: 'ACTIVE' }]);
  });
});

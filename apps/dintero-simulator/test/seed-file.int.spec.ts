import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SimulatorState } from '../src/state/simulator-state';
import { SEED, startSimulator } from '../../../test/support/simulator';

describe('simulator seed file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sim-seed-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads payout destinations, stores and terminals at start', async () => {
    const file = path.join(dir, 'seed.json');
    writeFileSync(file, JSON.stringify({ payoutDestinations: ['seller-9'], ...SEED }));
    const sim = await startSimulator({ SIM_SEED_FILE: file });
    const state = sim.app.get(SimulatorState);
    expect([...state.terminals.keys()]).toEqual(['T-1', 'T-2', 'T-3']);
    expect(state.terminals.get('T-3')?.status).toBe('INACTIVE');
    expect([...state.payoutDestinations].sort()).toEqual(['seller-1', 'seller-9']);
    await sim.close();
  });

  it('refuses to start on an invalid seed file, saying which', async () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ terminals: [{ terminal_id: 'T 1', store_id: 'oslo' }] }));
    await expect(startSimulator({ SIM_SEED_FILE: file })).rejects.toThrow(/SIM_SEED_FILE .*bad\.json is invalid/);
  });
});

import { copyFileSync, existsSync } from 'node:fs';
import { startSimulator, type RunningSimulator } from '../../../test/support/simulator';
import { waitUntil } from '../../../test/support/app-process';
import { SimulatorState } from '../src/state/simulator-state';
import { SimulatorStateWrites } from '../src/state/state-writes';

/** `GET /_control/state`: every record as the state file holds it, by list. */
export type Dump = Record<string, unknown[]>;

/** A simulator on its SIM_STATE_FILE. */
export interface LiveSimulator {
  readonly sim: RunningSimulator;
  readonly file: string;
}

export const dumpOf = (sim: RunningSimulator) => sim.control<Dump>('GET', '/state');

/**
 * The files `live` leaves when it is killed now (its snapshot and journals as they are, no clean stop, no lock),
 * copied to `copy` and read by a fresh simulator, which must hold `expected` of what the live one held (by default,
 * all of it). The live one is stopped (its own file, not the copy, takes its stop's write); the fresh one goes on.
 * Only at a still moment: nothing the live simulator has scheduled may change a record while this copies.
 */
export async function restartedFromFiles(
  live: LiveSimulator,
  copy: string,
  running: RunningSimulator[],
  env: Record<string, string> = {},
  expected: (state: Dump) => Dump = (state) => state,
): Promise<LiveSimulator> {
  // Every change marked is written without a request asking (a timer's change is written by itself); then no
  // write or compaction in the background while the files are copied one by one (a kill stops them at one point).
  const marks = live.sim.app.get(SimulatorState);
  const writes = live.sim.app.get(SimulatorStateWrites);
  await waitUntil(async () => !marks.hasChanges(), 10_000, 'every change marked written');
  await writes.settled();
  await writes.compacted();
  const state = await dumpOf(live.sim);
  for (const suffix of ['', '.journal', '.journal.next'])
    if (existsSync(`${live.file}${suffix}`)) copyFileSync(`${live.file}${suffix}`, `${copy}${suffix}`);
  running.splice(running.indexOf(live.sim), 1);
  await live.sim.close();
  const fresh = await startSimulator({ ...env, SIM_STATE_FILE: copy });
  running.push(fresh);
  expect(await dumpOf(fresh)).toEqual(expected(state));
  return { sim: fresh, file: copy };
}

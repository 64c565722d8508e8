import { STATE_LISTS, type SimulatorState } from './simulator-state';
import { STATE_VERSION, currentValue } from './state-journal';

/** About this many characters of records are written out between two turns of the event loop. */
const SLICE_CHARS = 256 * 1024;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The snapshot's text as `snapshotText` has it, written out a slice at a time with the event loop free between
 * slices, so that requests go on meanwhile (a compaction while running). Each record is written whole, as it is when
 * its turn comes: the snapshot is of no one moment, and is right only with the journal that takes every change made
 * from its start (`SimulatorStateWrites`): a record changed after it was written out, or removed, or added, is in that
 * journal, applied over the snapshot at the start.
 */
export async function snapshotTextInSlices(
  state: SimulatorState,
  generation: number,
  pause: () => Promise<void> = nextTurn,
): Promise<string> {
  let text = `{"version":${STATE_VERSION},"savedAt":${JSON.stringify(new Date().toISOString())},"generation":${generation}`;
  let slice = 0;
  for (const list of STATE_LISTS) {
    const ids = list === 'payoutDestinations' ? [...state.payoutDestinations] : [...state[list].keys()];
    const records: string[] = [];
    for (const id of ids) {
      const value = currentValue(state, list, id);
      // Removed since the list was taken: the journal has its removal.
      if (value === undefined) continue;
      const record = JSON.stringify(
        list === 'payoutDestinations' ? id : list === 'operationKeys' ? [id, value] : value,
      );
      records.push(record);
      slice += record.length;
      if (slice >= SLICE_CHARS) {
        slice = 0;
        await pause();
      }
    }
    text += `,${JSON.stringify(list)}:[${records.join(',')}]`;
  }
  return `${text}}`;
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { handleCommand, readState, SqliteEventStore } from '@app/event-store';

/** A counter stream: the state is the sum of the amounts. */
const counter = {
  initialState: 0,
  decide: (command: { add: number }) => [{ type: 'Added', data: { amount: command.add } }],
  evolve: (state: number, event: { type: string; data: unknown }) => state + (event.data as { amount: number }).amount,
};

describe('folded states cached per stream', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'state-cache-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sees what another process (another connection) appended after the cached revision', async () => {
    const file = path.join(dir, 'events.db');
    const mine = new SqliteEventStore({ file });
    const theirs = new SqliteEventStore({ file });
    const metadata = { metadata: { correlationId: 'test' } };
    try {
      await handleCommand(mine, 'counter-1', counter, { add: 1 }, metadata);
      expect((await readState(mine, 'counter-1', counter)).state).toBe(1);
      await handleCommand(theirs, 'counter-1', counter, { add: 10 }, metadata);
      await handleCommand(theirs, 'counter-1', counter, { add: 100 }, metadata);
      expect(await readState(mine, 'counter-1', counter)).toMatchObject({ state: 111, revision: 2 });
      // A command decided on a stale cache conflicts, reads the tail, and decides again.
      await handleCommand(theirs, 'counter-1', counter, { add: 1000 }, metadata);
      const handled = await handleCommand(mine, 'counter-1', counter, { add: 5 }, metadata);
      expect(handled).toMatchObject({ state: 1116, nextRevision: 4 });
      expect((await readState(theirs, 'counter-1', counter)).state).toBe(1116);
    } finally {
      await mine.close();
      await theirs.close();
    }
  });
});

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteEventStore } from '../src/sqlite/sqlite-event-store';
import { SqliteWriter } from '../src/sqlite/sqlite-writer';

const dir = mkdtempSync(path.join(tmpdir(), 'writer-groups-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const event = () => ({ id: randomUUID(), type: 'Happened', data: '{}', metadata: '{}' });

/** A writer on a new log file, counting its groups (`onCommit` runs once a group). */
async function writerOn(name: string, groupEveryMs: number): Promise<{ writer: SqliteWriter; groups: () => number }> {
  const file = path.join(dir, name);
  await new SqliteEventStore({ file }).close(); // the schema
  let groups = 0;
  const writer = new SqliteWriter({
    file,
    busyTimeoutMs: 5_000,
    maxBatch: 1_000,
    maxQueued: 1_000,
    groupEveryMs,
    onCommit: () => (groups += 1),
  });
  return { writer, groups: () => groups };
}

describe('the SQLite writer: appends that come soon after a group', () => {
  it('sends an append after a quiet spell at once, and gathers those that follow within the least time into one group', async () => {
    const { writer, groups } = await writerOn('gathered.db', 1_000);
    try {
      const started = performance.now();
      await writer.append('s-0', [event()], 'any');
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(groups()).toBe(1);
      // Three appends in three turns, right after that group was sent: they wait out the second, together.
      const later = [writer.append('s-1', [event()], 'any')];
      await new Promise(setImmediate);
      later.push(writer.append('s-2', [event()], 'any'));
      await new Promise(setImmediate);
      later.push(writer.append('s-3', [event()], 'any'));
      expect((await Promise.all(later)).map(({ nextRevision }) => nextRevision)).toEqual([0, 0, 0]);
      expect(groups()).toBe(2);
    } finally {
      await writer.close();
    }
  });

  it('with no least time, sends each append that finds the writer idle at the next turn', async () => {
    const { writer, groups } = await writerOn('at-once.db', 0);
    try {
      for (const stream of ['s-0', 's-1', 's-2']) await writer.append(stream, [event()], 'any');
      expect(groups()).toBe(3);
    } finally {
      await writer.close();
    }
  });
});

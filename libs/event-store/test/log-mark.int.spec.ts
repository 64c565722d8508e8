import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { markGone, markOf, markStands, SqliteEventStore, type EventStore } from '@app/event-store';

describe('a checkpoint’s mark: whether the log still has the event it was made at', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'log-mark-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('tells the same log, one without the event (restored from before it), and one with another there', async () => {
    const log = new SqliteEventStore({ file: path.join(dir, 'a.db') });
    const other = new SqliteEventStore({ file: path.join(dir, 'b.db') });
    try {
      await log.append('payment-1', [{ type: 'A', data: {} }], { expectedRevision: 'no_stream' });
      await log.append('payment-1', [{ type: 'B', data: {} }], { expectedRevision: 0 });
      const [, second] = await log.readStream('payment-1');
      const mark = markOf(second!);
      expect(mark).toEqual({ streamName: 'payment-1', revision: 1, eventId: second!.id });
      expect(await markStands(log, mark)).toBe('same');
      // The other log has the stream's first event only: as a backup taken before the second.
      await other.append('payment-1', [{ type: 'A', data: {} }], { expectedRevision: 'no_stream' });
      expect(await markStands(other, mark)).toBe('absent');
      // The embedded log's reads never lag: an event not there is gone.
      expect(await markGone(other, mark)).toBe('absent');
      expect(await markGone(log, mark)).toBeUndefined();
      // And then another event written at that revision since.
      await other.append('payment-1', [{ type: 'C', data: {} }], { expectedRevision: 0 });
      expect(await markStands(other, mark)).toBe('other');
      // The embedded log's reads never lag: an event not there is not there.
      expect((log as EventStore).readsMayLag).toBeFalsy();
    } finally {
      await log.close();
      await other.close();
    }
  });
});

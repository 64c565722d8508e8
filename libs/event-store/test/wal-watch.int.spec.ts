import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WalWatch } from '../src/sqlite/wal-watch';

describe('WalWatch', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'wal-watch-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('tells of writes to the WAL, several at once as one', async () => {
    const database = path.join(dir, 'events.db');
    writeFileSync(`${database}-wal`, '');
    let told = 0;
    const watch = new WalWatch(database, () => (told += 1));
    try {
      expect(watch.watching).toBe(true);
      for (let i = 0; i < 5; i++) appendFileSync(`${database}-wal`, 'frame');
      const deadline = Date.now() + 5_000;
      while (told === 0 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
      expect(told).toBeGreaterThanOrEqual(1);
      // Five writes in one turn: fewer notices than writes reach the store (one per turn of the event loop).
      expect(told).toBeLessThan(5);
    } finally {
      watch.stop();
    }
  });

  it('watches nothing, without failing, where there is no WAL to watch: the poll alone then', () => {
    const watch = new WalWatch(path.join(dir, 'missing', 'events.db'), () => undefined);
    expect(watch.watching).toBe(false);
    watch.stop();
  });
});

import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { SqliteEventStore } from '@app/event-store';
import { take } from './wait';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../../..');
const worker = path.join(__dirname, 'fixtures/append-worker.ts');

function spawnWorker(file: string, id: string, count: number, shared: number) {
  return run(
    process.execPath,
    ['-r', path.join(root, 'scripts/register-ts.cjs'), worker, file, id, String(count), String(shared)],
    {
      cwd: root,
      timeout: 60_000,
    },
  );
}

describe('SQLite event store shared by several processes', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'event-store-processes-'));
    file = path.join(dir, 'events.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loses and duplicates nothing when two processes append at once', async () => {
    await new SqliteEventStore({ file }).close(); // create the schema before both start
    const [a, b] = await Promise.all([spawnWorker(file, 'a', 2_000, 150), spawnWorker(file, 'b', 2_000, 150)]);

    const store = new SqliteEventStore({ file });
    const all = [];
    for (
      let page = await store.readAll({ limit: 10_000 });
      page.length > 0;
      page = await store.readAll({ after: page.at(-1)!.position, limit: 10_000 })
    ) {
      all.push(...page);
    }
    await store.close();

    expect(all).toHaveLength(2 * 2_000 + 2 * 150);
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    for (let i = 1; i < all.length; i++) expect(all[i]!.position).toBeGreaterThan(all[i - 1]!.position);
    const byStream = new Map<string, number[]>();
    for (const e of all) byStream.set(e.streamName, [...(byStream.get(e.streamName) ?? []), e.revision]);
    for (const revisions of byStream.values()) expect(revisions).toEqual([...revisions.keys()]);
    const shared = all.filter((e) => e.streamName === 'shared').map((e) => e.data as { worker: string; i: number });
    expect(
      shared
        .filter((d) => d.worker === 'a')
        .map((d) => d.i)
        .sort((x, y) => x - y),
    ).toEqual([...Array(150).keys()]);
    expect(
      shared
        .filter((d) => d.worker === 'b')
        .map((d) => d.i)
        .sort((x, y) => x - y),
    ).toEqual([...Array(150).keys()]);
    // Both workers raced on the shared stream, so the conflict path was taken, not just the happy path.
    const conflicts = [a, b].map((r) => (JSON.parse(r.stdout) as { conflicts: number }).conflicts);
    expect(conflicts.reduce((x, y) => x + y)).toBeGreaterThan(0);
  });

  it('opens a new file while another process holds it locked, as apps starting together do', async () => {
    // The other process holds the write lock for a while, as another app creating the schema does: the
    // store's setup must wait for it rather than fail with "database is locked".
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require('better-sqlite3'))(process.argv[1]);
         db.pragma('journal_mode = WAL'); db.exec('BEGIN IMMEDIATE; CREATE TABLE other (x)'); console.log('locked');
         setTimeout(() => { db.exec('COMMIT'); db.close(); }, 300);`,
        file,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = once(holder, 'exit');
    await once(holder.stdout, 'data');

    const store = new SqliteEventStore({ file });
    await store.append('opened', [{ id: randomUUID(), type: 'Opened', data: {} }], { expectedRevision: 'no_stream' });
    expect((await store.readStream('opened')).map((e) => e.type)).toEqual(['Opened']);
    await store.close();
    await exited;
  });

  /** The numbers of the 40 events another process appends, as a live subscription of `store` delivers them. */
  async function deliveredFromAnotherProcess(store: SqliteEventStore): Promise<number[]> {
    const live = store.subscribeToAll({ streamPrefixes: ['w'] });
    try {
      const delivered = take(live, 40, 30_000);
      await spawnWorker(file, 'c', 40, 0);
      return (await delivered).map((e) => (e.data as { i: number }).i).sort((x, y) => x - y);
    } finally {
      await live.close();
      await store.close();
    }
  }

  it('wakes a live subscription for events another process wrote', async () => {
    expect(await deliveredFromAnotherProcess(new SqliteEventStore({ file }))).toEqual([...Array(40).keys()]);
  });

  it('wakes it through the watch on the WAL, not the poll, for events another process wrote', async () => {
    // The poll, the backstop, is an hour away: only the WAL's file notices can deliver these in time.
    const store = new SqliteEventStore({ file, pollIntervalMs: 3_600_000 });
    expect(await deliveredFromAnotherProcess(store)).toEqual([...Array(40).keys()]);
  });
});

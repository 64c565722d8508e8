import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { EventStoreUnavailableError, SqliteEventStore, eventStoreProbe } from '@app/event-store';
import { ProblemDetailsFilter } from '@app/platform';
import { succeeds, waitUntil } from '../../../test/support/app-process';

const event = () => ({ id: randomUUID(), type: 'Probed', data: {}, metadata: { correlationId: 'c' } });

/**
 * `GET /health`'s probe of the embedded log: reads go through one connection and appends through the writer
 * thread's, so a log that reads but cannot commit (another process holding the write lock, a full disk) must
 * show down, not only its appends fail.
 */
describe('the health probe of the SQLite log', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sqlite-health-'));
  const file = path.join(dir, 'events.db');
  const store = new SqliteEventStore({ file, busyTimeoutMs: 200 });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is down while another process holds the write lock, up again once it lets go, and writes nothing', async () => {
    await store.append('probed-1', [event()], { expectedRevision: 'no_stream' });
    const probe = eventStoreProbe(store);
    await expect(probe.check()).resolves.toBeUndefined();
    const other = new Database(file);
    other.prepare('BEGIN IMMEDIATE').run();
    try {
      await expect(store.append('probed-1', [event()], { expectedRevision: 0 })).rejects.toBeInstanceOf(
        EventStoreUnavailableError,
      );
      await expect(probe.check()).rejects.toBeInstanceOf(EventStoreUnavailableError);
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
    await expect(probe.check()).resolves.toBeUndefined();
    expect((await store.readAll({ limit: 100 })).map((e) => e.streamName)).toEqual(['probed-1']);
  });
});

/**
 * A small tmpfs standing for a full disk (a full disk: the probe's empty commit takes the lock and writes no page, so
 * only the last commit that wrote can tell): mounted (it needs root, as CI runs), unmounted and removed by `remove`;
 * undefined where it cannot be mounted.
 */
function smallDisk(): { readonly dir: string; readonly remove: () => void } | undefined {
  const dir = mkdtempSync(path.join(tmpdir(), 'sqlite-full-'));
  const remove = () => {
    spawnSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  };
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]).status === 0) return { dir, remove };
  rmSync(dir, { recursive: true, force: true });
  return undefined;
}

/** Whether this process may mount one: tried once, undone at once; the tests on a full disk are skipped if not. */
const mayMount = (() => {
  const disk = smallDisk();
  disk?.remove();
  return disk !== undefined;
})();

/**
 * A store on a small disk of its own, made before the `describe`'s tests and removed after them (in `beforeAll`, so
 * that a run that filters those tests out leaves nothing mounted).
 */
function storeOnSmallDisk(options: Omit<ConstructorParameters<typeof SqliteEventStore>[0], 'file'> = {}) {
  let disk: ReturnType<typeof smallDisk>;
  let store: SqliteEventStore | undefined;
  beforeAll(() => {
    disk = smallDisk();
    if (!disk) throw new Error('could not mount a small disk');
    store = new SqliteEventStore({ file: path.join(disk.dir, 'events.db'), ...options });
  });
  afterAll(async () => {
    await store?.close().catch(() => undefined);
    disk?.remove();
  });
  return {
    get store(): SqliteEventStore {
      return store!;
    },
    get dir(): string {
      return disk!.dir;
    },
  };
}

/** Appends events of `padBytes` until one fails for want of space: that failure. */
async function fill(store: SqliteEventStore, padBytes: number): Promise<unknown> {
  for (let i = 0; i < 10_000; i++) {
    const event = { id: randomUUID(), type: 'Filled', data: { i, pad: 'x'.repeat(padBytes) } };
    const failure = await store.append(`filled-${i}`, [event], { expectedRevision: 'no_stream' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    if (failure !== undefined) return failure;
  }
  return undefined;
}

const one = (stream: string) => [{ id: randomUUID(), type: 'Filled', data: { stream } }];

(mayMount ? describe : describe.skip)('the SQLite log on a full disk', () => {
  const warningEveryMs = 1_500;
  const onDisk = storeOnSmallDisk({ checkpointWarningEveryMs: warningEveryMs });

  it('is down while its appends fail for want of space, warns of its checkpoints at the interval, and is up once one is written', async () => {
    const { store } = onDisk;
    const warnings: { readonly text: string; readonly at: number }[] = [];
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation((warning: string | Error) => {
      if (/checkpoint failed/.test(String(warning))) warnings.push({ text: String(warning), at: performance.now() });
    });
    try {
      expect(await fill(store, 1_000)).toBeInstanceOf(EventStoreUnavailableError);
      await expect(eventStoreProbe(store).check()).rejects.toThrow(/database or disk is full/);
      // The checkpointer fails every 100 ms on a full disk: one warning, then the next only after the interval,
      // saying how many failed meanwhile.
      await waitUntil(() => warnings.length >= 2, 10_000, 'a second checkpoint warning');
      const [first, second] = warnings as [(typeof warnings)[0], (typeof warnings)[0]];
      expect(second.at - first.at).toBeGreaterThanOrEqual(warningEveryMs - 50);
      expect(second.text).toMatch(/\(\d+ times since the last warning\)/);
    } finally {
      warn.mockRestore();
    }
    // Space again (the tmpfs made larger): an append is written, and the probe is up at once.
    expect(spawnSync('mount', ['-o', 'remount,size=64m', onDisk.dir]).status).toBe(0);
    await store.append('after-the-disk-had-room', one('after'), { expectedRevision: 'no_stream' });
    await expect(eventStoreProbe(store).check()).resolves.toBeUndefined();
  });
});

(mayMount ? describe : describe.skip)('the SQLite log out of rotation after its disk was full', () => {
  // The hold after a read-only file or an I/O error, short: a full disk is not released by it.
  const onDisk = storeOnSmallDisk({ storageFailureHoldMs: 1_000 });

  it('stays down while the disk is full, with no append to try it, and is up once the disk has room, before any append', async () => {
    const { store } = onDisk;
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const failure = await fill(store, 20_000);
      expect(failure).toBeInstanceOf(EventStoreUnavailableError);
      // The caller's answer says what is wrong: not a log out of reach, but one with no room, nothing recorded.
      expect(new ProblemDetailsFilter().toProblem(failure, '/v1/terminal-payments')).toMatchObject({
        status: 503,
        code: 'EVENT_STORE_UNAVAILABLE',
        detail: expect.stringMatching(
          /could not write to its disk \(database or disk is full\): the request did not complete/,
        ),
        retryAfterSeconds: expect.any(Number),
      });
      const probe = eventStoreProbe(store);
      // No traffic (a load balancer took it out): down for as long as the disk is full, not up and down.
      for (const deadline = performance.now() + 3_000; performance.now() < deadline;)
        await expect(probe.check()).rejects.toThrow(/database or disk is full/);
      const written = (await store.readAll({ limit: 10_000 })).length;
      // Room again (the tmpfs made larger): up with no append made, so that traffic comes back to it.
      expect(spawnSync('mount', ['-o', 'remount,size=64m', onDisk.dir]).status).toBe(0);
      await waitUntil(() => succeeds(probe.check()), 10_000, 'the probe up once the disk has room');
      expect((await store.readAll({ limit: 10_000 })).length).toBe(written);
      await store.append('after-the-disk-had-room', one('after'), { expectedRevision: 'no_stream' });
      await expect(probe.check()).resolves.toBeUndefined();
    } finally {
      warn.mockRestore();
    }
  });
});

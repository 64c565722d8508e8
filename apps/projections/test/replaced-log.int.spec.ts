import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitUntil } from '../../../test/support/app-process';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import {
  logOfStores,
  projectUntil,
  NATS_URL,
  bucketContents,
  removeNatsState,
  startProjections,
  uniquePrefix,
} from '../../../test/support/projections';
import { ProjectorService } from '../src/projector/projector.service';

describe('projections over a log that was replaced', () => {
  const prefix = uniquePrefix();
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'replaced-log-'))));
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await removeNatsState(prefix);
  });

  const project = (file: string, head: bigint) => projectUntil(file, prefix, head);

  it('starts its read models again from position 0 instead of serving another log’s documents', async () => {
    const first = path.join(dir, 'first.db');
    await project(first, await logOfStores(first, ['a-1', 'a-2', 'a-3']));
    expect(Object.keys(await bucketContents(prefix, 'stores')).sort()).toEqual(['a-1', 'a-2', 'a-3']);

    // A new, shorter log (say `rm -rf data` before `npm start`) with the same NATS.
    const second = path.join(dir, 'second.db');
    await project(second, await logOfStores(second, ['b-1']));
    expect(Object.keys(await bucketContents(prefix, 'stores'))).toEqual(['b-1']);

    // A new log already longer than the old checkpoint: positions alone would take it for the old one.
    const third = path.join(dir, 'third.db');
    await project(third, await logOfStores(third, ['c-1', 'c-2', 'c-3', 'c-4', 'c-5']));
    expect(Object.keys(await bucketContents(prefix, 'stores')).sort()).toEqual(['c-1', 'c-2', 'c-3', 'c-4', 'c-5']);
  });

  it('starts again from position 0 over a log restored from a backup: the same identity, new events at old positions', async () => {
    const file = path.join(dir, 'restored.db');
    const backup = path.join(dir, 'restored-backup.db');
    // The projector names the log (its identity) on its first run: the backup has the identity.
    await project(file, await logOfStores(file, ['r-1']));
    copyFileSync(file, backup);
    await project(file, await logOfStores(file, ['r-2', 'r-3']));
    expect(Object.keys(await bucketContents(prefix, 'stores')).sort()).toEqual(['r-1', 'r-2', 'r-3']);

    // The engine stopped, the backup put in place, and a new store registered: at a position r-2's had.
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(`${file}${suffix}`)) rmSync(`${file}${suffix}`);
    copyFileSync(backup, file);
    await project(file, await logOfStores(file, ['r-4']));
    // The log's stores: r-2 and r-3 went with the restore; r-4, written after it, is not passed by.
    expect(Object.keys(await bucketContents(prefix, 'stores')).sort()).toEqual(['r-1', 'r-4']);
    // Run again on the restored log, the read models stay (the checkpoint now names this log's event).
    await project(file, await logOfStores(file, ['r-5']));
    expect(Object.keys(await bucketContents(prefix, 'stores')).sort()).toEqual(['r-1', 'r-4', 'r-5']);
  });

  it('tells a checkpoint from before log identities by its position, once', async () => {
    const file = path.join(dir, 'legacy.db');
    const head = await logOfStores(file, ['e-1']);
    // As an older version left it: a bare position, past this log's head (it was another, longer log's).
    const nats = await connect({ servers: NATS_URL });
    await (await new Kvm(nats).open(`${prefix}_projections`)).put('checkpoint', (head + 1_000n).toString());
    await nats.close();
    await project(file, head);
    expect(Object.keys(await bucketContents(prefix, 'stores'))).toEqual(['e-1']);
  });

  it('keeps its read models when the log is the same one, whatever its head says', async () => {
    const file = path.join(dir, 'same.db');
    await project(file, await logOfStores(file, ['d-1', 'd-2']));
    // The checkpoint now ahead of the log's head, as when the log is read through a KurrentDB follower that
    // lags behind the leader the checkpoint was made on.
    const nats = await connect({ servers: NATS_URL });
    const state = await new Kvm(nats).open(`${prefix}_projections`);
    const saved = JSON.parse((await state.get('checkpoint'))!.string()) as { position: string; logId: string };
    const ahead = (BigInt(saved.position) + 1_000n).toString();
    await state.put('checkpoint', JSON.stringify({ ...saved, position: ahead }));
    await nats.close();
    const app = await startProjections({ EVENT_STORE_URL: `sqlite:${file}`, NATS_PREFIX: prefix });
    try {
      expect(app.get(ProjectorService).checkpoint.toString()).toBe(ahead);
    } finally {
      await app.close();
    }
    expect(Object.keys(await bucketContents(prefix, 'stores')).sort()).toEqual(['d-1', 'd-2']);
  });

  it('refuses to start beside a live engine of another log on the same prefix, and starts once it has stopped', async () => {
    const running = path.join(dir, 'running.db');
    const head = await logOfStores(running, ['r-1']);
    const first = await startProjections({ EVENT_STORE_URL: `sqlite:${running}`, NATS_PREFIX: prefix });
    const other = path.join(dir, 'other.db');
    await logOfStores(other, ['o-1']);
    try {
      await waitUntil(() => first.get(ProjectorService).checkpoint >= head, 10_000, 'the first projector writing');
      // Another DATA_DIR, the same NATS_PREFIX: waited for one lease (its holder might have died), then refused.
      await expect(startProjections({ EVENT_STORE_URL: `sqlite:${other}`, NATS_PREFIX: prefix })).rejects.toThrow(
        new RegExp(`NATS_PREFIX ${prefix} is in use by an engine of another event log .* holds the lease`),
      );
      expect(Object.keys(await bucketContents(prefix, 'stores'))).toEqual(['r-1']);
    } finally {
      await first.close();
    }
    // Stopped, it gave the lease up: the engine of the other log starts (and folds its own log from 0).
    const second = await startProjections({ EVENT_STORE_URL: `sqlite:${other}`, NATS_PREFIX: prefix });
    await second.close();
  });
});

import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { logIdentity, SqliteEventStore } from '@app/event-store';
import { waitUntil } from '../../../test/support/app-process';
import { startIngestService } from '../../../test/support/ingest-service';
import { removeNatsState } from '../../../test/support/nats-state';
import { orphanClaim, terminalFree } from '../../../test/support/orphan-claim';
import { uniquePrefix } from '../../../test/support/projections';
import { startSimulator, type RunningSimulator } from '../../../test/support/simulator';
import { ReconcilerService } from '../src/reconciler/reconciler.service';

/**
 * The embedded log restored from a backup (`docs/operations.md`, "Backups") under a reconciler checkpoint made
 * later: the log keeps its identity, and its new events take the positions the lost ones had.
 */
describe('the reconciler over a log restored from a backup', () => {
  const prefix = uniquePrefix();
  const dir = mkdtempSync(path.join(tmpdir(), 'reconciler-restore-'));
  const file = path.join(dir, 'events.db');
  const backup = path.join(dir, 'backup.db');
  let sim: RunningSimulator;
  beforeAll(async () => (sim = await startSimulator()));
  afterAll(async () => {
    await sim.close();
    await removeNatsState(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Claims of terminals with nothing recorded behind them: the reconciler releases each after its grace. */
  const claim = async (...terminalIds: string[]) => {
    const log = new SqliteEventStore({ file });
    for (const terminalId of terminalIds)
      await orphanClaim(log, terminalId, { storeId: 'oslo', correlationId: 'restore-test' });
    const head = await log.headPosition();
    await log.close();
    return head;
  };
  const released = async (terminalId: string) => {
    const log = new SqliteEventStore({ file });
    try {
      return await terminalFree(log, terminalId);
    } finally {
      await log.close();
    }
  };
  const reconciler = () =>
    startIngestService({
      EVENT_STORE_URL: `sqlite:${file}`,
      NATS_PREFIX: prefix,
      DINTERO_API_URL: sim.url,
      DINTERO_CHECKOUT_URL: sim.url,
      RECONCILER_GRACE_SECONDS: '0',
      RECONCILER_ORPHAN_CLAIM_SECONDS: '1',
    });

  it('follows the log from its start when it no longer has the event its checkpoint was made at', async () => {
    await claim('R-1', 'R-2');
    // The log has its identity when the backup is taken, as any log the engine has run on: the restore keeps it.
    const named = new SqliteEventStore({ file });
    const logId = await logIdentity(named);
    await named.close();
    copyFileSync(file, backup);
    await claim('R-3', 'R-4', 'R-5', 'R-6');
    const first = await reconciler();
    await waitUntil(async () => (await Promise.all(['R-1', 'R-6'].map(released))).every(Boolean), 15_000, 'released');
    const log = first.log;
    await waitUntil(
      async () => first.app.get(ReconcilerService).following >= (await log.headPosition()),
      10_000,
      'the reconciler at the head',
    );
    await first.close(); // saves its checkpoint, at the last release

    // The backup restored (the engine stopped), and a new claim written at a position the lost events had.
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(`${file}${suffix}`)) rmSync(`${file}${suffix}`);
    copyFileSync(backup, file);
    await claim('R-NEW');

    const second = await reconciler();
    try {
      expect(await logIdentity(second.log)).toBe(logId);
      expect(second.app.get(ReconcilerService).resumedFrom).toBe(0n);
      await waitUntil(() => released('R-NEW'), 15_000, 'the claim written after the restore released');
    } finally {
      await second.close(); // saves its checkpoint, over the one of the lost events, though that one was further
    }

    // Started again: from the checkpoint of the log as it is now, not from the log's start once more.
    const third = await reconciler();
    try {
      expect(third.app.get(ReconcilerService).resumedFrom).toBeGreaterThan(0n);
    } finally {
      await third.close();
    }
  });
});

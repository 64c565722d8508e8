import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteEventStore } from '@app/event-store';
import { freePort, waitUntil } from './support/app-process';
import { startCommandService } from './support/command-service';
import { startIngestService } from './support/ingest-service';
import { writePosClients } from './support/pos-clients';
import { removeNatsState, startProjections, uniquePrefix } from './support/projections';
import { storeRegistered } from './support/recorded-events';
import { sideBySide } from './support/side-by-side';
import { ProjectorService } from '../apps/projections/src/projector/projector.service';

/**
 * The apps run apart (as compose runs them): a command service or an ingest pointed at another event log than the
 * live projector of its NATS prefix would take payments, or record Dintero's facts, into a log no read model shows.
 */
describe('an app run apart on another log than its NATS prefix’s engine', () => {
  const prefix = uniquePrefix();
  let dir: string;
  let projector: Awaited<ReturnType<typeof startProjections>>;
  let live: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'another-log-'));
    live = path.join(dir, 'live.db');
    const log = new SqliteEventStore({ file: live });
    await log.append('store-al-1', [storeRegistered('al-1', '2026-11-24T10:00:00.000Z')], {
      expectedRevision: 'no_stream',
    });
    const head = await log.headPosition();
    await log.close();
    projector = await startProjections({
      EVENT_STORE_URL: `sqlite:${live}`,
      NATS_PREFIX: prefix,
      PROJECTOR_LEASE_SECONDS: '2',
    });
    await waitUntil(() => projector.get(ProjectorService).checkpoint >= head, 10_000, 'the live projector leading');
  });
  afterAll(async () => {
    await projector.close();
    rmSync(dir, { recursive: true, force: true });
    await removeNatsState(prefix);
  });

  // Each refusal waits out one lease of the live projector (2 s) first: the three run side by side.
  describe('on another log, side by side', () => {
    const together = sideBySide();

    together('refuses to start a command service on another log, waiting one lease first', async () => {
      const other = `sqlite:${path.join(dir, 'other-command.db')}`;
      const started = Date.now();
      await expect(startCommandService({ EVENT_STORE_URL: other, NATS_PREFIX: prefix })).rejects.toThrow(
        new RegExp(`NATS_PREFIX ${prefix} is in use by an engine of another event log`),
      );
      // The lease of a holder that died lapses within one lease: refused only after it.
      expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    });

    together('refuses to start an ingest service on another log', async () => {
      const other = `sqlite:${path.join(dir, 'other-ingest.db')}`;
      await expect(startIngestService({ EVENT_STORE_URL: other, NATS_PREFIX: prefix })).rejects.toThrow(
        new RegExp(`NATS_PREFIX ${prefix} is in use by an engine of another event log`),
      );
    });

    // What a person starting it reads: the refusal says what to do; a stack trace would bury it as a crash.
    together('refuses a command service run as its own process in words alone, without a stack trace', async () => {
      const env = {
        PATH: process.env.PATH ?? '',
        LOG_LEVEL: 'silent',
        EVENT_STORE_URL: `sqlite:${path.join(dir, 'other-process.db')}`,
        NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
        NATS_PREFIX: prefix,
        POS_CLIENTS_FILE: writePosClients(dir),
        PORT: String(await freePort()),
      };
      const root = path.resolve(__dirname, '..');
      const main = ['-r', path.join(root, 'scripts/register-ts.cjs'), 'apps/command-service/src/main.ts'];
      const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = execFile(process.execPath, main, { cwd: root, env, timeout: 60_000 }, (_error, stdout, stderr) =>
          resolve({ code: child.exitCode, output: `${stdout}${stderr}` }),
        );
      });
      expect(code).toBe(1);
      expect(output).toContain(`NATS_PREFIX ${prefix} is in use by an engine of another event log`);
      expect(output).not.toMatch(/^\s+at /m);
    });
  });

  it('starts both on the live engine’s own log', async () => {
    const command = await startCommandService({ EVENT_STORE_URL: `sqlite:${live}`, NATS_PREFIX: prefix });
    const ingest = await startIngestService({ EVENT_STORE_URL: `sqlite:${live}`, NATS_PREFIX: prefix });
    expect((await command.fetch('/v1/stores/al-1')).status).toBe(200);
    await ingest.close();
    await command.close();
  });
});

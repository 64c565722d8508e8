import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { startIngestService } from '../../../test/support/ingest-service';
import { removeNatsState, uniquePrefix } from '../../../test/support/nats-state';

type Line = { fields: Record<string, unknown>; msg: unknown };

/**
 * What the reconciler says at start, from its checkpoint or from the log's start: the position, and how many payments
 * are due then, as it said before its checkpoint was kept by the `CheckpointKeeper` every worker shares.
 */
describe('the reconciler’s line at start', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reconciler-start-line-'));
  const prefix = uniquePrefix();
  const lines: Line[] = [];

  beforeAll(() => {
    // Called with its own `this` below (`apply`): the logger it was on.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const original = Logger.prototype.log;
    jest.spyOn(Logger.prototype, 'log').mockImplementation(function (this: Logger, ...args: unknown[]) {
      const [fields, msg] = args;
      if (typeof fields === 'object' && fields !== null) lines.push({ fields: fields as Record<string, unknown>, msg });
      return (original as (...a: unknown[]) => void).apply(this, args);
    });
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await removeNatsState(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the position and the payments due, following the log from its start and resuming from its checkpoint', async () => {
    const env = { EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`, NATS_PREFIX: prefix };
    for (const msg of ['reconciler following the log from its start', 'reconciler resuming from its checkpoint']) {
      const ingest = await startIngestService(env);
      await ingest.close();
      expect(lines.filter((line) => line.msg === msg).map(({ fields }) => fields)).toEqual([
        { position: expect.any(String), due: 0 },
      ]);
    }
  });
});

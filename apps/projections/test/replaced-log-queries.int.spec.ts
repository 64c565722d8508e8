import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { RecordedEvent } from '@app/event-store';
import { natsNames } from '@app/messaging';
import { waitUntil } from '../../../test/support/app-process';
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
import { ReadModelWriter } from '../src/projector/read-model.writer';

describe('the queries while the projector folds a replaced log from position 0', () => {
  const prefix = uniquePrefix();
  const names = natsNames(prefix);
  let dir: string;
  let nats: NatsConnection;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'replaced-log-queries-'));
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    await nats.close();
    rmSync(dir, { recursive: true, force: true });
    await removeNatsState(prefix);
  });

  const query = async (subject: string, body: unknown) =>
    (await nats.request(subject, JSON.stringify(body), { timeout: 5_000 })).json<{
      status: number;
      body: Record<string, unknown>;
    }>();

  it('answers not ready (503) rather than not found (404) for what is not folded yet, the store day too', async () => {
    const first = path.join(dir, 'first.db');
    await projectUntil(first, prefix, await logOfStores(first, ['a-1']));

    // Another log on the same NATS: its fold from 0 is held at its first event, so nothing of it is folded yet.
    const second = path.join(dir, 'second.db');
    const head = await logOfStores(second, ['b-1']);
    let reach!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((resolve) => (reach = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    type Applies = { apply: (event: RecordedEvent) => Promise<void> };
    const apply = (ReadModelWriter.prototype as unknown as Applies).apply;
    const held = jest
      .spyOn(ReadModelWriter.prototype as unknown as Applies, 'apply')
      .mockImplementation(async function (this: Applies, event: RecordedEvent) {
        reach();
        await released;
        return apply.call(this, event);
      });
    const app = await startProjections({ EVENT_STORE_URL: `sqlite:${second}`, NATS_PREFIX: prefix });
    try {
      await reached;
      const notReady = { status: 503, body: { code: 'READ_MODELS_NOT_READY' } };
      expect(await query(names.queries.storeDay, { storeId: 'b-1', date: '2026-11-24' })).toMatchObject(notReady);
      expect(await query(names.queries.store, { storeId: 'b-1' })).toMatchObject(notReady);
      expect(await query(names.queries.storeTerminals, { storeId: 'b-1' })).toMatchObject(notReady);
      expect(await query(names.queries.terminal, { storeId: 'b-1', terminalId: 'T-1' })).toMatchObject(notReady);

      // Folded, and the other log's documents replaced: what the log has is found, and what it has not is not.
      release();
      await waitUntil(() => app.get(ProjectorService).checkpoint >= head, 10_000, 'the second log projected');
      expect(Object.keys(await bucketContents(prefix, 'stores'))).toEqual(['b-1']);
      expect(await query(names.queries.store, { storeId: 'b-1' })).toMatchObject({ status: 200 });
      expect(await query(names.queries.storeTerminals, { storeId: 'b-1' })).toMatchObject({ status: 200 });
      expect(await query(names.queries.store, { storeId: 'a-1' })).toMatchObject({ status: 404 });
      expect(await query(names.queries.terminal, { storeId: 'b-1', terminalId: 'T-1' })).toMatchObject({
        status: 404,
        body: { code: 'NOT_FOUND' },
      });
    } finally {
      release();
      held.mockRestore();
      await app.close();
    }
  });
});

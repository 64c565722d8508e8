import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SqliteEventStore, type NewEvent } from '@app/event-store';
import { natsNames } from '@app/messaging';
import { addDays } from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { event, paymentEvents } from '../../../test/support/payment-events';
import {
  NATS_URL,
  bucketContents,
  foldFromScratch,
  removeNatsState,
  startProjections,
  uniquePrefix,
} from '../../../test/support/projections';
import { ProjectorService } from '../src/projector/projector.service';
import { DAYS_KEPT } from '../src/read-models/store-days';

describe('projections: a store’s past days out of memory, in KV', () => {
  const prefix = uniquePrefix();
  const where = { storeId: 'oslo', terminalId: 'PD-1' };
  let dir: string;
  let log: SqliteEventStore;
  let nats: NatsConnection;
  let app: NestFastifyApplication | undefined;
  const revisions = new Map<string, number>();
  /** The last event appended here: the log's identity, which the projector writes, is not projected. */
  let appended = 0n;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'past-days-'));
    log = new SqliteEventStore({ file: path.join(dir, 'events.db') });
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    await app?.close();
    await log.close();
    await nats.close();
    await removeNatsState(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  const append = async (stream: string, events: NewEvent[]) => {
    const expected = revisions.get(stream);
    const result = await log.append(stream, events, { expectedRevision: expected ?? 'no_stream' });
    revisions.set(stream, result.nextRevision);
    appended = result.position;
  };
  const noon = (d: number) => Date.parse(`${addDays('2026-11-01', d)}T11:00:00.000Z`);
  const project = async () => {
    await app?.close();
    app = await startProjections({ EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`, NATS_PREFIX: prefix });
    const service = app.get(ProjectorService);
    await waitUntil(() => service.checkpoint >= appended, 15_000, 'the projector at the end of the log');
    return service;
  };
  const query = async (date: string) =>
    (
      await nats.request(natsNames(prefix).queries.storeDay, JSON.stringify({ storeId: 'oslo', date }), {
        timeout: 5_000,
      })
    ).json<{ status: number; body: { currencies: { NOK?: { capturedCount: number } } } }>();

  it('answers for a day out of memory from KV, and counts a late capture into it after a restart', async () => {
    await append('store-oslo', [
      event(
        'StoreRegistered',
        {
          storeId: 'oslo',
          name: 'Oslo',
          payoutDestinationId: 'p',
          timeZone: 'Europe/Oslo',
          at: '2026-10-31T00:00:00Z',
        },
        where,
      ),
      event('TerminalRegistered', { ...where, at: '2026-10-31T00:00:00.000Z' }, where),
    ]);
    // Three payments a day for twice the days a projector keeps; every 20th is refunded, some declined.
    for (let d = 0; d < 2 * DAYS_KEPT; d++)
      for (let n = 0; n < 3; n++)
        for (const { stream, events } of paymentEvents(d * 3 + n, where, noon(d) + n * 60_000))
          await append(stream, events);
    const service = await project();
    const first = addDays('2026-11-01', 0);
    expect(service.models.storeDay('oslo', first)).toBeUndefined();
    expect(service.models.storeDay('oslo', addDays('2026-11-01', 2 * DAYS_KEPT - 1))).toBeDefined();
    const answer = await query(first);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual((await bucketContents(prefix, 'storeDays'))[`oslo.${first}`]);

    // Restarted, the projector loads only its window; then Dintero reports a capture of the first day.
    await project();
    const before = answer.body.currencies.NOK?.capturedCount ?? 0;
    const late = paymentEvents(1, where, noon(2 * DAYS_KEPT));
    const dinteroAt = new Date(noon(0) + 3_600_000).toISOString();
    for (const { stream, events } of late)
      await append(
        stream,
        events.map((recorded) =>
          recorded.type === 'PaymentCaptured'
            ? { ...recorded, data: { ...(recorded.data as object), dinteroAt } }
            : recorded,
        ),
      );
    await project();
    expect((await query(first)).body.currencies.NOK?.capturedCount).toBe(before + 1);

    const scratch = await foldFromScratch(log);
    const days = await bucketContents(prefix, 'storeDays');
    expect(Object.keys(days)).toHaveLength(2 * DAYS_KEPT);
    for (const [key, doc] of Object.entries(days)) {
      const [storeId, date] = [key.slice(0, -11), key.slice(-10)];
      expect(doc).toEqual(scratch.storeDay(storeId, date));
    }
  });
});

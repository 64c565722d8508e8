import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SqliteEventStore } from '@app/event-store';
import { natsNames } from '@app/messaging';
import { waitUntil } from '../../../test/support/app-process';
import { event } from '../../../test/support/payment-events';
import { NATS_URL, startProjections, tearDownProjections, uniquePrefix } from '../../../test/support/projections';
import type { StoreDoc } from '../src/read-models/read-model.types';

/**
 * Read-model buckets made by an earlier version (the projector published the change subjects then, and the
 * buckets do not republish). Whether this NATS server can add the republishing or not, the change subjects
 * carry every document the projector writes.
 */
describe('projections over buckets of an earlier version', () => {
  const prefix = uniquePrefix();
  const names = natsNames(prefix);
  const dir = mkdtempSync(path.join(tmpdir(), 'legacy-buckets-'));
  const file = path.join(dir, 'events.db');
  const log = new SqliteEventStore({ file });
  let nats: NatsConnection;
  let app: NestFastifyApplication | undefined;

  beforeAll(async () => {
    nats = await connect({ servers: NATS_URL });
    const kvm = new Kvm(nats);
    for (const bucket of [names.buckets.terminals, names.buckets.stores, names.buckets.storeDays])
      await kvm.create(bucket, { history: 1 });
  });
  afterAll(() => tearDownProjections({ app, log, nats, prefix, dir }));

  it('publishes each store document it writes on the store’s change subject', async () => {
    const published: StoreDoc[] = [];
    const subscription = nats.subscribe(names.changes.store('oslo'), {
      callback: (error, msg) => {
        if (!error) published.push(msg.json<StoreDoc>());
      },
    });
    await nats.flush();
    app = await startProjections({ EVENT_STORE_URL: `sqlite:${file}`, NATS_PREFIX: prefix });

    const ids = { storeId: 'oslo' };
    const at = '2026-12-02T08:00:00.000Z';
    const registered = await log.append(
      'store-oslo',
      [event('StoreRegistered', { storeId: 'oslo', name: 'Oslo', payoutDestinationId: 'p', timeZone: 'UTC', at }, ids)],
      { expectedRevision: 'no_stream' },
    );
    await waitUntil(() => published.length > 0, 10_000, 'the store published');
    subscription.unsubscribe();
    expect(published.at(-1)).toMatchObject({ storeId: 'oslo', name: 'Oslo', position: String(registered.position) });
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { EVENT_STORE, type SqliteEventStore } from '@app/event-store';
import { waitUntil } from '../../../test/support/app-process';
import { storeRegistered } from '../../../test/support/recorded-events';
import { bucketContents, removeNatsState, startProjections, uniquePrefix } from '../../../test/support/projections';
import { ProjectorService } from '../src/projector/projector.service';

describe('the projector after its subscription to the log drops', () => {
  const prefix = uniquePrefix();
  const dir = mkdtempSync(path.join(tmpdir(), 'projector-drop-'));
  let app: NestFastifyApplication;
  let log: SqliteEventStore;
  beforeAll(async () => {
    app = await startProjections({ EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`, NATS_PREFIX: prefix });
    log = app.get<SqliteEventStore>(EVENT_STORE);
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
    await removeNatsState(prefix);
  });

  const registerStore = (storeId: string) =>
    log.append(`store-${storeId}`, [storeRegistered(storeId)], { expectedRevision: 'no_stream' });

  it('resubscribes after the last event it applied: what came meanwhile is projected', async () => {
    const projector = app.get(ProjectorService);
    const first = await registerStore('before-drop');
    await waitUntil(() => projector.checkpoint >= first.position, 10_000, 'the first store projected');
    // As KurrentDB ends its subscriptions on a leader change; one event comes while it is down.
    log.dropSubscriptions();
    const second = await registerStore('after-drop');
    await waitUntil(() => projector.checkpoint >= second.position, 10_000, 'the store recorded after the drop');
    expect(Object.keys(await bucketContents(prefix, 'stores')).sort()).toEqual(['after-drop', 'before-drop']);
    const metrics = await (await fetch(`${await app.getUrl()}/metrics`)).text();
    expect(metrics).toMatch(/^event_log_subscription_drops_total\{[^}]*subscriber="projector"[^}]*\} 1$/m);
    // The document reflects the event recorded while the subscription was down. (That the follower neither
    // misses nor repeats an event across a drop is shown event by event in log-subscriptions.int.)
    const stores = (await bucketContents(prefix, 'stores')) as Record<string, { position: string }>;
    expect(stores['after-drop']!.position).toBe(second.position.toString());
  });
});

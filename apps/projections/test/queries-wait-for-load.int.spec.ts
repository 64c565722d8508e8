import type { EventStore } from '@app/event-store';
import { natsNames } from '@app/messaging';
import { waitUntil } from '../../../test/support/app-process';
import { logOutage } from '../../../test/support/log-outage';
import { ownLogAndNats } from '../../../test/support/own-log-and-nats';
import { projectionsApp } from '../../../test/support/projections';
import { registerLongAgo } from '../../../test/support/registered-long-ago';
import { healthOf, startedApps } from '../../../test/support/started-app';
import { ProjectorService } from '../src/projector/projector.service';

/**
 * A projections instance still loading its read models (the log out of reach as it starts) is no member of the queue
 * group of the NATS queries: it took its share of them only to answer 503 `READ_MODELS_NOT_READY`, while an instance
 * on the same log that had loaded them could have answered. It joins once they are loaded. Held here at the load's
 * first read (the log's head), the check that no engine of another log runs on the prefix made already.
 */
describe('the NATS queries of a projections instance still loading its read models', () => {
  const apps = startedApps();
  const own = ownLogAndNats('queries-wait-for-load', () => apps.closeAll());
  const { queries } = natsNames(own.prefix);

  const boot = async (store: EventStore) =>
    apps.listen(await projectionsApp({ ...own.env, HTTP_RATE_LIMIT_PER_MINUTE: '0' }, { eventStore: store }));
  const ask = async () =>
    (await own.nats.request(queries.store, JSON.stringify({ storeId: 'load-a' }), { timeout: 5_000 })).json<{
      status: number;
      body: { storeId?: string; code?: string };
    }>();

  it('takes no share of the queries until its read models are loaded, and answers once they are', async () => {
    const { log } = own;
    await registerLongAgo(log, 'load-a', ['LA-1']);
    const head = await log.headPosition();
    const ready = await boot(log);
    await waitUntil(() => ready.app.get(ProjectorService).checkpoint >= head, 10_000, 'the ready instance at the head');

    const outage = logOutage(log, ['headPosition']);
    const loading = await boot(outage.store);
    await waitUntil(() => outage.failures >= 1, 10_000, 'the second instance loading');
    // Beside an instance that has loaded them, every query goes to that one.
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push(await ask());
    expect(answers.map(({ status, body }) => `${status} ${body.storeId ?? body.code}`)).toEqual(
      Array.from({ length: 20 }, () => '200 load-a'),
    );
    // Still loading all along: the answers were not the other's once it had loaded.
    expect(loading.app.get(ProjectorService).loaded).toBe(false);

    // Alone, nothing answers over NATS: the caller is told so at once, as when no instance runs. `/health` says why.
    await apps.stop(ready.app);
    await expect(ask()).rejects.toThrow(/no responders/i);
    const health = await healthOf(loading.url);
    expect(health.status).toBe(503);
    expect(health.body).toContain('not started yet, trying again: projector');

    // Loaded, it joins the queue group and answers.
    outage.end();
    await waitUntil(
      () =>
        ask().then(
          ({ status }) => status === 200,
          () => false,
        ),
      40_000,
      'the instance answering once loaded',
    );
    expect(await ask()).toMatchObject({ status: 200, body: { storeId: 'load-a' } });
    await apps.stop(loading.app);
  }, 60_000);
});

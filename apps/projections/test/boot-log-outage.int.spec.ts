import path from 'node:path';
import { Kvm } from '@nats-io/kv';
import type { EventStore } from '@app/event-store';
import { natsNames } from '@app/messaging';
import { waitUntil } from '../../../test/support/app-process';
import { logOutage } from '../../../test/support/log-outage';
import { loggedLines } from '../../../test/support/logged-lines';
import { testOperator, writeOperatorsFile } from '../../../test/support/operators';
import { ownLogAndNats } from '../../../test/support/own-log-and-nats';
import { bucketContents, foldFromScratch, projectionsApp } from '../../../test/support/projections';
import { registerLongAgo } from '../../../test/support/registered-long-ago';
import { healthOf, startedApps } from '../../../test/support/started-app';
import { ProjectorService } from '../src/projector/projector.service';
import { PROJECTED_STREAMS } from '../src/projector/projected-streams';
import { ReadModelBuckets } from '../src/projector/read-model.buckets';
import { rebuildReadModels } from '../src/rebuild/rebuild';

/**
 * The log's reads failing as the projections app starts (KurrentDB electing a leader, SQLite's file busy): the
 * projector reads the log's identity, its head and the event its checkpoint was made at before it folds on. Where the
 * first failed read rejected the app's start (the process exited, and `apps/engine` with it), the app listens, answers
 * the dashboard's data 503 `READ_MODELS_NOT_READY`, takes no NATS query (it is not in their queue group yet), `/health`
 * names the projector, nothing is written; once the log answers, the projector starts from its checkpoint and catches
 * up, as a start that never failed.
 */
describe('the projections app when the log does not answer at start', () => {
  const apps = startedApps();
  const own = ownLogAndNats('projections-boot-log-outage', () => apps.closeAll());
  const { prefix } = own;
  const names = natsNames(prefix);
  const operator = testOperator('boot-office');
  const operatorsFile = writeOperatorsFile(path.join(own.dir, 'operators.json'), [operator]);

  /** The projections app on `store`, listening. */
  const boot = async (store: EventStore) =>
    apps.listen(
      await projectionsApp(
        { ...own.env, OPERATORS_FILE: operatorsFile, HTTP_RATE_LIMIT_PER_MINUTE: '0' },
        { eventStore: store },
      ),
    );
  const { stop } = apps;
  const health = healthOf;
  const query = async (subject: string, body: unknown) =>
    (await own.nats.request(subject, JSON.stringify(body), { timeout: 5_000 })).json<{
      status: number;
      body: Record<string, unknown>;
    }>();
  const dashboard = async (url: string, route: 'stores' | 'stream') => {
    const response = await fetch(`${url}/v1/dashboard/${route}`, {
      headers: { authorization: `Bearer ${operator.key}` },
    });
    const body = route === 'stores' || response.status !== 200 ? await response.json() : undefined;
    if (body === undefined) await response.body?.cancel();
    return { status: response.status, body };
  };
  /** The checkpoint and the documents in KV: what a projector writes. */
  const kv = async () => {
    const buckets = await ReadModelBuckets.existing(own.nats, prefix, '');
    const { position, logId, mark } = await buckets.checkpoint();
    return {
      checkpoint: { position, logId, mark },
      stores: await bucketContents(prefix, 'stores'),
      terminals: await bucketContents(prefix, 'terminals'),
    };
  };
  const tryAgain = 'projector could not start (the log or NATS did not answer): trying again';

  it('listens, answers 503 READ_MODELS_NOT_READY and writes nothing until the log answers, then catches up from its checkpoint', async () => {
    const { log } = own;
    // A first run that starts cleanly and writes its checkpoint at the log's head.
    await registerLongAgo(log, 'boot-a', ['BA-1']);
    const head = await log.headPosition();
    const first = await boot(log);
    await waitUntil(() => first.app.get(ProjectorService).checkpoint >= head, 10_000, 'the first run at the head');
    await stop(first.app);

    // Written while the projector is down: its next start must fold it.
    await registerLongAgo(log, 'boot-b', ['BB-1']);
    const before = await kv();
    expect(Object.keys(before.stores)).toEqual(['boot-a']);

    // Every read of the log fails as the app starts: its identity, its head, the event of the checkpoint.
    const outage = logOutage(log, ['readStream', 'headPosition', 'readAll']);
    const warnings = loggedLines('warn');
    const errors = loggedLines('error');
    const { app, url } = await boot(outage.store);

    const down = await health(url);
    expect(down.status).toBe(503);
    expect(down.body).toContain('not started yet, trying again: projector');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^event_log_subscription_up\{[^}]*subscriber="projector"[^}]*\} 0$/m);
    // Not "not found", nor a 503 that a loaded instance beside it could have answered: not in the queue group of the
    // queries yet, whatever is asked (a malformed query too), the caller is told at once that no one answers.
    const noResponders = /no responders/i;
    await expect(query(names.queries.store, { storeId: 'boot-a' })).rejects.toThrow(noResponders);
    await expect(query(names.queries.store, { storeId: 'nowhere' })).rejects.toThrow(noResponders);
    await expect(query(names.queries.storeTerminals, { storeId: 'boot-a' })).rejects.toThrow(noResponders);
    await expect(query(names.queries.terminal, { storeId: 'boot-a', terminalId: 'BA-1' })).rejects.toThrow(
      noResponders,
    );
    await expect(query(names.queries.storeDay, { storeId: 'boot-a', date: '2026-12-01' })).rejects.toThrow(
      noResponders,
    );
    await expect(query(names.queries.store, { storeId: 'not a token' })).rejects.toThrow(noResponders);
    expect(await dashboard(url, 'stores')).toMatchObject({ status: 503, body: { code: 'READ_MODELS_NOT_READY' } });
    expect(await dashboard(url, 'stream')).toMatchObject({ status: 503, body: { code: 'READ_MODELS_NOT_READY' } });
    // Not an error line per answer: the outage is said as the start's tries fail (below, backing off), `/health` names
    // it, the metrics count the 503s. A long outage would otherwise flood the log.
    expect(
      errors.filter(({ fields, msg }) => fields.code === 'READ_MODELS_NOT_READY' || String(msg).includes('not loaded')),
    ).toEqual([]);
    const metricsThen = await (await fetch(`${url}/metrics`)).text();
    expect(metricsThen).toMatch(
      /^http_requests_total\{[^}]*route="\/v1\/dashboard\/stores"[^}]*status="503"[^}]*\} 1$/m,
    );

    // Tried again with a pause, the first failure a warning with its error, the next ones backing off (a second after
    // it, the third try's), and nothing written meanwhile.
    await waitUntil(() => warnings.filter(({ msg }) => msg === tryAgain).length >= 2, 10_000, 'two failed tries');
    const tries = warnings.filter(({ msg }) => msg === tryAgain);
    expect(tries[0]!.fields).toMatchObject({ attempt: 1, failedSinceLastLine: 1, failingForMs: 0 });
    for (const { fields } of tries) {
      expect((fields.err as Error).message).toMatch(/^the log did not answer/);
      expect(fields.retryInMs).toBeGreaterThan(0);
    }
    jest.restoreAllMocks();
    expect(await kv()).toEqual(before);
    expect(app.get(ProjectorService).loaded).toBe(false);

    const end = await log.headPosition();
    outage.end();
    await waitUntil(async () => (await health(url)).status === 200, 40_000, 'the projector started');
    await waitUntil(() => app.get(ProjectorService).checkpoint >= end, 10_000, 'the projector at the head');
    expect(await query(names.queries.store, { storeId: 'boot-a' })).toMatchObject({
      status: 200,
      body: { storeId: 'boot-a' },
    });
    expect(await query(names.queries.store, { storeId: 'boot-b' })).toMatchObject({
      status: 200,
      body: { storeId: 'boot-b' },
    });
    expect(await query(names.queries.terminal, { storeId: 'boot-b', terminalId: 'BB-1' })).toMatchObject({
      status: 200,
      body: { storeId: 'boot-b', terminalId: 'BB-1' },
    });
    expect(await query(names.queries.store, { storeId: 'nowhere' })).toMatchObject({ status: 404 });
    const seen = await dashboard(url, 'stores');
    expect(seen.status).toBe(200);
    expect(
      (seen.body as { stores: { store: { storeId: string } }[] }).stores.map(({ store }) => store.storeId),
    ).toEqual(['boot-a', 'boot-b']);
    // The documents in KV are those of a fold of the whole log: nothing skipped, nothing of a half-read start.
    const expected = await foldFromScratch(log);
    expect(await bucketContents(prefix, 'stores')).toEqual(
      Object.fromEntries(expected.allStores().map((store) => [store.storeId, store])),
    );
    await stop(app);
  }, 90_000);

  it('takes a failed read of the event its checkpoint was made at for a log away, not for a log replaced', async () => {
    const { log } = own;
    await registerLongAgo(log, 'boot-c', ['BC-1']);
    const end = await log.headPosition();
    const before = await kv();
    expect(before.checkpoint.mark).toBeDefined();
    // The log's identity is read, but the first two reads of the checkpoint's event fail (`markGone`).
    const marks = logOutage(log, ['readStream'], {
      calls: 2,
      only: (stream) => stream === before.checkpoint.mark!.streamName,
    });
    const warnings = loggedLines('warn');
    const { app, url } = await boot(marks.store);
    await waitUntil(async () => (await health(url)).status === 200, 20_000, 'the projector started');
    expect(marks.failures).toBe(2);
    jest.restoreAllMocks();
    // Folded on from its checkpoint: the read models were not taken for another log's and folded again from 0.
    expect(warnings.map(({ msg }) => msg)).not.toContain(
      'the read models are of another log: rebuilding them from position 0',
    );
    await waitUntil(() => app.get(ProjectorService).checkpoint >= end, 10_000, 'the projector at the head');
    expect(await query(names.queries.store, { storeId: 'boot-c' })).toMatchObject({ status: 200 });
    await stop(app);
  }, 60_000);

  it('stops promptly while it is still trying to start', async () => {
    const outage = logOutage(own.log, ['headPosition']);
    const { app, url } = await boot(outage.store);
    expect((await health(url)).status).toBe(503);
    // Past four tries, the pause before the next is 4 s: the stop does not wait for it.
    await waitUntil(() => outage.failures >= 4, 20_000, 'four tries');
    const stopping = Date.now();
    await stop(app);
    expect(Date.now() - stopping).toBeLessThan(2_000);
    outage.end();
    expect(app.get(ProjectorService).loaded).toBe(false);
  }, 60_000);

  it('adopts a rebuild whose first read of the log failed, without waiting for another offer', async () => {
    const { log, nats } = own;
    await registerLongAgo(log, 'boot-d', ['BD-1']);
    const projected = await log.readAll({ after: 0n, limit: 10_000, streamPrefixes: PROJECTED_STREAMS });
    const last = projected.at(-1)!;
    // Once armed, the first read of the stream of the event the rebuild ends at fails: the adoption's first read of
    // the log (`markGone`, whether the log still has that event).
    let armed = false;
    const marks = logOutage(log, ['readStream'], { calls: 1, only: (stream) => armed && stream === last.streamName });
    const { app } = await boot(marks.store);
    await waitUntil(
      () => app.get(ProjectorService)['state'].leader && app.get(ProjectorService).checkpoint >= last.position,
      15_000,
      'the projector leading, at the head',
    );
    armed = true;
    const warnings = loggedLines('warn');
    const errors = loggedLines('error');
    await rebuildReadModels(log, nats, prefix);
    const state = await new Kvm(nats).open(`${prefix}_projections`);
    await waitUntil(async () => (await state.get('rebuild'))?.operation !== 'PUT', 15_000, 'the rebuild adopted');
    expect(marks.failures).toBe(1);
    const retried = warnings.filter(
      ({ msg }) => msg === 'could not adopt the rebuild (the log or NATS did not answer): trying again',
    );
    expect(retried).toHaveLength(1);
    expect((retried[0]!.fields.err as Error).message).toMatch(/^the log did not answer/);
    expect(retried[0]!.fields.retryInMs).toBeGreaterThan(0);
    expect(errors.filter(({ msg }) => msg === 'could not adopt the rebuild')).toEqual([]);
    jest.restoreAllMocks();
    expect(await query(names.queries.store, { storeId: 'boot-d' })).toMatchObject({ status: 200 });
    await stop(app);
  }, 60_000);
});

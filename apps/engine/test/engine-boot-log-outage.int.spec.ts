import { natsNames } from '@app/messaging';
import { freePort, waitUntil } from '../../../test/support/app-process';
import { logOutage } from '../../../test/support/log-outage';
import { ownLogAndNats } from '../../../test/support/own-log-and-nats';
import { bearer, writePosClients } from '../../../test/support/pos-clients';
import { registerLongAgo } from '../../../test/support/registered-long-ago';
import { startEngine, type RunningEngine } from '../src/engine';

/**
 * The one-process engine started while its log's reads fail (KurrentDB electing a leader, SQLite's file busy): each of
 * its three apps reads the log as it starts (ingest's workers, the command service's notifier, the projector). The
 * first read that failed rejected the engine's start, and the process exited: it starts, every app listening, `/health`
 * saying what has not started, and once the log answers each starts, the read models answering.
 */
describe('the one-process engine when the log does not answer at start', () => {
  let engine: RunningEngine | undefined;
  const own = ownLogAndNats('engine-boot-log-outage', () => engine?.close());
  const { prefix } = own;

  const health = async (url: string) => {
    const response = await fetch(`${url}/health`);
    return { status: response.status, body: await response.text() };
  };

  it('starts every app, and each starts its work once the log answers', async () => {
    const { log, nats } = own;
    await registerLongAgo(log, 'engine-boot', ['EB-1']);
    const outage = logOutage(log, ['readStream', 'headPosition', 'readAll']);
    engine = await startEngine(
      {
        LOG_LEVEL: 'silent',
        ...own.env,
        POS_CLIENTS_FILE: writePosClients(own.dir),
        COMMAND_SERVICE_PORT: String(await freePort()),
        INGEST_SERVICE_PORT: String(await freePort()),
        PROJECTIONS_PORT: String(await freePort()),
      },
      outage.store,
    );
    const { urls } = engine;
    expect(outage.failures).toBeGreaterThan(0);
    const projections = await health(urls.projections);
    expect(projections.status).toBe(503);
    expect(projections.body).toContain('not started yet, trying again: projector');
    const command = await health(urls.command);
    expect(command.body).toContain('not started yet, trying again: payment-notifier');
    // Its requests answered ENGINE_STARTING, the POS API and ingest say so in /health too.
    for (const { body } of [command, await health(urls.ingest)])
      expect(body).toContain('not checked yet that no engine of another event log uses the NATS prefix');
    const query = async () =>
      (
        await nats.request(natsNames(prefix).queries.store, JSON.stringify({ storeId: 'engine-boot' }), {
          timeout: 5_000,
        })
      ).json<{ status: number; body: Record<string, unknown> }>();
    // The read models not loaded, the projections app is not in the queue group of the queries yet.
    await expect(query()).rejects.toThrow(/no responders/i);
    // Before the projector has made sure that no engine of another log runs on the prefix, the POS API and ingest
    // take nothing: over HTTP 503 ENGINE_STARTING, with when to ask again (Dintero retries a 5xx); over NATS the
    // command service is not in the queue group yet, so that a ready instance would take the commands.
    const taken = async () => {
      const pos = await fetch(`${urls.command}/v1/stores/engine-boot`, { headers: bearer() });
      const dintero = await fetch(`${urls.ingest}/v1/dintero/callback?payment_id=pay-engine-boot`);
      const command = await nats.request(natsNames(prefix).commands.start, JSON.stringify({}), { timeout: 5_000 }).then(
        (reply) => reply.json<{ status: number; body: { code: string } }>(),
        (error: unknown) => ({ status: undefined, body: { code: (error as Error).message } }),
      );
      return {
        pos: { status: pos.status, retryAfter: pos.headers.get('retry-after'), ...((await pos.json()) as object) },
        dintero: {
          status: dintero.status,
          retryAfter: dintero.headers.get('retry-after'),
          ...((await dintero.json()) as object),
        },
        command: { status: command.status, code: command.body.code },
      };
    };
    expect(await taken()).toMatchObject({
      pos: { status: 503, retryAfter: '5', code: 'ENGINE_STARTING' },
      dintero: { status: 503, retryAfter: '5', code: 'ENGINE_STARTING' },
      command: { status: undefined, code: expect.stringMatching(/no responders/i) },
    });

    outage.end();
    for (const url of [urls.command, urls.ingest, urls.projections])
      await waitUntil(async () => (await health(url)).status === 200, 40_000, `${url} healthy`);
    await waitUntil(
      () =>
        query().then(
          ({ status }) => status === 200,
          () => false,
        ),
      10_000,
      'the store in the read models',
    );
    expect(await query()).toMatchObject({ status: 200, body: { storeId: 'engine-boot' } });
    const after = await taken();
    expect(after.pos).toMatchObject({ status: 200, storeId: 'engine-boot' });
    expect(after.dintero).not.toMatchObject({ code: 'ENGINE_STARTING' });
    expect(after.command).toMatchObject({ status: 401 });
  }, 90_000);
});

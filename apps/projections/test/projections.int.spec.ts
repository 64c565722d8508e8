import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { natsNames } from '@app/messaging';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { bucketContents, foldFromScratch } from '../../../test/support/projections';
import { PROJECTED_STREAMS, ProjectorService } from '../src/projector/projector.service';
import { emptyStoreDay } from '../src/read-models/projections/store-day.projection';

describe('projections: live read models in NATS KV, changes, queries and the event feed', () => {
  let engine: Engine;
  let projections: NestFastifyApplication;
  let nats: NatsConnection;
  let names: ReturnType<typeof natsNames>;
  let prefix: string;

  beforeAll(async () => {
    engine = await startEngine({ projections: true });
    ({ projections, nats, prefix } = engine as Engine & { projections: NestFastifyApplication });
    names = natsNames(prefix);
    await engine.terminals('oslo', 'P-1', 'P-2');
  });
  afterAll(() => engine.close());

  /** Until the projector's checkpoint is the last projected event of the log. */
  const caughtUp = async () => {
    let last = 0n;
    // The last event of the projected streams: the projector's checkpoint only ever names one of those.
    const streamPrefixes = PROJECTED_STREAMS;
    for (let page = await engine.log.readAll({ limit: 1_000, streamPrefixes }); page.length > 0;) {
      last = page[page.length - 1]!.position;
      page = await engine.log.readAll({ after: last, limit: 1_000, streamPrefixes });
    }
    const service = projections.get(ProjectorService);
    await waitUntil(() => service.checkpoint >= last, 10_000, 'the projector at the end of the log');
  };
  const query = async (subject: string, body: unknown) =>
    (await nats.request(subject, JSON.stringify(body), { timeout: 5_000 })).json<{
      status: number;
      body: Record<string, unknown>;
    }>();

  it('publishes a terminal’s change and keeps its document in KV, as a fold of the log says', async () => {
    const changes = nats.subscribe(names.changes.terminal('oslo', 'P-1'));
    const seen: Record<string, unknown>[] = [];
    const watching = (async () => {
      for await (const msg of changes) {
        seen.push(msg.json());
        if (msg.json<{ lastOutcome?: unknown }>().lastOutcome) return;
      }
    })();
    const { paymentId } = await engine.start('oslo', 'P-1', 10_000);
    await engine.sim.control('POST', '/terminals/P-1/present', {});
    await watching;
    changes.unsubscribe();
    expect(seen.at(-1)).toMatchObject({ lastOutcome: { paymentId, status: 'captured', amount: 10_000 } });
    await engine.sim.control('POST', '/idle');
    await caughtUp();
    const scratch = await foldFromScratch(engine.log);
    const terminals = await bucketContents(prefix, 'terminals');
    expect(terminals['oslo.P-1']).toEqual(scratch.terminal('oslo', 'P-1'));
    expect((await bucketContents(prefix, 'stores')).oslo).toEqual(scratch.store('oslo'));
    const today = scratch.store('oslo')?.today?.date ?? '';
    expect((await bucketContents(prefix, 'storeDays'))[`oslo.${today}`]).toEqual(scratch.storeDay('oslo', today));
  });

  it('answers queries, a known store’s empty day with its zeros, and a clear not-found for an unknown store', async () => {
    await caughtUp();
    expect(await query(names.queries.store, { storeId: 'oslo' })).toMatchObject({
      status: 200,
      body: { storeId: 'oslo', terminals: { idle: 2 } },
    });
    expect(await query(names.queries.terminal, { storeId: 'oslo', terminalId: 'P-1' })).toMatchObject({
      status: 200,
      body: { lastOutcome: { status: 'captured' } },
    });
    const terminals = await query(names.queries.storeTerminals, { storeId: 'oslo' });
    expect((terminals.body as unknown as { terminalId: string }[]).map((t) => t.terminalId).sort()).toEqual([
      'P-1',
      'P-2',
    ]);
    expect(await query(names.queries.store, { storeId: 'nowhere' })).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND' },
    });
    // A known store's day with nothing on it: its zeros, as of no event; an unknown store's: not found.
    expect(await query(names.queries.storeDay, { storeId: 'oslo', date: '2020-02-29' })).toEqual({
      status: 200,
      body: emptyStoreDay('oslo', '2020-02-29', 'Europe/Oslo'),
    });
    expect(await query(names.queries.storeDay, { storeId: 'nowhere', date: '2020-02-29' })).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND', detail: 'No such store' },
    });
    // Not a day, or not one of the calendar (a leap day is, above): refused, not answered as a day of zeros.
    for (const date of ['24-11-2026', '2026-02-29', '2026-02-30', '2026-13-01', '2026-00-10', '2026-11-31'])
      expect(await query(names.queries.storeDay, { storeId: 'oslo', date })).toMatchObject({
        status: 400,
        body: { code: 'VALIDATION_FAILED' },
      });
  });

  it('exposes the engine’s own metrics on each app', async () => {
    await caughtUp();
    const metricsOf = async (url: string) => (await fetch(`${url}/metrics`)).text();
    const ingest = await metricsOf(engine.ingest.url);
    expect(
      sample(ingest, 'payments_dintero_deliveries_total', { source: 'callback', result: 'recorded' }),
    ).toBeGreaterThan(0);
    expect(
      sample(ingest, 'payments_facts_recorded_total', { source: 'callback', type: 'PaymentCaptured' }),
    ).toBeGreaterThan(0);
    expect(
      sample(ingest, 'payments_dintero_request_seconds_count', { operation: 'getTransaction', outcome: 'ok' }),
    ).toBeGreaterThan(0);
    const command = await metricsOf(engine.command.url);
    expect(
      sample(command, 'payments_dintero_request_seconds_count', { operation: 'createSession', outcome: 'ok' }),
    ).toBeGreaterThan(0);
    const projectionsUrl = await projections.getUrl();
    const head = Number(await engine.log.headPosition());
    // The gauges are read once a second: until then they may show the log as it was, a terminal still claimed.
    await waitUntil(
      async () => {
        const metrics = await metricsOf(projectionsUrl);
        const at = sample(metrics, 'payments_log_head_position', {}) ?? 0;
        return (
          at >= head &&
          sample(metrics, 'payments_projection_position', {}) === at &&
          sample(metrics, 'payments_terminals_busy', {}) === 0
        );
      },
      5_000,
      `the projection at the log's head (${head} or later), and no terminal busy, in the metrics`,
    );
  });

  it('publishes every event once to the feed, with the event id as message id', async () => {
    await caughtUp();
    const jsm = await jetstreamManager(nats);
    const info = await jsm.streams.info(names.events.stream);
    const logged = await engine.log.readAll({ limit: 10_000, streamPrefixes: PROJECTED_STREAMS });
    expect(info.state.messages).toBe(logged.length);
    const consumer = await jetstream(nats).consumers.get(names.events.stream);
    const first = await consumer.next();
    expect(first?.headers?.get('Nats-Msg-Id')).toBe(logged[0]!.id);
    expect(first?.subject).toBe(names.events.subject('oslo', '_', 'StoreRegistered'));
  });

  it("publishes a refund terminal's claim and release under that terminal's store, also for another store's payment", async () => {
    await engine.terminals('bergen', 'B-1');
    const { paymentId } = await engine.start('oslo', 'P-2', 10_000);
    await engine.sim.control('POST', '/terminals/P-2/present', {});
    await engine.waitForPayment(String(paymentId), (state) => state.status === 'captured', 'captured');
    const refunded = await engine.command.fetch(`/v1/terminal-payments/${String(paymentId)}/refunds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `refund-${String(paymentId)}` },
      body: JSON.stringify({ amount: 2_500, terminalId: 'B-1' }),
    });
    expect(refunded.status).toBeLessThan(300);
    await caughtUp();
    const terminalEvents = (await engine.log.readStream('terminal-B-1')).filter((e) => e.type !== 'TerminalAssigned');
    expect(terminalEvents.map((e) => e.type)).toEqual(['TerminalClaimed', 'TerminalReleased']);
    const jsm = await jetstreamManager(nats);
    for (const event of terminalEvents) {
      const message = await jsm.streams.getMessage(names.events.stream, {
        last_by_subj: names.events.subject('bergen', 'B-1', event.type),
      });
      expect(message?.header?.get('Nats-Msg-Id')).toBe(event.id);
    }
  });
});

/** The value of the Prometheus sample with this name and (at least) these labels, in any order. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const pairs = new Map([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => pairs.get(key) === value)) return Number(match[3]);
  }
  return undefined;
}

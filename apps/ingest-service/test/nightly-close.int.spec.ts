import { randomUUID } from 'node:crypto';
import { natsNames } from '@app/messaging';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { bucketContents } from '../../../test/support/projections';
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';
import { dueClose } from '../src/fleet/close-schedule';

const STORE = 'nc-store';
const TERMINALS = ['NC-1', 'NC-2', 'NC-3'];

/**
 * The nightly close: each terminal of a store closes its day at the store's close time, once however many
 * ingest instances run, and the read models set each terminal's batch beside what the log recorded.
 */
describe('the nightly close, reconciled against the log', () => {
  let engine: Engine;
  const closers: RunningIngestService[] = [];
  const json = { 'content-type': 'application/json' };
  const businessDay = () => dueClose('Europe/Oslo', '23:30', Date.now()).businessDay;

  beforeAll(async () => {
    engine = await startEngine({ projections: true, sim: { SIM_OPERATION_DELAY_MS: '200' } });
    // A store and terminals registered days ago (so that the latest close time finds them in use).
    await registerLongAgoAtDintero(engine, STORE, TERMINALS);
  }, 60_000);
  afterAll(async () => {
    for (const closer of closers) await closer.close();
    await engine.close();
  });

  const captured = async (terminalId: string, amount: number) => {
    const { paymentId } = (await engine.start(STORE, terminalId, amount)) as { paymentId: string };
    await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
    await engine.waitForPayment(paymentId, (state) => state.status === 'captured', 'the capture');
    await engine.terminalFree(terminalId);
    return paymentId;
  };

  it('closes every terminal once with two instances running, and sets each batch beside the log', async () => {
    const first = await captured('NC-1', 10_000);
    await captured('NC-1', 20_000);
    // A refund done at NC-2 counts in NC-2's batch, not in that of the terminal the payment was on.
    const refund = await engine.command.fetch(`/v1/terminal-payments/${first}/refunds`, {
      method: 'POST',
      headers: { ...json, 'idempotency-key': randomUUID() },
      body: JSON.stringify({ amount: 5_000, terminalId: 'NC-2' }),
    });
    expect(refund.status).toBe(201);
    await engine.terminalFree('NC-2');
    // NC-3's terminal reports a purchase the log never saw.
    await engine.sim.control('PUT', '/terminals/NC-3/batch-skew', { purchasesCount: 1, purchasesAmount: 1_500 });

    const day = businessDay();
    const changes = engine.nats.subscribe(natsNames(engine.prefix).changes.storeDay(STORE, day));
    for (let i = 0; i < 2; i++) closers.push(await startNightlyCloser(engine));

    let closes: Record<string, Record<string, unknown>> = {};
    const byTerminal = (all: Record<string, Record<string, unknown>>) =>
      Object.fromEntries(Object.values(all).map((close) => [close.terminalId as string, close]));
    await waitUntil(
      async () => {
        const doc = (await bucketContents(engine.prefix, 'storeDays'))[`${STORE}.${day}`] as
          { closes?: Record<string, Record<string, unknown>> } | undefined;
        closes = byTerminal(doc?.closes ?? {});
        return Object.keys(closes).length === 3;
      },
      30_000,
      'three closes on the store day',
    );
    expect(closes['NC-1']).toMatchObject({
      businessDay: day,
      batchId: '000001',
      terminal: { purchasesCount: 2, purchasesAmount: 30_000, reversalsCount: 0, reversalsAmount: 0 },
      recorded: { purchasesCount: 2, purchasesAmount: 30_000, reversalsCount: 0, reversalsAmount: 0 },
      mismatch: false,
    });
    expect(closes['NC-2']).toMatchObject({
      terminal: { purchasesCount: 0, reversalsCount: 1, reversalsAmount: 5_000 },
      recorded: { purchasesCount: 0, reversalsCount: 1, reversalsAmount: 5_000 },
      mismatch: false,
    });
    expect(closes['NC-3']).toMatchObject({
      terminal: { purchasesCount: 1, purchasesAmount: 1_500 },
      recorded: { purchasesCount: 0, purchasesAmount: 0 },
      mismatch: true,
      differences: { purchasesCount: 1, purchasesAmount: 1_500 },
    });
    const doc = (await bucketContents(engine.prefix, 'storeDays'))[`${STORE}.${day}`] as { closeMismatches: number };
    expect(doc.closeMismatches).toBe(1);
    const terminal = (await bucketContents(engine.prefix, 'terminals'))[`${STORE}.NC-3`] as Record<string, unknown>;
    expect(terminal).toMatchObject({ lastClose: { mismatch: true }, openBatch: { purchasesCount: 0 } });

    // Published on the store day's change subject, mismatch and all.
    let published: { closeMismatches?: number } = {};
    for await (const message of changes) {
      published = message.json<{ closeMismatches?: number }>();
      if (published.closeMismatches === 1) break;
    }
    expect(published.closeMismatches).toBe(1);
    // And in the projections' metrics, for an alert.
    const metricsUrl = `${await engine.projections!.getUrl()}/metrics`;
    await waitUntil(
      async () => /^payments_close_mismatches(\{[^}]*\})? 1$/m.test(await (await fetch(metricsUrl)).text()),
      5_000,
      'the mismatch in the projections’ metrics',
    );

    // Once: one end-of-day per terminal for the day, however many instances looked.
    const requested = (await engine.log.readAll({ limit: 10_000 })).filter(
      (event) => event.type === 'OperationRequested' && (event.data as { businessDay?: string }).businessDay === day,
    );
    expect(requested.map((event) => (event.data as { terminalId: string }).terminalId).sort()).toEqual(TERMINALS);
    const atDintero = (
      await engine.sim.control<{ operations: { operation: string; status: string }[] }>('GET', '/ground-truth/fleet')
    ).operations;
    expect(atDintero.filter((operation) => operation.operation === 'end_of_day')).toHaveLength(3);
  });

  it("opens each terminal's next batch at its close", async () => {
    const terminal = (await bucketContents(engine.prefix, 'terminals'))[`${STORE}.NC-1`] as {
      lastClose: { closedAt: string };
      openBatch: { since: string };
    };
    expect(terminal.openBatch.since).toBe(terminal.lastClose.closedAt);
  });
});

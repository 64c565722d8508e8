// npm run bench:command — payment starts through the built command service (a real process, SQLite log on
// disk, synchronous=FULL) against the built simulator (a real process, no delay), over real HTTP.
// 1,000 terminals in 100 stores; each round starts one payment on every terminal with BENCH_CONCURRENCY
// POS requests in flight, then cancels them all (not measured) so that the next round finds them free.
// "Added" latency is what the POS waits minus what Dintero took (the service's Server-Timing header).
// Prints one line per figure and, last, one JSON object with all of them.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { writePosClients } from '../test/support/pos-clients';
import { elapsedMs, machine, percentile, pool, round, runWithApps, send } from './bench-support';

const TERMINALS = Number(process.env.BENCH_TERMINALS ?? 1_000);
const STORES = Number(process.env.BENCH_STORES ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';

const storeOf = (terminal: number) => `store-${String(terminal % STORES).padStart(3, '0')}`;
const terminalId = (terminal: number) => `T-${String(terminal).padStart(4, '0')}`;

runWithApps('command', async ({ dir, start }) => {
  const simulator = await start('dintero-simulator', {
    LOG_LEVEL: 'warn',
    SIM_TERMINAL_DELAY_MS: '0',
    // Callbacks go to an ingest service that is not running here: retry them rarely.
    SIM_RETRY_BASE_MS: '600000',
  });
  const service = await start('command-service', {
    LOG_LEVEL,
    EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`,
    NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    NATS_PREFIX: `bench${randomUUID().slice(0, 8)}`,
    POS_CLIENTS_FILE: writePosClients(dir),
    DINTERO_API_URL: simulator.url,
    DINTERO_CHECKOUT_URL: simulator.url,
    INGEST_PUBLIC_URL: 'http://127.0.0.1:9',
  });

  const setup = process.hrtime.bigint();
  const terminals = Array.from({ length: TERMINALS }, (_, n) => n);
  const stores = [...new Set(terminals.map(storeOf))];
  await send(simulator.url, 'POST', '/_control/seed', {
    stores: stores.map((id) => ({ id, payout_destination_id: 'seller-1' })),
    terminals: terminals.map((n) => ({ terminal_id: terminalId(n), store_id: storeOf(n) })),
  });
  for (const storeId of stores) {
    await send(service.url, 'PUT', `/v1/stores/${storeId}`, {
      name: storeId,
      payoutDestinationId: 'seller-1',
      timeZone: 'Europe/Oslo',
    });
  }
  await pool(terminals, 16, async (n) => {
    await send(service.url, 'PUT', `/v1/stores/${storeOf(n)}/terminals/${terminalId(n)}`);
  });
  console.log(`registered ${stores.length} stores and ${TERMINALS} terminals in ${round(elapsedMs(setup))} ms`);

  const total: number[] = [];
  const dinteroMs: number[] = [];
  const added: number[] = [];
  let measuredMs = 0;
  for (let round_ = 0; round_ < ROUNDS; round_++) {
    const started: string[] = [];
    const roundStart = process.hrtime.bigint();
    await pool(terminals, CONCURRENCY, async (n) => {
      const sent = process.hrtime.bigint();
      const { response, body } = await send(
        service.url,
        'POST',
        '/v1/terminal-payments',
        {
          storeId: storeOf(n),
          terminalId: terminalId(n),
          // Amounts ending in 00: the simulator's terminal approves (its README's amount table).
          amount: 10_000 + n * 100,
          currency: 'NOK',
          merchantReference: `BENCH-${round_}-${n}`,
        },
        { 'idempotency-key': randomUUID() },
      );
      const ms = elapsedMs(sent);
      const dintero = /dintero;dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '');
      if (response.status !== 201 || !dintero) throw new Error(`start answered ${response.status}`);
      total.push(ms);
      added.push(ms - Number(dintero[1]));
      dinteroMs.push(Number(dintero[1]));
      started.push(body.paymentId as string);
    });
    const roundMs = elapsedMs(roundStart);
    measuredMs += roundMs;
    console.log(`round ${round_ + 1}: ${TERMINALS} starts in ${round(roundMs)} ms`);
    // The simulator's terminals answer at once, so many payments are captured before the cancel (409).
    await pool(started, 16, async (paymentId) => {
      await send(service.url, 'POST', `/v1/terminal-payments/${paymentId}/cancel`).catch((error: Error) => {
        if (!error.message.includes('PAYMENT_FINISHED')) throw error;
      });
    });
  }

  total.sort((a, b) => a - b);
  added.sort((a, b) => a - b);
  dinteroMs.sort((a, b) => a - b);
  const figures = {
    machine: machine(),
    terminals: TERMINALS,
    concurrency: CONCURRENCY,
    logLevel: LOG_LEVEL,
    starts: total.length,
    startsPerSecond: Math.round((total.length / measuredMs) * 1000),
    latencyMs: { p50: round(percentile(total, 50)), p99: round(percentile(total, 99)) },
    addedLatencyMs: { p50: round(percentile(added, 50)), p99: round(percentile(added, 99)) },
    dinteroLatencyMs: { p50: round(percentile(dinteroMs, 50)), p99: round(percentile(dinteroMs, 99)) },
  };
  console.log(`starts per second: ${figures.startsPerSecond} (goal ≥ 1,000)`);
  console.log(`latency the POS sees: p50 ${figures.latencyMs.p50} ms, p99 ${figures.latencyMs.p99} ms`);
  console.log(
    `latency the service adds: p50 ${figures.addedLatencyMs.p50} ms, p99 ${figures.addedLatencyMs.p99} ms (goal p99 < 20)`,
  );
  console.log(JSON.stringify(figures));
});

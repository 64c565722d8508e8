// npm run bench:ingest — signed callbacks turned into durable events by the built ingest service (a real
// process, SQLite log on disk, synchronous=FULL), which fetches each transaction from the built simulator.
// Each round: the command service starts a payment on each of BENCH_TERMINALS terminals, their cards are
// presented (the simulator's own callbacks and webhooks dropped), then this process sends one signed
// callback per payment, BENCH_CONCURRENCY in flight, and times them. Only the callbacks are measured.
// Prints one line per figure and, last, one JSON object with all of them.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { signCallback } from '@app/dintero';
import { writePosClients } from '../test/support/pos-clients';
import { elapsedMs, machine, percentile, pool, round, runWithApps, send } from './bench-support';

const TERMINALS = Number(process.env.BENCH_TERMINALS ?? 1_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
const SECRET = 'bench-callback-secret';
const ACCOUNT = 'T12345678';

runWithApps('ingest', async ({ dir, start }) => {
  const eventStoreUrl = `sqlite:${path.join(dir, 'events.db')}`;
  const simulator = await start('dintero-simulator', { LOG_LEVEL: 'warn', SIM_TERMINAL_DELAY_MS: '600000' });
  const ingest = await start('ingest-service', {
    LOG_LEVEL,
    EVENT_STORE_URL: eventStoreUrl,
    DINTERO_API_URL: simulator.url,
    DINTERO_CHECKOUT_URL: simulator.url,
    DINTERO_CALLBACK_SECRET: SECRET,
    DINTERO_WEBHOOK_SECRET: 'unused-webhook-secret',
    INGEST_PUBLIC_URL: 'http://127.0.0.1',
  });
  const command = await start('command-service', {
    LOG_LEVEL: 'warn',
    EVENT_STORE_URL: eventStoreUrl,
    NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    NATS_PREFIX: `bench${randomUUID().slice(0, 8)}`,
    POS_CLIENTS_FILE: writePosClients(dir),
    DINTERO_API_URL: simulator.url,
    DINTERO_CHECKOUT_URL: simulator.url,
    INGEST_PUBLIC_URL: ingest.url,
  });

  const terminals = Array.from({ length: TERMINALS }, (_, n) => `T-${String(n).padStart(4, '0')}`);
  await send(simulator.url, 'POST', '/_control/seed', {
    stores: [{ id: 'bench-store', payout_destination_id: 'seller-1' }],
    terminals: terminals.map((terminal_id) => ({ terminal_id, store_id: 'bench-store' })),
  });
  // The simulator's own deliveries are dropped: this process sends the callbacks, and times them.
  await send(simulator.url, 'PUT', '/_control/chaos', { dropRate: 1 });
  await send(command.url, 'PUT', '/v1/stores/bench-store', {
    name: 'Bench',
    payoutDestinationId: 'seller-1',
    timeZone: 'Europe/Oslo',
  });
  // One store's registry is one stream: its terminals are registered one after another.
  for (const terminalId of terminals) await send(command.url, 'PUT', `/v1/stores/bench-store/terminals/${terminalId}`);

  const latencies: number[] = [];
  let measuredMs = 0;
  for (let round_ = 0; round_ < ROUNDS; round_++) {
    const started = new Set<string>();
    await pool(terminals, 16, async (terminalId) => {
      const { body: payment } = await send(
        command.url,
        'POST',
        '/v1/terminal-payments',
        { storeId: 'bench-store', terminalId, amount: 10_000, currency: 'NOK', merchantReference: `B-${round_}` },
        { 'idempotency-key': randomUUID() },
      );
      await send(simulator.url, 'POST', `/_control/terminals/${terminalId}/present`, {});
      started.add(String(payment.paymentId));
    });
    const truth = (await send(simulator.url, 'GET', '/_control/ground-truth')).body as unknown as {
      transactions: { id: string; paymentId: string }[];
    };
    const payments = truth.transactions
      .filter((tx) => started.has(tx.paymentId))
      .map((tx) => ({ paymentId: tx.paymentId, transactionId: tx.id }));
    const roundStart = process.hrtime.bigint();
    await pool(payments, CONCURRENCY, async ({ paymentId, transactionId }) => {
      const url = new URL(`${ingest.url}/v1/dintero/callback`);
      url.searchParams.set('payment_id', paymentId);
      url.searchParams.set('transaction_id', transactionId);
      url.searchParams.set('merchant_reference', `B-${round_}`);
      url.searchParams.set('time', new Date().toISOString());
      const signature = signCallback({ accountId: ACCOUNT, method: 'GET', url }, SECRET, Math.floor(Date.now() / 1000));
      const sent = process.hrtime.bigint();
      const response = await fetch(url, { headers: { 'dintero-signature': signature } });
      const body = (await response.json()) as { recorded?: string[] };
      latencies.push(elapsedMs(sent));
      if (response.status !== 200 || body.recorded?.[0] !== 'PaymentCaptured')
        throw new Error(`callback answered ${response.status} ${JSON.stringify(body)}`);
    });
    const roundMs = elapsedMs(roundStart);
    measuredMs += roundMs;
    console.log(`round ${round_ + 1}: ${payments.length} callbacks in ${round(roundMs)} ms`);
  }

  latencies.sort((a, b) => a - b);
  const figures = {
    machine: machine(),
    concurrency: CONCURRENCY,
    logLevel: LOG_LEVEL,
    callbacks: latencies.length,
    callbacksPerSecond: Math.round((latencies.length / measuredMs) * 1000),
    latencyMs: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)) },
  };
  console.log(`callbacks per second: ${figures.callbacksPerSecond} (goal ≥ 3,000)`);
  console.log(`latency: p50 ${figures.latencyMs.p50} ms, p99 ${figures.latencyMs.p99} ms (goal p99 < 30)`);
  console.log(JSON.stringify(figures));
});

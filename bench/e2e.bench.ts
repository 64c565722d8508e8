// npm run bench:e2e — the whole engine as built processes (command, ingest, projections, simulator), one
// SQLite log, real HTTP and NATS. Each payment: the POS starts it, the simulator's terminal approves at once,
// Dintero's callback reaches ingest, the facts go into the log, the projector updates KV and publishes the
// terminal's change. Latency is from the start request to that change message naming the outcome.
// Payments are sent open-loop at fixed rates (BENCH_RATES, default 50,200,500 per second) for
// BENCH_SECONDS each, on 1,000 terminals; the highest rate with p99 under 250 ms is reported.
// Prints one line per rate and, last, one JSON object with all of them.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { writePosClients } from '../test/support/pos-clients';
import { removeNatsState } from '../test/support/projections';
import { machine, percentile, round, runWithApps, send } from './bench-support';

const RATES = (process.env.BENCH_RATES ?? '50,200,500').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const STORES = 100;
const TERMINALS = 1_000;
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const CALLBACK_SECRET = 'bench-e2e-callback-secret';
const WEBHOOK_SECRET = 'bench-e2e-webhook-secret';

const storeOf = (t: number) => `E-${String(t % STORES).padStart(3, '0')}`;
const terminalOf = (t: number) => `ET-${String(t).padStart(4, '0')}`;

runWithApps('e2e', async ({ dir, start }) => {
  const prefix = `bench${randomUUID().slice(0, 8)}`;
  const common = {
    LOG_LEVEL: 'warn',
    EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`,
    NATS_URL,
    NATS_PREFIX: prefix,
  };
  const simulator = await start('dintero-simulator', {
    LOG_LEVEL: 'warn',
    SIM_TERMINAL_DELAY_MS: '0',
    DINTERO_CALLBACK_SECRET: CALLBACK_SECRET,
  });
  const dintero = { DINTERO_API_URL: simulator.url, DINTERO_CHECKOUT_URL: simulator.url };
  const ingest = await start('ingest-service', {
    ...common,
    ...dintero,
    DINTERO_CALLBACK_SECRET: CALLBACK_SECRET,
    DINTERO_WEBHOOK_SECRET: WEBHOOK_SECRET,
    INGEST_PUBLIC_URL: 'http://127.0.0.1',
  });
  const command = await start('command-service', {
    ...common,
    ...dintero,
    POS_CLIENTS_FILE: writePosClients(dir),
    INGEST_PUBLIC_URL: ingest.url,
  });
  await start('projections', common);
  const nats = await connect({ servers: NATS_URL });
  try {
    await send(simulator.url, 'POST', '/_control/seed', {
      stores: Array.from({ length: STORES }, (_, s) => ({ id: storeOf(s), payout_destination_id: 'seller-1' })),
      terminals: Array.from({ length: TERMINALS }, (_, t) => ({ terminal_id: terminalOf(t), store_id: storeOf(t) })),
      webhooks: [{ url: `${ingest.url}/v1/dintero/webhooks`, secret: WEBHOOK_SECRET }],
    });
    for (let s = 0; s < STORES; s++)
      await send(command.url, 'PUT', `/v1/stores/${storeOf(s)}`, {
        name: storeOf(s),
        payoutDestinationId: 'seller-1',
        timeZone: 'Europe/Oslo',
      });
    for (let t = 0; t < TERMINALS; t++)
      await send(command.url, 'PUT', `/v1/stores/${storeOf(t)}/terminals/${terminalOf(t)}`);

    // The outcome as consumers see it: a terminal document naming the payment's last outcome.
    const sentAt = new Map<string, bigint>();
    const latencies = new Map<string, number>();
    const changes = nats.subscribe(`${prefix}.v1.terminal.>`);
    void (async () => {
      for await (const msg of changes) {
        const paymentId = msg.json<{ lastOutcome?: { paymentId: string } }>().lastOutcome?.paymentId;
        const sent = paymentId === undefined ? undefined : sentAt.get(paymentId);
        if (sent !== undefined && !latencies.has(paymentId!))
          latencies.set(paymentId!, Number(process.hrtime.bigint() - sent) / 1e6);
      }
    })();

    const results: { rate: number; sent: number; completed: number; refused: number; p50: number; p99: number }[] = [];
    let next = 0;
    const busy = new Set<number>();
    for (const rate of RATES) {
      const ids: string[] = [];
      let refused = 0;
      const inFlight: Promise<void>[] = [];
      const startedAt = Date.now();
      for (let k = 0; k < rate * SECONDS; k++) {
        // Open loop: the k-th payment leaves at its time, whether or not the earlier ones are done.
        const due = startedAt + (k * 1000) / rate;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        let t = next++ % TERMINALS;
        for (let tries = 0; busy.has(t) && tries < TERMINALS; tries++) t = next++ % TERMINALS;
        busy.add(t);
        inFlight.push(
          (async () => {
            const sent = process.hrtime.bigint();
            try {
              const { body } = await send(
                command.url,
                'POST',
                '/v1/terminal-payments',
                {
                  storeId: storeOf(t),
                  terminalId: terminalOf(t),
                  amount: 10_000,
                  currency: 'NOK',
                  merchantReference: `E-${k}`,
                },
                { 'idempotency-key': randomUUID() },
              );
              const paymentId = String(body.paymentId);
              sentAt.set(paymentId, sent);
              ids.push(paymentId);
              const deadline = Date.now() + 10_000;
              while (!latencies.has(paymentId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
            } catch {
              refused += 1;
            } finally {
              busy.delete(t);
            }
          })(),
        );
      }
      await Promise.all(inFlight);
      const done = ids.filter((id) => latencies.has(id)).map((id) => latencies.get(id)!);
      done.sort((a, b) => a - b);
      const result = {
        rate,
        sent: rate * SECONDS,
        completed: done.length,
        refused,
        p50: round(percentile(done, 50)),
        p99: round(percentile(done, 99)),
      };
      results.push(result);
      console.log(
        `${rate}/s for ${SECONDS} s: ${done.length} of ${result.sent} outcomes in KV, ${refused} refused; p50 ${result.p50} ms, p99 ${result.p99} ms`,
      );
    }
    changes.unsubscribe();
    const sustained = results.filter((r) => r.completed === r.sent && r.p99 < 250).map((r) => r.rate);
    const best = sustained.length > 0 ? Math.max(...sustained) : 0;
    console.log(`highest rate with every outcome in KV and p99 < 250 ms: ${best}/s (goal: p99 < 100 ms at 200/s)`);
    console.log(JSON.stringify({ machine: machine(), seconds: SECONDS, results, highestSustainedRate: best }));
  } finally {
    await nats.close();
    await removeNatsState(prefix);
  }
});

// npm run bench:projections — the built projections app (a real process) over a generated log.
// 1. Generates BENCH_EVENTS events (default 1,000,000) into a SQLite log through the adapter: 1,000 stores,
//    10,000 terminals, payments with a realistic mix of outcomes, card brands and entry methods, and refunds, and
//    every terminal's nightly end-of-day close at each store-day boundary (about 15% of the log at 1,000,000 events).
// 2. Rebuild: runs `projections:rebuild` (its own process) on fresh buckets, from position 0, and times it;
//    its peak resident memory is the process's own maxRSS, which it prints. No projector ran before it, so
//    it writes the payment index too (`rebuildWritingIndexEventsPerSecond`).
// 3. Live catch-up: the live projector starts on the whole log with that rebuild offered. It folds and
//    publishes every event itself (the event feed must have each one, and a rebuild writes no feed), then
//    adopts the rebuild: its rate is `liveCatchUpEventsPerSecond`. `closes` counts the nightly closes in its
//    store-day documents and those that are a mismatch: 0, or the generated log and the projector disagree.
//    Live lag: then payments are appended at BENCH_LAG_RATE events/s,
//    each event timed from its append to its terminal document's change message (sent after the KV write).
// 4. Rebuild again, as in production: beside the live projector, whose payment index is in place
//    (`rebuildEventsPerSecond`). `peakRssMb` is the higher of the two rebuilds'.
// BENCH_LOG_FILE keeps the generated log in that file, and a later run with the same file uses it as it is
// (the live-lag step appends to it): to rebuild 10,000,000 events more than once without generating them again.
// Prints one line per figure and, last, one JSON object with all of them.
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { SqliteEventStore, type NewEvent } from '@app/event-store';
import { addDays, localDate, zonedInstant } from '@app/payment-domain';
import { natsNames } from '@app/messaging';
import { PROJECTED_STREAMS } from '../apps/projections/src/projector/projected-streams';
import type { StoreDayDoc } from '../apps/projections/src/read-models/read-model.types';
import { removeNatsState } from '../test/support/projections';
import { elapsedMs, machine, percentile, pool, round, runWithApps } from './bench-support';
import { event, paymentEvents } from '../test/support/payment-events';
import { generatedCloseEvents } from '../test/support/generated-close-events';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const STORES = 1_000;
const TERMINALS = 10_000;
const LAG_RATE = Number(process.env.BENCH_LAG_RATE ?? 1_000);
const LAG_SECONDS = Number(process.env.BENCH_LAG_SECONDS ?? 5);
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const DAY = Date.parse('2026-11-24T08:00:00.000Z');
const TIME_ZONE = 'Europe/Oslo';

const storeId = (n: number) => `S-${String(n % STORES).padStart(4, '0')}`;
const terminalId = (n: number) => `T-${String(n).padStart(5, '0')}`;
const payment = (n: number, terminal: number, at: number) =>
  paymentEvents(n, { storeId: storeId(terminal), terminalId: terminalId(terminal) }, at);
/** The events of one terminal's payments since its last close, as its batch counts them. */
class TerminalBatch {
  day: string | undefined;
  batch = { purchasesCount: 0, purchasesAmount: 0, reversalsCount: 0, reversalsAmount: 0 };

  count(events: readonly NewEvent[]): void {
    for (const { type, data } of events) {
      const { amount } = data as { readonly amount: number };
      if (type === 'PaymentCaptured') {
        this.batch.purchasesCount++;
        this.batch.purchasesAmount += amount;
      } else if (type === 'RefundRequested') {
        // Every generated refund succeeds, at its payment's terminal.
        this.batch.reversalsCount++;
        this.batch.reversalsAmount += amount;
      }
    }
  }
}

/**
 * Appends `count` payments, 64 lanes side by side; each lane owns the terminals `t % 64 === lane`, so that
 * a terminal's stream is only ever appended to in order, at the revision its lane knows. Before a terminal's first
 * payment of a new store day, its nightly close of the day before: asked for a second before midnight, with the
 * batch of that day's captures and refunds, as a terminal reports it (so that each close matches the log).
 */
async function appendPayments(log: SqliteEventStore, count: number): Promise<number> {
  let written = 0;
  const lanes = Array.from({ length: 64 }, (_, lane) => lane);
  await pool(lanes, lanes.length, async (lane) => {
    const revisions = new Map<string, number>();
    const append = async (stream: string, events: NewEvent[]) => {
      const expected = revisions.get(stream) ?? -1;
      const result = await log.append(stream, events, { expectedRevision: expected < 0 ? 'no_stream' : expected });
      revisions.set(stream, result.nextRevision);
      written += events.length;
    };
    const terminals = Array.from({ length: Math.ceil((TERMINALS - lane) / 64) }, (_, k) => lane + k * 64);
    const batches = new Map<number, TerminalBatch>();
    for (let j = 0; lane + j * 64 < count; j++) {
      const n = lane + j * 64;
      const terminal = terminals[j % terminals.length]!;
      const at = DAY + n * 1_000;
      const day = localDate(new Date(at).toISOString(), TIME_ZONE);
      const open = batches.get(terminal) ?? new TerminalBatch();
      if (open.day !== undefined && open.day !== day) {
        const midnight = zonedInstant(addDays(open.day, 1), '00:00', TIME_ZONE);
        const where = { storeId: storeId(terminal), terminalId: terminalId(terminal) };
        for (const { stream, events } of generatedCloseEvents(where, open.day, midnight - 1_000, open.batch))
          await append(stream, events);
        batches.set(terminal, new TerminalBatch());
      }
      const batch = batches.get(terminal) ?? open;
      batch.day = day;
      batches.set(terminal, batch);
      for (const { stream, events } of payment(n, terminal, at)) {
        batch.count(events);
        await append(stream, events);
      }
    }
  });
  return written;
}

/**
 * How many payments make about `events` events with the stores, terminals and nightly closes: the most whose estimate
 * is not past it. A payment is 5.25 events on average, and each store-day boundary the payments (a second apart) pass
 * adds a close of 7 events on every terminal (a terminal without a payment after the last boundary closes nothing:
 * the estimate counts it).
 */
function paymentsFor(events: number): number {
  const boundaries = (payments: number) => {
    let crossed = 0;
    let day = localDate(new Date(DAY).toISOString(), TIME_ZONE);
    for (; zonedInstant(addDays(day, 1), '00:00', TIME_ZONE) <= DAY + payments * 1_000; crossed++)
      day = addDays(day, 1);
    return crossed;
  };
  const estimate = (payments: number) => STORES + TERMINALS + payments * 5.25 + boundaries(payments) * TERMINALS * 7;
  // The estimate rises with the payments: the largest count within `events`, by bisection.
  let [low, high] = [0, Math.ceil(events / 5.25)];
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (estimate(middle) <= events) low = middle;
    else high = middle - 1;
  }
  return low;
}

async function tail(log: SqliteEventStore, stream: string): Promise<number> {
  const [last] = await log.readStream(stream, { direction: 'backwards', limit: 1 });
  return last?.revision ?? -1;
}

/** The log: 1,000 stores of 10 terminals each, then payments until about BENCH_EVENTS events. */
async function generate(log: SqliteEventStore, paymentsNeeded: number): Promise<number> {
  const generating = process.hrtime.bigint();
  for (let s = 0; s < STORES; s++) {
    await log.append(
      `store-${storeId(s)}`,
      [
        event(
          'StoreRegistered',
          {
            storeId: storeId(s),
            name: storeId(s),
            payoutDestinationId: 'p',
            timeZone: TIME_ZONE,
            at: new Date(DAY).toISOString(),
          },
          { storeId: storeId(s) },
        ),
      ],
      { expectedRevision: 'no_stream' },
    );
  }
  await pool(
    Array.from({ length: STORES }, (_, s) => s),
    32,
    async (s) => {
      const terminals = Array.from({ length: TERMINALS / STORES }, (_, k) => s + k * STORES);
      await log.append(
        `store-${storeId(s)}`,
        terminals.map((t) =>
          event(
            'TerminalRegistered',
            { storeId: storeId(s), terminalId: terminalId(t), at: new Date(DAY).toISOString() },
            { storeId: storeId(s) },
          ),
        ),
        { expectedRevision: 0 },
      );
    },
  );
  let generated = STORES + TERMINALS;
  generated += await appendPayments(log, paymentsNeeded);
  console.log(`generated ${generated} events in ${round(elapsedMs(generating) / 1000, 1)} s`);
  return generated;
}

/** Runs `projections:rebuild` as an operator does, in its own process: its events, time, rate and peak RSS. */
function rebuild(env: NodeJS.ProcessEnv) {
  const started = process.hrtime.bigint();
  const flags = process.env.APP_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
  const cli = path.resolve(__dirname, '../apps/projections/src/rebuild.cli.js');
  const output = execFileSync(process.execPath, [...flags, cli], { env, encoding: 'utf8' });
  const ms = elapsedMs(started);
  const events = Number(/from (\d+) events/.exec(output)?.[1]);
  console.log(output.trim().split('\n').at(-1));
  return {
    events,
    seconds: round(ms / 1000, 2),
    eventsPerSecond: Math.round((events / ms) * 1000),
    peakRssMb: Number(/peak RSS (\d+) MB/.exec(output)?.[1]),
  };
}

runWithApps('projections', async ({ dir, start }) => {
  const file = process.env.BENCH_LOG_FILE ? path.resolve(process.env.BENCH_LOG_FILE) : path.join(dir, 'events.db');
  const reused = existsSync(file);
  const log = new SqliteEventStore({ file });
  const paymentsNeeded = paymentsFor(EVENTS);
  const generated = reused ? Number(await log.headPosition()) : await generate(log, paymentsNeeded);

  const prefix = `bench${randomUUID().slice(0, 8)}`;
  const nats = await connect({ servers: NATS_URL });
  try {
    // The rebuild, as an operator runs it (its own process), into fresh buckets of this run's prefix. With no
    // projector before it, it writes the payment index too.
    const env = { ...process.env, EVENT_STORE_URL: `sqlite:${file}`, NATS_URL, NATS_PREFIX: prefix };
    const first = rebuild(env);
    console.log(
      `rebuild writing the payment index too: ${first.events} events in ${first.seconds} s, ${first.eventsPerSecond} events/s; peak RSS ${first.peakRssMb} MB`,
    );

    // The live projector adopts the rebuild at start, then follows, until its checkpoint names the log's last
    // projected event: not the head, which is the log's identity (stream `log-identity`, not projected) when
    // the rebuild above was the first to ask for it.
    const last = await lastProjected(log);
    const starting = process.hrtime.bigint();
    await start(
      'projections',
      { EVENT_STORE_URL: `sqlite:${file}`, NATS_URL, NATS_PREFIX: prefix, LOG_LEVEL: 'warn' },
      300_000,
    );
    const state = await new Kvm(nats).open(`${prefix}_projections`);
    /** Until the live projector has adopted the rebuild offered and its checkpoint is at `position` or past it. */
    const adopted = async (position: bigint) => {
      for (;;) {
        const entry = await state.get('checkpoint');
        const handOver = await state.get('rebuild');
        const taken = !handOver || handOver.operation !== 'PUT';
        if (taken && entry?.operation === 'PUT' && BigInt(entry.json<{ position: string }>().position) >= position)
          return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await adopted(last);
    // Until then it folds and publishes the whole log itself: the feed has every event, and a rebuild writes none.
    const catchUpSeconds = round(elapsedMs(starting) / 1000, 1);
    const liveCatchUpEventsPerSecond = Math.round(generated / catchUpSeconds);
    console.log(
      `live projector started on the whole log, caught up and adopted the rebuild in ${catchUpSeconds} s (${liveCatchUpEventsPerSecond} events/s)`,
    );

    // The generated closes match the log (each batch is its day's captures and refunds): a mismatch would mean the
    // generator and the projector disagree, and the run measures a path production does not take.
    const closes = await closesFolded(nats, natsNames(prefix).buckets.storeDays);
    console.log(`nightly closes in the store days: ${closes.closes}, mismatches ${closes.mismatches}`);

    // Live lag: the terminal document's change message names the position it reflects.
    const appendedAt = new Map<string, bigint>();
    const lags: number[] = [];
    const changes = nats.subscribe(
      `${natsNames(prefix).changes.terminal('x', 'y').split('.').slice(0, 3).join('.')}.>`,
    );
    const watching = (async () => {
      for await (const msg of changes) {
        const sent = appendedAt.get(msg.json<{ position: string }>().position);
        if (sent !== undefined) lags.push(Number(process.hrtime.bigint() - sent) / 1e6);
      }
    })();
    const liveLog = new SqliteEventStore({ file });
    const paymentsPerSecond = LAG_RATE / 5;
    const deadline = Date.now() + LAG_SECONDS * 1_000;
    let n = paymentsNeeded;
    const revisions = new Map<string, number>();
    while (Date.now() < deadline) {
      const tickStart = Date.now();
      const batch = Math.max(1, Math.round(paymentsPerSecond / 50));
      await Promise.all(
        Array.from({ length: batch }, async () => {
          const k = n++;
          for (const { stream, events } of payment(k, k % TERMINALS, DAY + k * 1_000)) {
            const expected =
              revisions.get(stream) ?? (stream.startsWith('terminal-') ? await tail(liveLog, stream) : -1);
            const result = await liveLog.append(stream, events, {
              expectedRevision: expected < 0 ? 'no_stream' : expected,
            });
            revisions.set(stream, result.nextRevision);
            if (stream.startsWith('terminal-')) appendedAt.set(result.position.toString(), process.hrtime.bigint());
          }
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 20 - (Date.now() - tickStart))));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    changes.unsubscribe();
    await watching;
    await liveLog.close();
    lags.sort((a, b) => a - b);
    const lag = { p50: round(percentile(lags, 50)), p99: round(percentile(lags, 99)), samples: lags.length };
    console.log(`live lag from append to KV and change message: p50 ${lag.p50} ms, p99 ${lag.p99} ms (goal p99 < 50)`);

    // The rebuild as it runs in production: beside the live projector, whose payment index is in place.
    const second = rebuild(env);
    console.log(
      `rebuild beside the live projector: ${second.events} events in ${second.seconds} s, ${second.eventsPerSecond} events/s (goal ≥ 150,000); peak RSS ${second.peakRssMb} MB (goal < 300)`,
    );
    await adopted(0n);
    console.log(
      JSON.stringify({
        machine: machine(),
        events: generated,
        rebuildEventsPerSecond: second.eventsPerSecond,
        peakRssMb: Math.max(first.peakRssMb, second.peakRssMb),
        rebuildWritingIndexEventsPerSecond: first.eventsPerSecond,
        liveCatchUpEventsPerSecond,
        liveLagMs: lag,
        closes,
      }),
    );
  } finally {
    await log.close();
    await nats.close();
    await removeNatsState(prefix);
  }
});

/** The closes in the live projector's store-day documents, and how many of them are a mismatch. */
async function closesFolded(nats: NatsConnection, bucket: string) {
  const days = await new Kvm(nats).open(bucket);
  const keys: string[] = [];
  for await (const key of await days.keys()) keys.push(key);
  let [closes, mismatches] = [0, 0];
  for (const key of keys) {
    const entry = await days.get(key);
    if (entry?.operation !== 'PUT') continue;
    for (const close of Object.values(entry.json<StoreDayDoc>().closes ?? {})) {
      closes++;
      if (close.mismatch) mismatches++;
    }
  }
  return { closes, mismatches };
}

/** The position of the log's last event the projector folds (its checkpoint never names another). */
async function lastProjected(log: SqliteEventStore): Promise<bigint> {
  const head = await log.headPosition();
  let last = 0n;
  // The few events after it (the log's identity) are at the very end: a short look back finds it.
  for (let after = head > 1_000n ? head - 1_000n : 0n; ;) {
    const page = await log.readAll({ after, limit: 1_000, streamPrefixes: PROJECTED_STREAMS });
    if (page.length === 0) return last;
    last = page[page.length - 1]!.position;
    after = last;
  }
}

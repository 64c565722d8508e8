// npm run bench:dashboard — the store dashboard of a large chain in a real headless Chromium.
// 1. Generates a SQLite log: BENCH_STORES stores (default 500) with 4 terminals each, and a week of history
//    (BENCH_HISTORY_PER_STORE_DAY payments a store a day), so that every store has its seven store-days.
// 2. Starts the built projections app (a real process) over it, with an operator key for every store, and
//    waits until it has projected the whole log.
// 3. First view: signs in, then reloads the page BENCH_LOADS times (default 5), timing each from the reload
//    to every store's card drawn and the stream live.
// 4. An hour of demo traffic: `npm start`'s demo (80 terminals, a payment every few seconds each) ends about
//    16 payments a second, some 57,600 in an hour. They are appended at BENCH_RATE payments/s (default 200,
//    the hour in under five minutes), spread over all the chain's terminals, with the page open; the tab's
//    renderer process RSS and its JS heap are sampled every 5 s.
// Prints one line per figure and, last, one JSON object with all of them.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { chromium } from 'playwright-core';
import { SqliteEventStore } from '@app/event-store';
import { removeNatsState } from '../test/support/projections';
import { testOperator, writeOperatorsFile } from '../test/support/operators';
import { elapsedMs, machine, percentile, pool, round, runWithApps } from './bench-support';
import { event, paymentEvents } from '../test/support/payment-events';

const STORES = Number(process.env.BENCH_STORES ?? 500);
const TERMINALS_PER_STORE = 4;
const HISTORY_PER_STORE_DAY = Number(process.env.BENCH_HISTORY_PER_STORE_DAY ?? 10);
const LOADS = Number(process.env.BENCH_LOADS ?? 5);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const HOUR_OF_DEMO = Number(process.env.BENCH_PAYMENTS ?? 57_600);
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DAY_MS = 86_400_000;

const storeId = (s: number) => `store-${String(s).padStart(4, '0')}`;
const terminalId = (t: number) => `T-${String(t).padStart(5, '0')}`;
/** Terminal t belongs to store t % STORES. */
const where = (t: number) => ({ storeId: storeId(t % STORES), terminalId: terminalId(t) });
const TERMINALS = STORES * TERMINALS_PER_STORE;

/** The chain's stores and terminals, registered a week ago. */
async function registerChain(log: SqliteEventStore, at: string): Promise<void> {
  await pool(
    Array.from({ length: STORES }, (_, s) => s),
    32,
    async (s) => {
      const ids = { storeId: storeId(s) };
      const terminals = Array.from({ length: TERMINALS_PER_STORE }, (_, k) => s + k * STORES);
      await log.append(
        `store-${storeId(s)}`,
        [
          event(
            'StoreRegistered',
            { storeId: storeId(s), name: `Store ${s + 1}`, payoutDestinationId: 'p', timeZone: 'Europe/Oslo', at },
            ids,
          ),
          ...terminals.map((t) =>
            event('TerminalRegistered', { storeId: storeId(s), terminalId: terminalId(t), at }, ids),
          ),
        ],
        { expectedRevision: 'no_stream' },
      );
    },
  );
}

/**
 * Appends payments `from` … `from + count - 1`, at most `perSecond` a second (unpaced when undefined); payment n
 * runs on terminal n % TERMINALS at `time(n)`. 64 lanes, each owning the terminals `t % 64 === lane`, so that a
 * terminal's stream is only appended to in order.
 */
async function appendPayments(
  log: SqliteEventStore,
  revisions: Map<string, number>,
  from: number,
  count: number,
  time: (n: number) => number,
  perSecond?: number,
): Promise<number> {
  const started = Date.now();
  let written = 0;
  let done = 0;
  const lanes = Array.from({ length: 64 }, (_, lane) => lane);
  await pool(lanes, lanes.length, async (lane) => {
    for (let n = from + lane; n < from + count; n += 64) {
      if (perSecond !== undefined) {
        const due = started + (done / perSecond) * 1000;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      }
      for (const { stream, events } of paymentEvents(n, where(n % TERMINALS), time(n))) {
        const expected = revisions.get(stream) ?? -1;
        const result = await log.append(stream, events, { expectedRevision: expected < 0 ? 'no_stream' : expected });
        revisions.set(stream, result.nextRevision);
        written += events.length;
      }
      done += 1;
    }
  });
  return written;
}

/** Process ids under `root` (itself included), from /proc. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // The process ended meanwhile.
    }
  }
  const found = [root];
  for (let i = 0; i < found.length; i++) found.push(...(children.get(found[i]!) ?? []));
  return found;
}

interface TabMemory {
  /** Private memory (`Private_Clean + Private_Dirty`): the tab's own footprint, as Chrome's task manager counts it. */
  readonly privateMb: number;
  readonly pssMb: number;
  /** Resident set: also counts the Chromium binary and libraries every process shares (about 120 MB here). */
  readonly rssMb: number;
}

/** The memory of the browser's renderer process with the largest private footprint: the tab's. */
function tabMemory(browserPid: number): TabMemory {
  let largest: TabMemory = { privateMb: 0, pssMb: 0, rssMb: 0 };
  for (const pid of descendants(browserPid)) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) continue;
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0);
      const memory = {
        privateMb: round((kb('Private_Clean') + kb('Private_Dirty')) / 1024, 1),
        pssMb: round(kb('Pss') / 1024, 1),
        rssMb: round(kb('Rss') / 1024, 1),
      };
      if (memory.privateMb > largest.privateMb) largest = memory;
    } catch {
      // The process ended meanwhile.
    }
  }
  return largest;
}

runWithApps('dashboard', async ({ dir, start }) => {
  const file = path.join(dir, 'events.db');
  const log = new SqliteEventStore({ file });
  const now = Date.now();
  const weekAgo = now - 6 * DAY_MS;
  const generating = process.hrtime.bigint();
  await registerChain(log, new Date(weekAgo - DAY_MS).toISOString());
  const history = STORES * HISTORY_PER_STORE_DAY * 7;
  const revisions = new Map<string, number>();
  // The week's payments, spread evenly from six days ago to a minute ago.
  const span = now - 60_000 - weekAgo;
  let generated =
    STORES * (1 + TERMINALS_PER_STORE) +
    (await appendPayments(log, revisions, 0, history, (n) => weekAgo + Math.floor((n / history) * span)));
  console.log(`generated ${generated} events in ${round(elapsedMs(generating) / 1000, 1)} s`);

  const operator = testOperator('bench-operator');
  const operatorsFile = writeOperatorsFile(path.join(dir, 'operators.json'), [operator]);
  const prefix = `bench${Math.random().toString(36).slice(2, 10)}`;
  const nats = await connect({ servers: NATS_URL });
  const browser = await chromium.launchServer({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  try {
    const head = await log.headPosition();
    const app = await start(
      'projections',
      {
        EVENT_STORE_URL: `sqlite:${file}`,
        NATS_URL,
        NATS_PREFIX: prefix,
        OPERATORS_FILE: operatorsFile,
        LOG_LEVEL: 'warn',
      },
      300_000,
    );
    const state = await new Kvm(nats).open(`${prefix}_projections`);
    for (;;) {
      const entry = await state.get('checkpoint');
      if (entry?.operation === 'PUT' && BigInt(entry.json<{ position: string }>().position) >= head) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // The first view, as a signed-in operator opens it.
    const client = await chromium.connect(browser.wsEndpoint());
    const page = await client.newPage({ viewport: { width: 1_400, height: 900 } });
    await page.goto(`${app.url}/dashboard`);
    await page.locator('#sign-in input[name="key"]').fill(operator.key);
    await page.locator('#sign-in button[type="submit"]').click();
    const allDrawn = `document.querySelectorAll('[data-store-id]').length === ${STORES} && document.getElementById('connection').dataset.state === 'live'`;
    await page.waitForFunction(allDrawn, undefined, { timeout: 60_000 });
    const loads: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      const reload = process.hrtime.bigint();
      await page.reload({ waitUntil: 'commit' });
      await page.waitForFunction(allDrawn, undefined, { timeout: 60_000, polling: 'raf' });
      loads.push(round(elapsedMs(reload)));
    }
    loads.sort((a, b) => a - b);
    // The server's part: the first view's JSON, asked for on its own.
    const served: number[] = [];
    let firstViewKb = 0;
    for (let i = 0; i < LOADS; i++) {
      const asked = process.hrtime.bigint();
      const first = await fetch(`${app.url}/v1/dashboard/stores`, {
        headers: { authorization: `Bearer ${operator.key}` },
      });
      firstViewKb = round((await first.arrayBuffer()).byteLength / 1024, 0);
      served.push(round(elapsedMs(asked)));
    }
    served.sort((a, b) => a - b);
    console.log(
      `first view of ${STORES} stores and ${TERMINALS} terminals (${firstViewKb} KB): median ${percentile(loads, 50)} ms, slowest ${loads.at(-1)} ms (goal < 1,000 ms); the server answers it in ${percentile(served, 50)} ms (median)`,
    );

    // An hour of demo traffic, with the page open.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const heapMb = async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      const value = (name: string) => metrics.find((metric) => metric.name === name)?.value ?? 0;
      return { heap: round(value('JSHeapUsedSize') / 2 ** 20, 1), nodes: value('Nodes') };
    };
    const browserPid = browser.process().pid!;
    const samples: (TabMemory & { atS: number; heapMb: number; nodes: number })[] = [];
    const sample = async (atS: number) => {
      const { heap, nodes } = await heapMb();
      samples.push({ atS, ...tabMemory(browserPid), heapMb: heap, nodes });
    };
    // The reloads left their pages' garbage: collected first, so that the start is the page as it stands.
    await cdp.send('HeapProfiler.collectGarbage');
    await sample(0);
    const trafficStart = Date.now();
    const sampler = setInterval(() => void sample(round((Date.now() - trafficStart) / 1000, 0)), 5_000);
    const traffic = await appendPayments(log, revisions, history, HOUR_OF_DEMO, () => Date.now(), RATE);
    generated += traffic;
    clearInterval(sampler);
    const trafficSeconds = round((Date.now() - trafficStart) / 1000, 1);
    // The last changes reach the page, then it is measured once more after a collection.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await cdp.send('HeapProfiler.collectGarbage');
    await sample(round((Date.now() - trafficStart) / 1000, 0));
    const peak = (field: keyof TabMemory) => Math.max(...samples.map((s) => s[field]));
    const [start0, last] = [samples[0]!, samples.at(-1)!];
    console.log(
      `an hour of demo traffic (${HOUR_OF_DEMO} payments, ${traffic} events) in ${trafficSeconds} s: the tab's private memory ${start0.privateMb} MB at the start, peak ${peak('privateMb')} MB, ${last.privateMb} MB at the end (goal < 150 MB); PSS ${start0.pssMb} → ${last.pssMb} MB (peak ${peak('pssMb')}); RSS with shared pages ${start0.rssMb} → ${last.rssMb} MB (peak ${peak('rssMb')}); JS heap ${start0.heapMb} → ${last.heapMb} MB; DOM nodes ${start0.nodes} → ${last.nodes}`,
    );
    await client.close();
    console.log(
      JSON.stringify({
        bench: 'dashboard',
        machine: machine(),
        stores: STORES,
        terminals: TERMINALS,
        events: generated,
        firstViewKb,
        firstViewMs: { median: percentile(loads, 50), max: loads.at(-1), serverMedian: percentile(served, 50) },
        demoHour: { payments: HOUR_OF_DEMO, seconds: trafficSeconds, rate: RATE },
        tabPrivateMb: { start: start0.privateMb, peak: peak('privateMb'), end: last.privateMb },
        tabPssMb: { start: start0.pssMb, peak: peak('pssMb'), end: last.pssMb },
        tabRssMb: { start: start0.rssMb, peak: peak('rssMb'), end: last.rssMb },
        jsHeapMb: { start: start0.heapMb, end: last.heapMb },
        domNodes: { start: start0.nodes, end: last.nodes },
      }),
    );
  } finally {
    await browser.close();
    await nats.close();
    await log.close();
    await removeNatsState(prefix);
  }
});

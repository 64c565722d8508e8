// npm run bench:fold — the read models' fold alone: the CPU an event costs the pure projections, with no read of the
// log, no KV and no NATS in the time. What the rebuild's speed goal (150,000 events/s on two cores, 6.7 µs an event
// for everything) leaves the fold is a fraction of that, and `bench:projections` measures the fold only together with
// the read of the log, the KV writes and the live projector beside it, whose spread between runs hides a change to
// the fold of 10%.
// 1. Reads the whole log of BENCH_LOG_FILE (a log `bench:projections` generated: `BENCH_LOG_FILE=/tmp/bench1m.db npm
//    run bench:projections` makes one) into memory, as the rebuild reads it: pages of 1,000 projected events.
// 2. Folds it BENCH_REPS times (default 5), each into a fresh projector, as the rebuild folds: the same apply, past
//    store days retired after each page into a map standing in for KV and read back from it. Each fold is timed by
//    the process's CPU (user + system; `process.cpuUsage`) and by the wall clock, with the garbage collections it
//    took. The first fold also pays for the garbage the read left behind: compare the rest.
// Runs on the young generation the rebuild runs on (`REBUILD_SEMI_SPACE_MIB`; an own `--max-semi-space-size` is kept).
// BENCH_DUMP=file writes every document the last fold made, one `model:key<TAB>JSON` line each, sorted by key: two
// builds that fold the same log into the same documents give files that `cmp` finds equal.
// Prints one line per fold and per figure and, last, one JSON object with all of them.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { SqliteEventStore, type RecordedEvent } from '@app/event-store';
import { PROJECTED_STREAMS } from '../apps/projections/src/projector/projected-streams';
import { applyFromLog } from '../apps/projections/src/read-models/apply-from-log';
import { ReadModelProjector } from '../apps/projections/src/read-models/read-model.projector';
import type { StoreDayDoc } from '../apps/projections/src/read-models/read-model.types';
import { REBUILD_SEMI_SPACE_MIB } from '../apps/projections/src/rebuild/rebuild-heap';
import { machine, round } from './bench-support';

const LOG_FILE = process.env.BENCH_LOG_FILE;
const REPS = Number(process.env.BENCH_REPS ?? 5);
const DUMP = process.env.BENCH_DUMP;
const PAGE = 1_000;

/** The collections seen since the process started, by kind. */
const collections = { scavenges: 0, markCompacts: 0, pauseMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const { kind } = (entry as unknown as { readonly detail: { readonly kind: number } }).detail;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) collections.scavenges++;
    else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) collections.markCompacts++;
    collections.pauseMs += entry.duration;
  }
}).observe({ entryTypes: ['gc'] });

async function readLog(file: string): Promise<{ pages: RecordedEvent[][]; events: number }> {
  const store = new SqliteEventStore({ file });
  const pages: RecordedEvent[][] = [];
  let after = 0n;
  let events = 0;
  try {
    for (;;) {
      const page = await store.readAll({ after, limit: PAGE, streamPrefixes: PROJECTED_STREAMS, lazyMetadata: true });
      if (page.length === 0) return { pages, events };
      pages.push(page);
      events += page.length;
      after = page[page.length - 1]!.position;
    }
  } finally {
    await store.close();
  }
}

/** One fold of the pages read, as the rebuild folds: its documents, and its store days retired. */
async function fold(file: string, pages: readonly RecordedEvent[][]) {
  // The apply reads a payment's or store's stream only for one it has not seen in the pages: none in a whole log.
  const store = new SqliteEventStore({ file });
  const projector = new ReadModelProjector();
  const retired = new Map<string, StoreDayDoc>();
  const readDay = (key: string) => Promise.resolve(retired.get(key));
  const ignore = () => undefined;
  try {
    for (const page of pages) {
      await applyFromLog(store, projector, page, ignore, readDay);
      for (const { key, doc } of projector.retirePastDays(page[page.length - 1]!.position)) retired.set(key, doc);
    }
  } finally {
    await store.close();
  }
  return { projector, retired };
}

function dump(file: string, folded: Awaited<ReturnType<typeof fold>>): number {
  const all = new Map<string, unknown>();
  for (const [key, doc] of folded.retired) all.set(`store-day:${key}`, doc);
  for (const change of folded.projector.documents()) all.set(`${change.model}:${change.key}`, change.doc);
  const out = openSync(file, 'w');
  try {
    for (const key of [...all.keys()].sort()) writeSync(out, `${key}\t${JSON.stringify(all.get(key))}\n`);
  } finally {
    closeSync(out);
  }
  return all.size;
}

/** The collections' entries come on a later turn than the fold that took them. */
const collectionsSeen = () => new Promise((resolve) => setTimeout(resolve, 50));

async function main(file: string): Promise<void> {
  const { pages, events } = await readLog(file);
  console.log(`read ${events} projected events from ${file}`);
  const folds: { cpuUsPerEvent: number; wallMs: number; scavenges: number; markCompacts: number; gcMs: number }[] = [];
  let documents: number | undefined;
  for (let rep = 1; rep <= REPS; rep++) {
    await collectionsSeen();
    const before = { ...collections };
    const cpu = process.cpuUsage();
    const began = process.hrtime.bigint();
    const folded = await fold(file, pages);
    const wallMs = Number(process.hrtime.bigint() - began) / 1e6;
    const { user, system } = process.cpuUsage(cpu);
    await collectionsSeen();
    const figures = {
      cpuUsPerEvent: round((user + system) / events, 3),
      wallMs: round(wallMs, 0),
      scavenges: collections.scavenges - before.scavenges,
      markCompacts: collections.markCompacts - before.markCompacts,
      gcMs: round(collections.pauseMs - before.pauseMs, 0),
    };
    folds.push(figures);
    if (DUMP && rep === REPS) documents = dump(DUMP, folded);
    console.log(
      `fold ${rep}: ${figures.cpuUsPerEvent} µs CPU an event, ${figures.wallMs} ms, ` +
        `${figures.scavenges} scavenges, ${figures.markCompacts} mark-compacts, ${figures.gcMs} ms in collections`,
    );
  }
  // The first fold pays for the read's garbage too.
  const compared = (folds.length > 1 ? folds.slice(1) : folds).map((f) => f.cpuUsPerEvent).sort((a, b) => a - b);
  const minCpuUsPerEvent = compared[0]!;
  const medianCpuUsPerEvent = compared[Math.floor((compared.length - 1) / 2)]!;
  console.log(`fold CPU an event, folds 2-${REPS}: min ${minCpuUsPerEvent} µs, median ${medianCpuUsPerEvent} µs`);
  if (documents !== undefined) console.log(`wrote ${documents} documents to ${DUMP}`);
  console.log(
    JSON.stringify({ machine: machine(), events, reps: REPS, folds, minCpuUsPerEvent, medianCpuUsPerEvent, documents }),
  );
}

if (!LOG_FILE || !existsSync(LOG_FILE)) {
  console.error(
    `bench:fold folds a log generated by bench:projections: BENCH_LOG_FILE=${LOG_FILE ?? '<file>'} names none. ` +
      'Make one with `BENCH_LOG_FILE=/tmp/bench1m.db npm run bench:projections` first.',
  );
  process.exit(1);
} else if (!Number.isInteger(REPS) || REPS < 1) {
  console.error(`BENCH_REPS must be a whole number of folds, 1 or more: ${process.env.BENCH_REPS}`);
  process.exit(1);
} else if (
  ![...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((flag) =>
    flag.startsWith('--max-semi-space-size'),
  )
) {
  // The young generation is fixed as the process starts: this one again, with the rebuild's.
  const again = spawnSync(
    process.execPath,
    [...process.execArgv, `--max-semi-space-size=${REBUILD_SEMI_SPACE_MIB}`, ...process.argv.slice(1)],
    { stdio: 'inherit' },
  );
  process.exit(again.status ?? 1);
} else {
  main(LOG_FILE).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

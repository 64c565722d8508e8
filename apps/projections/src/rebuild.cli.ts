/**
 * `npm run projections:rebuild`: rebuilds every read model from position 0 into new buckets while the live
 * ones keep serving, then hands them over to the live projector (see `rebuild/rebuild.ts`). Configured like
 * the projections app (EVENT_STORE_URL, NATS_URL, NATS_PREFIX).
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { SingleBar, Presets } from 'cli-progress';
import { createEventStore } from '@app/event-store';
import { connectNats } from '@app/messaging';
import { ConfigError, loadConfig } from '@app/platform';
import { ProjectionsConfig } from './projections.config';
import { rebuildReadModels } from './rebuild/rebuild';

async function main(): Promise<void> {
  const config = loadConfig(ProjectionsConfig, process.env);
  if (!heapBounded()) return runWithHeap(config.rebuildHeapMib);
  // The rebuild reads the log once, in order: a large page cache would only hold pages it never reads again.
  const store = createEventStore(config.eventStoreUrl, { readCacheMib: 2 });
  const nats = await connectNats(config.natsUrl, 'projections-rebuild');
  // cli-progress draws the bar (rate, ETA, redraws on a TTY, plain lines elsewhere) rather than hand-made output.
  const bar = new SingleBar(
    { format: 'rebuilding [{bar}] {percentage}% | {value}/{total} log position | {applied} events', hideCursor: true },
    Presets.shades_classic,
  );
  const started = Date.now();
  bar.start(Number(await store.headPosition()), 0, { applied: 0 });
  try {
    const result = await rebuildReadModels(store, nats, config.natsPrefix, ({ applied, position, head }) => {
      bar.setTotal(Number(head));
      bar.update(Number(position), { applied });
    });
    bar.stop();
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `rebuilt ${result.documents} documents from ${result.events} events in ${seconds.toFixed(1)} s ` +
        `(${Math.round(result.events / Math.max(seconds, 0.001))} events/s), caught up at position ${result.position}; ` +
        `peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB ` +
        `(heap limit ${Math.round(getHeapStatistics().heap_size_limit / 1_048_576)} MiB); ` +
        'handed over to the live projector (the next one to start adopts it if none runs)',
    );
  } finally {
    bar.stop();
    await nats.drain();
    await store.close();
  }
}

/** Whether the heap's bound was set on this process: by `runWithHeap`, or by whoever started it. */
function heapBounded(): boolean {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((flag) =>
    flag.startsWith('--max-old-space-size'),
  );
}

/**
 * Runs the rebuild again in a process whose heap is bounded (`REBUILD_HEAP_MIB`): V8 takes the bound only
 * at start. The child prints and exits for both; a signal to this one is passed on to it, and this one ends
 * as it ended.
 */
function runWithHeap(heapMib: number): void {
  // An inspector port would be taken twice.
  const flags = process.execArgv.filter((flag) => !flag.startsWith('--inspect'));
  const child = spawn(
    process.execPath,
    [`--max-old-space-size=${heapMib}`, ...flags, __filename, ...process.argv.slice(2)],
    {
      stdio: 'inherit',
    },
  );
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of signals) process.on(signal, forward);
  child.on('error', (error) => {
    console.error(`rebuild failed: could not start it with a bounded heap: ${error.message}`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    for (const each of signals) process.off(each, forward);
    process.exitCode = code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 1);
  });
}

main().catch((error: unknown) => {
  console.error(`rebuild failed: ${error instanceof ConfigError ? error.message : String(error)}`);
  process.exit(1);
});

import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { SingleBar, Presets } from 'cli-progress';
import { createEventStore, maskedConnectionString, sqliteFileOf } from '@app/event-store';
import { connectChecked } from '@app/messaging';
// The config's loader alone: the library's entry loads Nest, Fastify, Swagger and the Dintero client, about a
// second of a rebuild's start that it uses none of.
import { loadConfig } from '@app/platform/config/load-config';
import { ProjectionsConfig } from '../projections.config';
import { rebuildReadModels } from './rebuild';

/** The rebuild as `npm run projections:rebuild` runs it, in the process whose heap is bounded (`rebuild.cli.ts`). */
export async function runRebuild(): Promise<void> {
  const config = loadConfig(ProjectionsConfig, process.env);
  // The rebuild reads the engine's log: a file that is not there is a wrong path (another DATA_DIR than npm start's),
  // not a log to make empty and offer as the read models.
  const file = sqliteFileOf(config.eventStoreUrl);
  if (file !== undefined && !existsSync(file))
    throw new Error(
      config.eventStoreUrlSet === undefined
        ? `no event log in DATA_DIR=${config.dataDir || './data'}: ${path.resolve(file)} does not exist (EVENT_STORE_URL ` +
            'is unset, so the log is events.db in DATA_DIR): give the DATA_DIR npm start was given, or EVENT_STORE_URL. ' +
            'Nothing was rebuilt.'
        : `EVENT_STORE_URL names no event log: ${path.resolve(file)} does not exist (npm start keeps its log in ` +
            'DATA_DIR/events.db). Nothing was rebuilt.',
    );
  console.log(
    `rebuilding the read models of NATS_PREFIX=${config.natsPrefix} from ` +
      // Masked as the KurrentDB client reads the password (a `/` in it included), never printed.
      maskedConnectionString(config.eventStoreUrl),
  );
  // The rebuild reads the log once, in order: a large page cache would only hold pages it never reads again.
  const store = createEventStore(config.eventStoreUrl, {
    readCacheMib: 2,
    readAllTimeoutMs: config.kurrentDbReadAllTimeoutMs,
  });
  const nats = await connectChecked(config.natsUrl, 'projections-rebuild', {
    replicas: config.natsReplicas,
    settleTimeoutSeconds: config.natsSettleTimeoutSeconds,
  });
  // cli-progress draws the bar (rate, ETA, redraws on a TTY, plain lines elsewhere) rather than hand-made output.
  const bar = new SingleBar(
    { format: 'rebuilding [{bar}] {percentage}% | {value}/{total} log position | {applied} events', hideCursor: true },
    Presets.shades_classic,
  );
  const started = Date.now();
  const stop = stopOnSignal();
  bar.start(Number(await store.headPosition()), 0, { applied: 0 });
  try {
    const result = await rebuildReadModels(store, nats, config.natsPrefix, {
      signal: stop.signal,
      onProgress: ({ applied, position, head }) => {
        bar.setTotal(Number(head));
        bar.update(Number(position), { applied });
      },
      leaseMs: config.projectorLeaseSeconds * 1_000,
      replicas: config.natsReplicas,
    });
    bar.stop();
    if (result.withdrew !== undefined)
      console.log(`withdrew the rebuild offered earlier at position ${result.withdrew}, which was never adopted`);
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `rebuilt ${result.documents} documents from ${result.events} events in ${seconds.toFixed(1)} s ` +
        `(${Math.round(result.events / Math.max(seconds, 0.001))} events/s), caught up at position ${result.position}; ` +
        `peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB ` +
        `(heap limit ${Math.round(getHeapStatistics().heap_size_limit / 1_048_576)} MiB); ` +
        'handed over to the live projector (the next one to start adopts it if none runs)',
    );
  } catch (error) {
    // Stopped by the signal, and not by another failure meanwhile (a lock lost, NATS gone), which is told as it is.
    if (!stop.signal.aborted || error !== stop.signal.reason) throw error;
    bar.stop();
    console.error(
      `rebuild stopped by ${stop.by}: nothing was offered, and its lock is let go (the next rebuild removes what it ` +
        'wrote, and may run at once)',
    );
    process.exitCode = 128 + (osConstants.signals[stop.by!] ?? 0);
  } finally {
    stop.dispose();
    bar.stop();
    await nats.drain();
    await store.close();
  }
}

/**
 * Ctrl-C (or a stop of the service running it) ends the rebuild between two pages, so that it lets its lock go:
 * killed outright, it held the lock until it lapsed, and a rebuild run again at once was refused as if another
 * ran. Ctrl-C reaches this process twice (from the terminal, and passed on by the process that started it,
 * `rebuild.cli.ts`): a signal within `REPEAT_MS` of the first is that one again; a later one ends it at once.
 */
function stopOnSignal() {
  const controller = new AbortController();
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  let firstAt = 0;
  const stop = {
    signal: controller.signal,
    by: undefined as NodeJS.Signals | undefined,
    dispose: () => {
      for (const each of signals) process.off(each, onSignal);
    },
  };
  function onSignal(signal: NodeJS.Signals) {
    if (stop.by === undefined) {
      stop.by = signal;
      firstAt = Date.now();
      controller.abort(new Error(`stopped by ${signal}`));
    } else if (Date.now() - firstAt > REPEAT_MS) process.exit(128 + (osConstants.signals[signal] ?? 0));
  }
  for (const each of signals) process.on(each, onSignal);
  return stop;
}

/** How long after a stop signal the same signal, passed on by the parent process, is taken for that one. */
const REPEAT_MS = 1_000;

/**
 * `npm run projections:rebuild`: rebuilds every read model from position 0 into new buckets while the live
 * ones keep serving, then hands them over to the live projector (see `rebuild/rebuild.ts`). Configured like
 * the projections app (EVENT_STORE_URL, else `events.db` in DATA_DIR as `npm start` keeps it; NATS_URL, NATS_PREFIX).
 */
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { heapMibToStartWith, REBUILD_SEMI_SPACE_MIB } from './rebuild/rebuild-heap';

const HELP = [
  'usage: npm run projections:rebuild',
  'Folds the whole event log again into new read-model buckets while the live ones keep serving, then hands them',
  'over to the live projector (or to the next one to start). It takes no arguments; it is configured as the',
  'projections app is: EVENT_STORE_URL, else the log npm start keeps in DATA_DIR (events.db in it, ./data by',
  'default: give the DATA_DIR npm start was given), NATS_URL and NATS_PREFIX. A log that is not there is refused.',
  'Ctrl-C stops it between two pages, offering nothing.',
].join('\n');

/**
 * The command takes no arguments: `--help` (or any word) was once not read at all, and `npm run
 * projections:rebuild -- --help` rebuilt the read models of whatever NATS_PREFIX it found.
 */
function refuseArguments(args: readonly string[]): void {
  if (args.length === 0) return;
  const help = args.includes('--help') || args.includes('-h');
  (help ? process.stdout : process.stderr).write(
    `${help ? '' : `projections:rebuild takes no arguments, not ${args.map((arg) => JSON.stringify(arg)).join(' ')}\n`}${HELP}\n`,
  );
  process.exit(help ? 0 : 2);
}

async function main(): Promise<void> {
  refuseArguments(process.argv.slice(2));
  // Nothing else is loaded before the bounded process runs: loading the apps' libraries takes about a second.
  if (!heapBounded()) return runWithHeap(heapMibToStartWith(process.env));
  await import('reflect-metadata');
  const { runRebuild } = await import('./rebuild/rebuild.command.js');
  await runRebuild();
}

/** Whether the heap's bound was set on this process: by `runWithHeap`, or by whoever started it. */
function heapBounded(): boolean {
  return nodeFlags().some((flag) => flag.startsWith('--max-old-space-size'));
}

/** The V8 flags this process was started with, on its command line or in NODE_OPTIONS. */
function nodeFlags(): string[] {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
}

/**
 * Runs the rebuild again in a process whose heap is bounded (`REBUILD_HEAP_MIB`) and whose young generation is
 * sized for a fold (`REBUILD_SEMI_SPACE_MIB`): V8 takes both only at start. The child prints and exits for both;
 * a signal to this one is passed on to it, and this one ends as it ended.
 */
function runWithHeap(heapMib: number): void {
  // An inspector port would be taken twice.
  const flags = process.execArgv.filter((flag) => !flag.startsWith('--inspect'));
  const youngGeneration = nodeFlags().some((flag) => flag.startsWith('--max-semi-space-size'))
    ? []
    : [`--max-semi-space-size=${REBUILD_SEMI_SPACE_MIB}`];
  const child = spawn(
    process.execPath,
    [`--max-old-space-size=${heapMib}`, ...youngGeneration, ...flags, __filename, ...process.argv.slice(2)],
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
  // Its message, as a configuration refused (`ConfigError`) always was: `Error: ` before it said nothing more.
  console.error(`rebuild failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

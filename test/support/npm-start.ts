import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort, waitUntil } from './app-process';

const checkout = path.resolve(__dirname, '../..');

/** `npm start` (its script, after the build) as a test runs it: its own ports, data folder and NATS prefix. */
export interface NpmStart {
  readonly process: ChildProcess;
  /** Everything it printed so far, stdout and stderr together. */
  readonly output: () => string;
  /** An app's base URL. */
  readonly url: (app: 'command-service' | 'ingest-service' | 'projections' | 'dintero-simulator') => string;
  /**
   * After a test, passed or failed: SIGTERM, which stops its apps too, then SIGKILL if it is still up after
   * `graceMs`. SIGKILL alone left its apps (in process groups of their own) running, and Jest waiting for them.
   */
  readonly stop: (graceMs?: number) => Promise<void>;
}

/**
 * Starts `scripts/start.mjs` with `args` and waits until it says it is up. `throughNpm`: as a user does, `npm start --
 * <args>` (its preflight and build too), so that the process is npm's. `root`: the checkout it runs in (this one).
 */
export async function startNpmStart(
  args: readonly string[],
  env: { readonly DATA_DIR: string; readonly NATS_PREFIX: string } & Record<string, string>,
  { throughNpm = false, root = checkout }: { readonly throughNpm?: boolean; readonly root?: string } = {},
): Promise<NpmStart> {
  const ports: Record<string, number> = {};
  for (const app of ['command-service', 'ingest-service', 'projections', 'dintero-simulator'])
    ports[app] = await freePort();
  const [command, commandArgs] = throughNpm
    ? ['npm', ['start', '--', ...args]]
    : [process.execPath, [path.join(root, 'scripts/start.mjs'), ...args]];
  const child = spawn(command, commandArgs, {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      // npm reads its configuration and cache under the home folder.
      ...(throughNpm && process.env.HOME ? { HOME: process.env.HOME } : {}),
      NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
      ...env,
      ...Object.fromEntries(
        Object.entries(ports).map(([app, port]) => [`${app.toUpperCase().replace(/-/g, '_')}_PORT`, String(port)]),
      ),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitUntil(
    () => {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output}`);
      return output.includes('Ctrl-C stops everything cleanly.');
    },
    120_000,
    `npm start ${args.join(' ')} to be up`,
  );
  const stop = async (graceMs = 30_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(killer);
  };
  return { process: child, output: () => output, url: (app) => `http://127.0.0.1:${ports[app]}`, stop };
}

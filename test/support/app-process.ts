import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

export const APPS = ['command-service', 'ingest-service', 'projections', 'dintero-simulator'] as const;
/** Each app alone, or `engine`: the command service, ingest and projections in one process (`apps/engine`). */
export type AppName = (typeof APPS)[number] | 'engine';

/** The repository root, from the sources (tests) or from `dist/` (benchmarks). */
const root = (function findRoot(dir: string): string {
  return existsSync(path.join(dir, 'package.json')) ? dir : findRoot(path.dirname(dir));
})(__dirname);

export interface RunningApp {
  readonly name: AppName;
  readonly url: string;
  readonly process: ChildProcess;
  output(): string;
  /** Resolves with the exit code once the process has ended, however it ended (also when it already has). */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a built app (`dist/`) as a real process and waits until `GET /health` answers 200; on `port` when
 * given (an app restarted where its callers expect it), else on a free one.
 */
export async function startApp(
  name: AppName,
  env: Record<string, string>,
  timeoutMs = 30_000,
  port?: number,
): Promise<RunningApp> {
  port ??= await freePort();
  // APP_NODE_FLAGS passes Node flags to the apps, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile a benchmark.
  const flags = process.env.APP_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...flags, path.join(root, 'dist/apps', name, 'src/main.js')], {
    cwd: root,
    // The nightly close would start at the stores' close time, whenever a test runs: only tests of it enable it.
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      NIGHTLY_CLOSE_ENABLED: 'false',
      ...env,
      HOST: '127.0.0.1',
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const app: RunningApp = {
    name,
    url: `http://127.0.0.1:${port}`,
    process: child,
    output: () => output,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  let lastAnswer = 'no answer';
  try {
    await waitUntil(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`${name} exited with ${child.exitCode ?? child.signalCode}`);
        const response = await fetch(`${app.url}/health`).catch(() => undefined);
        if (response && response.status !== 200) lastAnswer = `${response.status} ${await response.text()}`;
        return response?.status === 200;
      },
      timeoutMs,
      `${name} healthy`,
    );
  } catch (error) {
    // An app left running would keep the test runner (and CI) waiting for it forever.
    child.kill('SIGKILL');
    await exited;
    // What the app said is the only trace of why it never answered: CI keeps nothing else of it.
    const said = output.trim() ? `it wrote:\n${output.trimEnd()}` : 'it wrote nothing';
    throw new Error(`${(error as Error).message}; /health's last answer: ${lastAnswer}; ${said}`, { cause: error });
  }
  return app;
}

/** Starts several apps at once; if one fails, stops those that started before failing too. */
export async function startApps(names: readonly AppName[], env: Record<string, string>): Promise<RunningApp[]> {
  const results = await Promise.allSettled(names.map((name) => startApp(name, env)));
  const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((app) => app.stop()));
    throw failed.reason;
  }
  return started;
}

/** Whether `attempt` succeeds: a condition for `waitUntil` made of a call that fails until it works. */
export const succeeds = (attempt: Promise<unknown>): Promise<boolean> =>
  attempt.then(
    () => true,
    () => false,
  );

/** Polls `condition` until it is true, failing after `timeoutMs` with what it was waiting for. */
export async function waitUntil(
  condition: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 200);
  }
}

/** Runs an app to its end (for start-up failures) and returns its exit code and output. */
export async function runToExit(
  name: AppName,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [path.join(root, 'dist/apps', name, 'src/main.js')], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, output };
}

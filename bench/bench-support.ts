import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApp, type RunningApp } from '../test/support/app-process';
import { HQ, bearer } from '../test/support/pos-clients';

/** Small helpers shared by the benchmarks: percentiles and a fixed-size report. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(index, 0)]!;
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function machine(): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const os = require('node:os') as typeof import('node:os');
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
  };
}

/** Runs `work` over `items` with `concurrency` in flight. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/**
 * Runs a benchmark over built apps: a fresh directory for its files, `start` to launch apps that are all
 * stopped at the end, whatever happens; a failure prints and exits 1.
 */
export function runWithApps(
  name: string,
  body: (context: { dir: string; start: typeof startApp }) => Promise<void>,
): void {
  const dir = mkdtempSync(path.join(tmpdir(), `bench-${name}-`));
  const apps: RunningApp[] = [];
  const start: typeof startApp = async (name, env, ...rest) => {
    // A benchmark's load comes from one address with one POS key: far over a production client's limit.
    const app = await startApp(
      name,
      {
        HTTP_RATE_LIMIT_PER_MINUTE: '0',
        // The one-process engine's ingest takes its own (`INGEST_HTTP_…`).
        INGEST_HTTP_RATE_LIMIT_PER_MINUTE: '0',
        NATS_RATE_LIMIT_PER_MINUTE: '0',
        ...env,
      },
      ...rest,
    );
    apps.push(app);
    return app;
  };
  body({ dir, start })
    .finally(async () => {
      await Promise.all(apps.map((app) => app.stop()));
      rmSync(dir, { recursive: true, force: true });
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}

/** A JSON call with head office's POS key (other apps ignore it); a status of 300 or more throws. */
export async function send(
  base: string,
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { ...bearer(HQ), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return { response, body: JSON.parse(text) as Record<string, unknown> };
}

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { SqliteEventStore } from '@app/event-store';
import { natsNames } from '@app/messaging';
import { REBUILD_SUFFIX } from '../apps/projections/src/rebuild/rebuild';
import { REBUILD_SEMI_SPACE_MIB } from '../apps/projections/src/rebuild/rebuild-heap';
import { waitUntil } from './support/app-process';
import { event, paymentEvents } from './support/payment-events';
import { NATS_URL, bucketContents, removeNatsState, uniquePrefix } from './support/projections';

const CLI = path.resolve(__dirname, '../dist/apps/projections/src/rebuild.cli.js');

describe('npm run projections:rebuild, as an operator runs it', () => {
  const prefix = uniquePrefix();
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'rebuild-cli-'));
    file = path.join(dir, 'events.db');
    const log = new SqliteEventStore({ file });
    const where = { storeId: 'cli-store', terminalId: 'CLI-1' };
    await log.append(
      'store-cli-store',
      [
        event(
          'StoreRegistered',
          { ...where, name: 'CLI', payoutDestinationId: 'p', timeZone: 'Europe/Oslo', at: '2026-12-01T08:00:00Z' },
          where,
        ),
        event('TerminalRegistered', { ...where, at: '2026-12-01T08:00:00.000Z' }, where),
      ],
      { expectedRevision: 'no_stream' },
    );
    const revisions = new Map<string, number>();
    for (let n = 1; n <= 3; n++)
      for (const { stream, events } of paymentEvents(n, where, Date.parse('2026-12-01T09:00:00Z') + n * 60_000)) {
        const result = await log.append(stream, events, { expectedRevision: revisions.get(stream) ?? 'no_stream' });
        revisions.set(stream, result.nextRevision);
      }
    await log.close();
  });

  /** A log of `payments` payments at one terminal, in a file of its own. */
  async function logOf(name: string, payments: number): Promise<string> {
    const at = path.join(dir, name);
    const log = new SqliteEventStore({ file: at });
    const where = { storeId: 'cli-store', terminalId: 'CLI-1' };
    // Each payment's appends in turn, payments in groups: the writer refuses appends beyond what it queues for the
    // disk. The payments' own streams only: the terminal's would be appended to by each in turn.
    const payment = async (n: number) => {
      let revision: number | 'no_stream' = 'no_stream';
      for (const { stream, events } of paymentEvents(n, where, Date.parse('2026-12-01T09:00:00Z') + n * 1_000))
        if (stream.startsWith('payment-'))
          revision = (await log.append(stream, events, { expectedRevision: revision })).nextRevision;
    };
    for (let first = 1; first <= payments; first += 500)
      await Promise.all(Array.from({ length: Math.min(500, payments + 1 - first) }, (_, i) => payment(first + i)));
    await log.close();
    return at;
  }
  afterAll(async () => {
    await removeNatsState(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  const rebuild = (env: Record<string, string>, args: readonly string[] = []) =>
    spawnSync(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, EVENT_STORE_URL: `sqlite:${file}`, NATS_URL, NATS_PREFIX: prefix, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('refuses a heap bound it cannot work in, before it reads or writes anything', async () => {
    const run = rebuild({ REBUILD_HEAP_MIB: '16' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/rebuild failed: Invalid configuration:[\s\S]*REBUILD_HEAP_MIB/);
    const nats = await connect({ servers: NATS_URL });
    const { streams } = await jetstreamManager(nats);
    const rebuilt: string[] = [];
    const stem = `KV_${natsNames(prefix).buckets.stores}${REBUILD_SUFFIX}`;
    for await (const name of streams.names()) if (name.startsWith(stem)) rebuilt.push(name);
    expect(rebuilt).toEqual([]);
    await nats.close();
  });

  it('prints its help for --help, and refuses any other argument, before it reads or writes anything', async () => {
    const help = rebuild({}, ['--help']);
    expect(help).toMatchObject({ status: 0, stderr: '' });
    expect(help.stdout).toMatch(/^usage: npm run projections:rebuild\n[\s\S]*EVENT_STORE_URL/);
    const other = rebuild({}, ['--prefix', 'chain-a']);
    expect(other).toMatchObject({ status: 2, stdout: '' });
    expect(other.stderr).toMatch(/^projections:rebuild takes no arguments, not "--prefix" "chain-a"\nusage: /);
    const nats = await connect({ servers: NATS_URL });
    const kvm = new Kvm(nats);
    const buckets: string[] = [];
    for await (const status of kvm.list()) if (status.bucket.startsWith(prefix)) buckets.push(status.bucket);
    expect(buckets).toEqual([]);
    await nats.close();
  });

  it('never prints the KurrentDB password, a "/" in it included', async () => {
    const secret = 'Zx9/kP2+q7';
    const run = spawn(process.execPath, [CLI], {
      env: {
        PATH: process.env.PATH,
        EVENT_STORE_URL: `kurrentdb://engine:${secret}@127.0.0.1:1?tls=false`,
        NATS_URL,
        NATS_PREFIX: prefix,
      },
      detached: true,
    });
    let output = '';
    run.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    run.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitUntil(() => output.includes('rebuilding the read models of'), 30_000, 'the rebuild’s first line');
    } finally {
      // The command and the bounded-heap process it starts, unless they ended already (no KurrentDB answers there).
      try {
        process.kill(-run.pid!, 'SIGKILL');
      } catch {
        // ended
      }
    }
    expect(output).toContain('from kurrentdb://***@127.0.0.1:1');
    expect(output).not.toContain(secret);
  });

  it('refuses a log file that is not there, rather than make one and offer it empty', () => {
    const missing = path.join(dir, 'elsewhere', 'events.db');
    const run = rebuild({ EVENT_STORE_URL: `sqlite:${missing}` });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`rebuild failed: EVENT_STORE_URL names no event log: ${missing} does not exist`);
    expect(existsSync(missing)).toBe(false);
  });

  it('reads the log of the DATA_DIR it is given, as npm start keeps it, when EVENT_STORE_URL is unset', async () => {
    // `DATA_DIR=<dir> npm start`, then `DATA_DIR=<dir> npm run projections:rebuild`: it read ./data/events.db.
    const run = spawnSync(process.execPath, [CLI], {
      env: { PATH: process.env.PATH, DATA_DIR: dir, NATS_URL, NATS_PREFIX: prefix },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`rebuilding the read models of NATS_PREFIX=${prefix} from sqlite:${file}\n`);
    expect(run.stdout).toMatch(/\nrebuilt \d+ documents from 17 events in /);
  });

  it('refuses a DATA_DIR that holds no log, saying where it looked, rather than make one and offer it empty', () => {
    const elsewhere = path.join(dir, 'no-start-here');
    const run = spawnSync(process.execPath, [CLI], {
      env: { PATH: process.env.PATH, DATA_DIR: elsewhere, NATS_URL, NATS_PREFIX: prefix },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `rebuild failed: no event log in DATA_DIR=${elsewhere}: ${path.join(elsewhere, 'events.db')} does not exist ` +
        '(EVENT_STORE_URL is unset, so the log is events.db in DATA_DIR): give the DATA_DIR npm start was given, or ' +
        'EVENT_STORE_URL. Nothing was rebuilt.\n',
    );
    expect(existsSync(elsewhere)).toBe(false);
  });

  it('rebuilds in a process whose heap is bounded by REBUILD_HEAP_MIB, and offers the result', async () => {
    const run = rebuild({ REBUILD_HEAP_MIB: '96' });
    expect(run.status).toBe(0);
    const line = run.stdout.trim().split('\n').at(-1)!;
    expect(line).toMatch(/^rebuilt \d+ documents from \d+ events in .*heap limit (\d+) MiB/);
    // V8's limit is the old space asked for plus the young generation: three semi-spaces of the size the rebuild
    // sets (V8's default of 16 MiB would give 96 + 48).
    const limit = Number(/heap limit (\d+) MiB/.exec(line)![1]);
    expect(limit - 96).toBeGreaterThanOrEqual(2 * REBUILD_SEMI_SPACE_MIB);
    expect(limit - 96).toBeLessThanOrEqual(4 * REBUILD_SEMI_SPACE_MIB);
    const nats = await connect({ servers: NATS_URL });
    const offer = (await (await new Kvm(nats).open(`${prefix}_projections`)).get('rebuild'))?.json<{
      suffix: string;
    }>();
    await nats.close();
    expect(offer?.suffix).toMatch(new RegExp(`^${REBUILD_SUFFIX}_`));
    expect(Object.keys(await bucketContents(prefix, 'stores', NATS_URL, offer!.suffix))).toEqual(['cli-store']);
  });

  it('stops on Ctrl-C between two pages and lets its lock go: run again at once, it rebuilds', async () => {
    const big = await logOf('big.db', 5_000);
    const run = spawn(process.execPath, [CLI], {
      env: { PATH: process.env.PATH, EVENT_STORE_URL: `sqlite:${big}`, NATS_URL, NATS_PREFIX: prefix },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    run.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => run.on('exit', (code) => resolve(code)));
    // Signalled once it holds its lock: the lock's key in the lease bucket.
    const nats = await connect({ servers: NATS_URL });
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const kv = await new Kvm(nats).open(natsNames(prefix).buckets.projectorLease).catch(() => undefined);
        const lock = await kv?.get('rebuild').catch(() => null);
        if (lock?.operation === 'PUT') break;
        if (Date.now() > deadline) throw new Error(`the rebuild never took its lock: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      await nats.close();
    }
    run.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('rebuild stopped by SIGINT: nothing was offered');
    const again = rebuild({ EVENT_STORE_URL: `sqlite:${big}` });
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
  });
});

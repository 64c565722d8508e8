import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { startApp, type RunningApp } from './support/app-process';
import { SEED, simulatorClient, startReceiver, terminalSessionRequest } from './support/simulator';

interface GroundTruth {
  readonly sessions: readonly { readonly id: string; readonly terminalId: string }[];
  readonly transactions: readonly { readonly sessionId: string; readonly status: string }[];
}
interface Fleet {
  readonly terminals: readonly { readonly terminal_id: string }[];
}

async function control<T>(sim: RunningApp, method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${sim.url}/_control${route}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Who `<file>.lock` names (`LockHolder`). */
function lockHolder(file: string): unknown {
  return JSON.parse(readFileSync(`${file}.lock`, 'utf8'));
}

/** SIGKILL: no shutdown hook runs, nothing is written at the stop. */
async function kill(sim: RunningApp): Promise<void> {
  sim.process.kill('SIGKILL');
  await sim.exited;
  expect(sim.process.signalCode).toBe('SIGKILL');
}

/**
 * The simulator writes SIM_STATE_FILE after each change, not only as it stops: what it answered (a request's answer,
 * a callback) is in the file when it is killed right after, and a simulator started again has it. One simulator uses
 * a file at a time.
 */
describe('simulator killed after answering a change', () => {
  const dirs: string[] = [];
  /** Each test its own state file, alone in its directory. */
  const stateFile = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sim-saved-'));
    dirs.push(dir);
    return { dir, file: path.join(dir, 'dintero-simulator.json') };
  };
  const running: RunningApp[] = [];
  const start = async (file: string, extra: Record<string, string> = {}) => {
    const sim = await startApp(
      'dintero-simulator',
      { SIM_STATE_FILE: file, SIM_TERMINAL_DELAY_MS: '60000', SIM_CAPTURE_DELAY_MS: '60000', ...extra },
      60_000,
    );
    running.push(sim);
    return sim;
  };
  afterAll(async () => {
    for (const sim of running) if (sim.process.exitCode === null && sim.process.signalCode === null) await kill(sim);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the fleet and a session answered just before a SIGKILL, and a burst of changes each answered', async () => {
    const { file } = stateFile();
    const first = await start(file);
    await control(first, 'POST', '/seed', SEED);
    const burst = Array.from({ length: 20 }, (_, i) => ({ terminal_id: `B-${i}`, store_id: 'oslo-center' }));
    await Promise.all(burst.map((terminal) => control(first, 'POST', '/seed', { terminals: [terminal] })));
    const dintero = simulatorClient(first);
    const session = await dintero.createTerminalSession(terminalSessionRequest());
    await dintero.close();
    await kill(first);

    const second = await start(file);
    const truth = await control<GroundTruth>(second, 'GET', '/ground-truth');
    expect(truth.sessions).toEqual([expect.objectContaining({ id: session.id, terminalId: 'T-1' })]);
    const fleet = await control<Fleet>(second, 'GET', '/ground-truth/fleet');
    expect(fleet.terminals.map((terminal) => terminal.terminal_id).sort()).toEqual(
      ['T-1', 'T-2', 'T-3', ...burst.map((terminal) => terminal.terminal_id)].sort(),
    );
    expect(await second.stop()).toBe(0);
  });

  it('keeps a transaction its terminal made on its own, killed as the callback reporting it arrives', async () => {
    const { file } = stateFile();
    const receiver = await startReceiver();
    const sim = await start(file, { SIM_TERMINAL_DELAY_MS: '50' });
    await control(sim, 'POST', '/seed', SEED);
    // Killed the moment the callback comes in: nothing after it (no later write, no stop) can have kept the fact.
    receiver.respond = () => {
      sim.process.kill('SIGKILL');
      return 200;
    };
    const dintero = simulatorClient(sim);
    const session = await dintero.createTerminalSession(
      terminalSessionRequest({ callbackUrl: `${receiver.url}/v1/dintero/callback?report_error=true` }),
    );
    await receiver.waitFor(1, 'callbacks');
    await dintero.close();
    await sim.exited;
    await receiver.close();

    const again = await start(file);
    const truth = await control<GroundTruth>(again, 'GET', '/ground-truth');
    expect(truth.transactions).toContainEqual(expect.objectContaining({ sessionId: session.id, status: 'CAPTURED' }));
    expect(await again.stop()).toBe(0);
  });

  it('refuses a second simulator on the same file, naming the one that has it, and changes nothing', async () => {
    const { dir, file } = stateFile();
    const sim = await start(file);
    await control(sim, 'POST', '/seed', SEED);
    const before = readFileSync(file, 'utf8');
    await expect(start(file)).rejects.toThrow(
      `SIM_STATE_FILE ${file} is in use by the simulator of pid ${sim.process.pid} on host ${hostname()} (its lock ` +
        `${file}.lock, its pid running on this host)`,
    );
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(lockHolder(file)).toMatchObject({ pid: sim.process.pid, host: hostname() });
    expect(await sim.stop()).toBe(0);
    expect(readdirSync(dir)).toEqual(['dintero-simulator.json', 'dintero-simulator.json.journal']);
  });

  it('takes over the lock a simulator gone left behind', async () => {
    const { dir, file } = stateFile();
    // A pid no process has: beyond the kernel's largest (pid_max is at most 2^22).
    writeFileSync(`${file}.lock`, `${2 ** 22 + 1}\n`);
    const sim = await start(file, { LOG_LEVEL: 'warn' });
    expect(sim.output()).toContain('took over the lock of a simulator gone');
    expect(lockHolder(file)).toMatchObject({ pid: sim.process.pid, host: hostname() });
    expect(await sim.stop()).toBe(0);
    expect(readdirSync(dir)).toEqual(['dintero-simulator.json', 'dintero-simulator.json.journal']);
  });
});

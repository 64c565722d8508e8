import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteEventStore } from '@app/event-store';
import { freePort, startApp, waitUntil, type RunningApp } from './support/app-process';
import { writePosClients } from './support/pos-clients';
import { NATS_URL, removeNatsState, uniquePrefix } from './support/projections';
import { registerLongAgo } from './support/registered-long-ago';
import { dueClose } from '../apps/ingest-service/src/fleet/close-schedule';

const STORE = 'restart-store';
const TERMINALS = ['RC-1', 'RC-2'];

/**
 * A close due while the engine was down runs when it comes back, once: the one-process engine runs without
 * its nightly close past the store's close time, is SIGKILLed, comes back with it, closes each terminal's day,
 * and after another SIGKILL and restart closes nothing again.
 */
describe('the nightly close across engine restarts', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'close-restart-'));
  const file = path.join(dir, 'events.db');
  const prefix = uniquePrefix();
  let simulator: RunningApp;
  let engine: RunningApp | undefined;
  let log: SqliteEventStore;
  const ports: Record<string, number> = {};

  const env = () => ({
    EVENT_STORE_URL: `sqlite:${file}`,
    NATS_URL,
    NATS_PREFIX: prefix,
    DINTERO_API_URL: simulator.url,
    DINTERO_CHECKOUT_URL: simulator.url,
    POS_CLIENTS_FILE: writePosClients(dir),
    INGEST_PUBLIC_URL: `http://127.0.0.1:${ports.ingest}`,
    INGEST_SERVICE_PORT: String(ports.ingest),
    PROJECTIONS_PORT: String(ports.projections),
    COMMAND_SERVICE_PORT: String(ports.command),
    NIGHTLY_CLOSE_CHECK_MS: '200',
    NIGHTLY_CLOSE_SPREAD_SECONDS: '0',
    OPERATION_POLL_SECONDS: '1',
    RECONCILER_INTERVAL_MS: '100',
  });
  const startEngine = async (nightlyClose: boolean) =>
    (engine = await startApp(
      'engine',
      { ...env(), NIGHTLY_CLOSE_ENABLED: String(nightlyClose), LOG_LEVEL: 'info' },
      30_000,
      ports.command,
    ));
  const kill = async () => {
    engine!.process.kill('SIGKILL');
    await engine!.exited;
  };
  const closes = async (businessDay: string) =>
    (await log.readAll({ limit: 10_000 })).filter(
      (event) =>
        event.type === 'OperationRequested' && (event.data as { businessDay?: string }).businessDay === businessDay,
    );
  /** A sample of the ingest app's metrics: `name{…label="value"…} n`. */
  const metric = async (name: string, label: string, value: string) => {
    const text = await (await fetch(`http://127.0.0.1:${ports.ingest}/metrics`)).text();
    return Number(new RegExp(`^${name}\\{[^}]*${label}="${value}"[^}]*\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  };

  beforeAll(async () => {
    for (const app of ['ingest', 'projections', 'command']) ports[app] = await freePort();
    simulator = await startApp('dintero-simulator', { SIM_OPERATION_DELAY_MS: '200' });
    await fetch(`${simulator.url}/_control/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        payoutDestinations: ['seller-1'],
        stores: [{ id: STORE, payout_destination_id: 'seller-1' }],
        terminals: TERMINALS.map((terminal_id) => ({ terminal_id, store_id: STORE })),
      }),
    });
    log = new SqliteEventStore({ file });
    // Registered days ago: the store's latest close time has passed with its terminals in use.
    await registerLongAgo(log, STORE, TERMINALS);
  }, 60_000);
  afterAll(async () => {
    await engine?.stop();
    await simulator?.stop();
    await log?.close();
    await removeNatsState(prefix);
  });

  it('runs the close missed while the engine was down once it is back, and never again after another restart', async () => {
    const day = dueClose('Europe/Oslo', '23:30', Date.now()).businessDay;
    // Down (here: up without its nightly close) when the close came due.
    await startEngine(false);
    await kill();

    await startEngine(true);
    await waitUntil(async () => (await closes(day)).length === TERMINALS.length, 30_000, 'a close per terminal');
    await waitUntil(
      async () =>
        (await log.readAll({ limit: 10_000 })).filter((event) => event.type === 'OperationCompleted').length ===
        TERMINALS.length,
      30_000,
      'both closes completed',
    );
    expect(await metric('payments_nightly_closes_total', 'result', 'started')).toBe(TERMINALS.length);
    await kill();

    await startEngine(true);
    // The restarted engine finds each terminal's close of the day completed in the log, and starts none.
    await waitUntil(
      async () => (await metric('payments_nightly_close_terminals', 'state', 'completed')) === TERMINALS.length,
      30_000,
      'the closes seen as completed',
    );
    expect(await metric('payments_nightly_closes_total', 'result', 'started')).toBe(0);
    expect((await closes(day)).map((event) => (event.data as { terminalId: string }).terminalId).sort()).toEqual(
      TERMINALS,
    );
    const atDintero = (await (await fetch(`${simulator.url}/_control/ground-truth/fleet`)).json()) as {
      operations: unknown[];
    };
    expect(atDintero.operations).toHaveLength(TERMINALS.length);
  });
});

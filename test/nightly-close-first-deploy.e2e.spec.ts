import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteEventStore } from '@app/event-store';
import { addDays } from '@app/payment-domain';
import { freePort, startApp, waitUntil, type RunningApp } from './support/app-process';
import { closedThatNight, givenUpIn } from './support/nightly-close-history';
import { writePosClients } from './support/pos-clients';
import { NATS_URL, removeNatsState, uniquePrefix } from './support/projections';
import { registerLongAgo } from './support/registered-long-ago';
import { dueClose } from '../apps/ingest-service/src/fleet/close-schedule';

const STORE = 'deploy-store';
const TERMINALS = ['FD-1', 'FD-2', 'FD-3'];

/**
 * The first start of the engine (built, one process) over a log an earlier version kept: the closes of the last days
 * that version dropped (a day it never closed while down; a failed close it left when the next day fell due) are
 * given up at once, dated at the start and saying they were found late, and not again after a SIGKILL and restart.
 * Days from before the log shows the nightly close at work are left alone.
 */
describe('the nightly close on its first deploy over an earlier version’s log', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'close-deploy-'));
  const file = path.join(dir, 'events.db');
  const prefix = uniquePrefix();
  let simulator: RunningApp;
  let engine: RunningApp | undefined;
  let log: SqliteEventStore;
  const ports: Record<string, number> = {};
  const due = dueClose('Europe/Oslo', '23:30', Date.now()).businessDay;
  const missed = addDays(due, -1);

  const startEngine = async () =>
    (engine = await startApp(
      'engine',
      {
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
        NIGHTLY_CLOSE_ENABLED: 'true',
        NIGHTLY_CLOSE_CHECK_MS: '200',
        NIGHTLY_CLOSE_SPREAD_SECONDS: '0',
        OPERATION_POLL_SECONDS: '1',
        RECONCILER_INTERVAL_MS: '100',
        // Short leases: the restarted engine takes the closes over at once.
        RECONCILER_LEASE_SECONDS: '1',
        LOG_LEVEL: 'info',
      },
      30_000,
      ports.command,
    ));
  const kill = async () => {
    engine!.process.kill('SIGKILL');
    await engine!.exited;
  };
  const events = async () => await log.readAll({ limit: 10_000 });
  const givenUp = async () => givenUpIn(await events());
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
    await registerLongAgo(log, STORE, TERMINALS);
    // The earlier version closed FD-1 two days ago; the day after, it closed nothing but FD-2, which failed and was
    // left when the next day fell due.
    await closedThatNight(log, { storeId: STORE, terminalId: 'FD-1', businessDay: addDays(due, -2) });
    await closedThatNight(log, { storeId: STORE, terminalId: 'FD-2', businessDay: missed }, 'failed');
  }, 60_000);
  afterAll(async () => {
    await engine?.stop();
    await simulator?.stop();
    await log?.close();
    await removeNatsState(prefix);
  });

  it('gives the dropped closes up at once, found late, and not again after a restart', async () => {
    const deployedAt = Date.now();
    await startEngine();
    await waitUntil(async () => (await givenUp()).length >= 3, 30_000, 'the dropped closes given up');
    await waitUntil(
      async () => (await metric('payments_nightly_close_terminals', 'state', 'completed')) === TERMINALS.length,
      30_000,
      'the due day closed',
    );
    const all = await givenUp();
    expect(all.map((each) => `${each.terminalId} ${each.businessDay}`).sort()).toEqual(
      TERMINALS.map((terminal) => `${terminal} ${missed}`),
    );
    for (const each of all) {
      expect(Date.parse(each.at)).toBeGreaterThanOrEqual(deployedAt);
      expect(each.reason.endsWith(`; found late, at ${each.at}`)).toBe(true);
    }
    expect(all.find((each) => each.terminalId === 'FD-2')!.reason).toMatch(
      /^the close of .* fell due before it could be tried again \(the terminal reported a failure\)/,
    );
    expect(await metric('payments_nightly_closes_total', 'result', 'given_up')).toBe(3);
    await kill();

    await startEngine();
    await waitUntil(
      async () =>
        (await metric('payments_nightly_close_terminals', 'state', 'completed')) === TERMINALS.length &&
        (await metric('payments_nightly_close_terminals', 'state', 'given_up_earlier')) === 3,
      30_000,
      'the closes and give-ups seen again',
    );
    expect(await givenUp()).toHaveLength(3);
    expect(await metric('payments_nightly_closes_total', 'result', 'given_up')).toBe(0);
  });
});

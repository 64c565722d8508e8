import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitUntil } from '../../../test/support/app-process';
import { SimulatorState } from '../src/state/simulator-state';
import { journalHeader, journalLines, snapshotText, type SavedState } from '../src/state/state-journal';
import { SimulatorStateWrites } from '../src/state/state-writes';
import { dumpOf, restartedFromFiles, type Dump } from './restarted-simulator';
import { transaction } from './saved-transaction';
import { SCENARIO, pathsEnded, pendingPaths, reset, stalledRefund } from './state-journal-paths';
import {
  SEED,
  simulatorClient,
  startSimulator,
  terminalSessionRequest,
  type RunningSimulator,
} from '../../../test/support/simulator';

/**
 * Guards the marks (`SimulatorState.touch`): a broad scenario through the simulator's HTTP API with SIM_STATE_FILE
 * set, then its snapshot and journal copied as they are (no clean stop: what a SIGKILL leaves) and read by a fresh
 * simulator, which must hold every record the live one had; the scenario goes on in it through the paths that wait on
 * something and a reset, each followed likewise (`state-journal-paths`). A change nobody marked is missing from the
 * journal.
 */
describe('simulator state journal', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sim-journal-'));
  const running: RunningSimulator[] = [];
  afterAll(async () => {
    for (const sim of running) await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds, without a clean stop, every record the live simulator had after a broad scenario', async () => {
    const file = path.join(dir, 'live.json');
    const sim = await startSimulator({ SIM_STATE_FILE: file, ...SCENARIO });
    running.push(sim);
    const dump = () => sim.control<Dump>('GET', '/state');
    const dintero = simulatorClient(sim);
    try {
      await sim.control('POST', '/seed', { payoutDestinations: ['seller-2'], ...SEED });
      // Fleet: a store and a terminal registered through the management API.
      await dintero.createStore({ storeId: 'bergen', name: 'Bergen', payoutDestinationId: 'seller-2' });
      const registered = await dintero.registerTerminal({
        storeId: 'bergen',
        deviceSerialNumber: 'SIMULATED-T12345678-7',
      });
      const pay = async (amount: number, terminalId = 'T-1') => {
        const session = await dintero.createTerminalSession(terminalSessionRequest({ amount, terminalId }));
        await sim.control('POST', `/terminals/${terminalId}/present`, {});
        return (await dintero.getSession(session.id)).transaction_id!;
      };
      // Approved, then refunded in part (200 at once) and in part again (202, approved later).
      const approved = await pay(10_000);
      await dintero.refund(approved, { amount: 1_000, terminalId: 'T-1', refundReference: 'r-1', reason: 'broken' });
      await dintero.refund(approved, { amount: 2_072, terminalId: 'T-1', refundReference: 'r-2' });
      // Its status says nothing (the first refund made it PARTIALLY_REFUNDED): its event does, and the terminal is
      // free again only then, for the next refund.
      await waitUntil(
        async () => (await dintero.getTransaction(approved)).events?.filter((e) => e.event === 'REFUND').length === 2,
        10_000,
        'the 202 refund approved',
      );
      // A 202 refund the cardholder declines.
      await dintero.refund(approved, { amount: 1_073, terminalId: 'T-1', refundReference: 'r-3' });
      await waitUntil(
        async () => (await dintero.getTransaction(approved)).events?.filter((e) => e.event === 'REFUND').length === 3,
        10_000,
        'the 202 refund declined',
      );
      await pay(10_051); // declined
      await pay(10_010); // cancelled by the customer
      await pay(10_020); // failed
      // Authorised: captured in part; another voided; a third cancelled by the merchant.
      const authorized = await pay(10_045);
      await dintero.capture(authorized, 5_000);
      await dintero.void(await pay(20_045));
      const cancelled = await pay(30_045);
      await dintero.cancelSession((await dintero.getTransaction(cancelled)).session_id!);
      // A prompting session the merchant cancels, and one left to expire on the registered terminal.
      const prompting = await dintero.createTerminalSession(terminalSessionRequest({ terminalId: 'T-2' }));
      await dintero.cancelSession(prompting.id);
      await dintero.createTerminalSession(
        terminalSessionRequest({
          terminalId: registered.terminal_id,
          storeId: 'bergen',
          payoutDestinationId: 'seller-2',
          expiresAt: new Date(Date.now() + 300).toISOString(),
        }),
      );
      await waitUntil(
        async () => {
          const terminals = (await dump()).terminals as { terminal_id: string; activeSessionId?: string }[];
          return terminals.find((t) => t.terminal_id === registered.terminal_id)?.activeSessionId === undefined;
        },
        10_000,
        'the session expired',
      );
      // Knobs, and operations: one completed (a close of T-1's batch), one failed as told.
      await sim.control('PUT', '/terminals/T-2/next-outcome', { outcome: 'declined:insufficient_funds' });
      await sim.control('PUT', '/terminals/T-2/batch-skew', { purchasesCount: 1 });
      await sim.control('PUT', '/terminals/T-2/operation-outcomes', { outcomes: ['FAILED'] });
      const close = await dintero.sendTerminalOperation({
        terminalId: 'T-1',
        operation: 'end_of_day',
        idempotencyKey: randomUUID(),
      });
      const failing = await dintero.sendTerminalOperation({
        terminalId: 'T-2',
        operation: 'send_logs',
        idempotencyKey: randomUUID(),
      });
      for (const [id, terminalId] of [
        [close.id, 'T-1'],
        [failing.id, 'T-2'],
      ] as const)
        await waitUntil(
          async () => (await dintero.getTerminalOperation(terminalId, id))?.status !== 'PENDING',
          10_000,
          `operation ${id} answered`,
        );
      await sim.control('PUT', '/terminals/T-3', { status: 'INACTIVE' });
      // A request that changes something is answered once the file holds it: every change before it included.
      await sim.control('PUT', '/terminals/T-3/refund-mode', { mode: 'sync' });
    } finally {
      await dintero.close();
    }
    const journal = readFileSync(`${file}.journal`, 'utf8');
    expect(journal.split('\n').length).toBeGreaterThan(10);

    // The files as a SIGKILL would leave them, read by a fresh simulator, which goes on with the scenario: after each
    // of what follows, killed and started again from its files likewise.
    let live = await restartedFromFiles({ sim, file }, path.join(dir, 'copy.json'), running, SCENARIO);
    expect((await dumpOf(live.sim)).transactions).toHaveLength(6);
    const restarts = { dir, running };
    live = await pendingPaths(live, restarts);
    live = await pathsEnded(live, restarts);
    live = await stalledRefund(live, restarts);
    await reset(live, restarts);
  }, 120_000);

  it('starts from the files a kill left during a compaction in the background, before or after its snapshot', async () => {
    // Snapshot 1 and journal 1; then the next journal (2), and the snapshot of 2 as the compaction wrote it.
    const state = new SimulatorState();
    state.transactions.set('A', transaction('A'));
    state.transactions.set('B', transaction('B'));
    const snapshot1 = snapshotText(state, 1);
    state.takeChanges();
    state.transactions.get('A')!.status = 'REFUNDED';
    state.touch('transactions', 'A');
    const journal1 = journalHeader(1) + journalLines(state, state.takeChanges(), 1);
    const snapshot2 = snapshotText(state, 2);
    state.transactions.delete('B');
    state.touch('transactions', 'B');
    state.transactions.set('C', transaction('C'));
    state.touch('transactions', 'C');
    const next2 = journalHeader(2) + journalLines(state, state.takeChanges(), 2);
    const expected = (JSON.parse(snapshotText(state, 0)) as SavedState).transactions;

    for (const [name, snapshot] of [
      ['before', snapshot1],
      ['after', snapshot2],
    ] as const) {
      const file = path.join(dir, `killed-${name}.json`);
      writeFileSync(file, snapshot);
      writeFileSync(`${file}.journal`, journal1);
      writeFileSync(`${file}.journal.next`, next2);
      const sim = await startSimulator({ SIM_STATE_FILE: file });
      running.push(sim);
      expect((await sim.control<Dump>('GET', '/state')).transactions).toEqual(expected);
      // Folded in at the start, of a generation after the next journal's, which is gone.
      expect(existsSync(`${file}.journal.next`)).toBe(false);
      expect((JSON.parse(readFileSync(file, 'utf8')) as SavedState).generation).toBe(3);
      expect(readFileSync(`${file}.journal`, 'utf8')).toBe(journalHeader(3));
    }
  });

  it('writes nothing for a request refused before it changed anything', async () => {
    const file = path.join(dir, 'refused.json');
    const sim = await startSimulator({ SIM_STATE_FILE: file });
    running.push(sim);
    const writes = sim.app.get(SimulatorStateWrites);
    const dintero = simulatorClient(sim);
    const refused = async () => {
      await expect(dintero.createTerminalSession(terminalSessionRequest({ terminalId: 'T-404' }))).rejects.toThrow(
        /400 TERMINAL_NOT_FOUND/,
      );
      const outcome = await fetch(`${sim.url}/_control/terminals/T-404/next-outcome`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ outcome: 'declined:insufficient_funds' }),
      });
      expect(outcome.status).toBe(404);
    };
    const files = () => [file, `${file}.journal`].map((name) => (existsSync(name) ? readFileSync(name, 'utf8') : null));
    try {
      // Before any write: nothing to compact, no file made.
      await refused();
      expect(files()).toEqual([null, null]);
      expect(writes.bytesWritten()).toBe(0);
      // After one: neither the snapshot nor the journal grows.
      // The first write compacts (there is no journal yet), the next one appends.
      await sim.control('POST', '/seed', SEED);
      await sim.control('PUT', '/terminals/T-1/next-outcome', { outcome: 'declined:insufficient_funds' });
      const before = files();
      const bytes = writes.bytesWritten();
      expect(before[1]).toMatch(/"commit":1/);
      await refused();
      expect(files()).toEqual(before);
      expect(writes.bytesWritten()).toBe(bytes);
    } finally {
      await dintero.close();
    }
  });
});

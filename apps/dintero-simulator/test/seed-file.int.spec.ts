import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitUntil } from '../../../test/support/app-process';
import { SimulatorState } from '../src/state/simulator-state';
import {
  SEED,
  simulatorClient,
  startReceiver,
  startSimulator,
  terminalSessionRequest,
} from '../../../test/support/simulator';

describe('simulator seed file and state file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sim-seed-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads payout destinations, stores and terminals at start', async () => {
    const file = path.join(dir, 'seed.json');
    writeFileSync(file, JSON.stringify({ payoutDestinations: ['seller-9'], ...SEED }));
    const sim = await startSimulator({ SIM_SEED_FILE: file });
    const state = sim.app.get(SimulatorState);
    expect([...state.terminals.keys()]).toEqual(['T-1', 'T-2', 'T-3']);
    expect(state.terminals.get('T-3')?.status).toBe('INACTIVE');
    expect([...state.payoutDestinations].sort()).toEqual(['seller-1', 'seller-9']);
    await sim.close();
  });

  it('refuses to start on an invalid seed file, saying which', async () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ terminals: [{ terminal_id: 'T 1', store_id: 'oslo' }] }));
    await expect(startSimulator({ SIM_SEED_FILE: file })).rejects.toThrow(/SIM_SEED_FILE .*bad\.json is invalid/);
  });

  it('keeps its world in SIM_STATE_FILE across a restart, as Dintero would, what was under way ended', async () => {
    const file = path.join(dir, 'state.json');
    // A terminal closing its day for a minute: still pending when the simulator stops.
    const receiver = await startReceiver();
    const first = await startSimulator({ SIM_STATE_FILE: file, SIM_OPERATION_DELAY_MS: '60000' });
    await first.control('POST', '/seed', { payoutDestinations: ['seller-9'], ...SEED });
    const dintero = simulatorClient(first);
    const session = await dintero.createTerminalSession(
      terminalSessionRequest({
        callbackUrl: `${receiver.url}/v1/dintero/callback`,
        returnUrl: `${receiver.url}/return`,
      }),
    );
    await first.control('POST', '/terminals/T-1/present', {});
    await first.control('POST', '/idle');
    const { transaction_id: transactionId } = await dintero.getSession(session.id);
    // A refund the cardholder is confirming at T-1 (accepted, 202) when the simulator stops.
    await first.control('PUT', '/terminals/T-1/refund-mode', { mode: 'async_stall' });
    const inFlight = await dintero.refund(transactionId!, { amount: 1_000, terminalId: 'T-1', refundReference: 'r-1' });
    expect(inFlight.kind).toBe('accepted');
    const operation = await dintero.sendTerminalOperation({
      terminalId: 'T-2',
      operation: 'end_of_day',
      idempotencyKey: randomUUID(),
    });
    expect(operation.status).toBe('PENDING');
    await dintero.close();
    await first.close();
    await receiver.close();
    expect(existsSync(file)).toBe(true);

    const second = await startSimulator({ SIM_STATE_FILE: file });
    const again = simulatorClient(second);
    const state = second.app.get(SimulatorState);
    expect([...state.terminals.keys()]).toEqual(['T-1', 'T-2', 'T-3']);
    expect(state.terminals.get('T-3')?.status).toBe('INACTIVE');
    expect([...state.payoutDestinations].sort()).toEqual(['seller-1', 'seller-9']);
    const restored = await again.getTransaction(transactionId!);
    expect(restored).toMatchObject({ status: 'CAPTURED', amount: 39_900 });
    // The refund under way is declined, with the request id its result carries, and its amount is free again.
    expect(restored.events?.at(-1)).toMatchObject({
      event: 'REFUND',
      success: false,
      event_reference: 'r-1',
      correlation_request_id: inFlight.kind === 'accepted' ? inFlight.requestId : undefined,
    });
    await second.control('PUT', '/terminals/T-1/refund-mode', { mode: 'sync' });
    expect(
      (await again.refund(transactionId!, { amount: 39_900, terminalId: 'T-1', refundReference: 'r-2' })).kind,
    ).toBe('done');
    expect((await again.getSession(session.id)).transaction_id).toBe(transactionId);
    // Nothing is under way after the restart: each terminal free, the close its terminal never answered timed out.
    expect(await again.getTerminalOperation('T-2', operation.id)).toMatchObject({ status: 'TIMEOUT' });
    expect([...state.terminals.values()].filter((t) => t.activeSessionId || t.pendingOperationId)).toEqual([]);
    await again.close();
    await second.close();
  });

  it('reports a refund the restart declined to a callback URL that asks for REFUND events', async () => {
    const file = path.join(dir, `refund-${randomUUID()}.json`);
    const receiver = await startReceiver();
    try {
      const first = await startSimulator({ SIM_STATE_FILE: file });
      await first.control('POST', '/seed', SEED);
      const before = simulatorClient(first);
      const session = await before.createTerminalSession(
        terminalSessionRequest({
          callbackUrl: `${receiver.url}/v1/dintero/callback?report_error=true&report_event=REFUND`,
          returnUrl: `${receiver.url}/return`,
        }),
      );
      await first.control('POST', '/terminals/T-1/present', {});
      await first.control('POST', '/idle');
      const transactionId = (await before.getSession(session.id)).transaction_id!;
      await first.control('PUT', '/terminals/T-1/refund-mode', { mode: 'async_stall' });
      const accepted = await before.refund(transactionId, { amount: 1_072, terminalId: 'T-1', refundReference: 'r-1' });
      expect(accepted.kind).toBe('accepted');
      await before.close();
      await first.close();

      const second = await startSimulator({ SIM_STATE_FILE: file });
      try {
        await second.control('POST', '/idle');
        const refunds = receiver.requests.filter((request) => request.url.searchParams.get('event') === 'REFUND');
        expect(refunds.map((request) => request.url.searchParams.get('transaction_id'))).toEqual([transactionId]);
      } finally {
        await second.close();
      }
    } finally {
      await receiver.close();
    }
  });

  it('gives no session or transaction after a restart the id of one it kept (the seed is the same)', async () => {
    const file = path.join(dir, `ids-${randomUUID()}.json`);
    const first = await startSimulator({ SIM_STATE_FILE: file });
    await first.control('POST', '/seed', SEED);
    const before = simulatorClient(first);
    const kept = await before.createTerminalSession(terminalSessionRequest({ amount: 39_900 }));
    await first.control('POST', '/terminals/T-1/present', {});
    const keptTransaction = (await before.getSession(kept.id)).transaction_id!;
    await before.close();
    await first.close();

    const second = await startSimulator({ SIM_STATE_FILE: file });
    const after = simulatorClient(second);
    try {
      const made = await after.createTerminalSession(terminalSessionRequest({ amount: 12_301 }));
      await second.control('POST', '/terminals/T-1/present', {});
      expect(made.id).not.toBe(kept.id);
      expect((await after.getSession(made.id)).transaction_id).not.toBe(keptTransaction);
      expect((await after.getTransaction(keptTransaction)).amount).toBe(39_900);
    } finally {
      await after.close();
      await second.close();
    }
  });

  it("captures after a restart, when it was due, a transaction left AUTHORIZED for Dintero's automatic capture", async () => {
    const file = path.join(dir, 'capture-due.json');
    const receiver = await startReceiver();
    const first = await startSimulator({ SIM_STATE_FILE: file, SIM_CAPTURE_DELAY_MS: '60000' });
    await first.control('POST', '/seed', SEED);
    const dintero = simulatorClient(first);
    const session = await dintero.createTerminalSession(
      terminalSessionRequest({ amount: 10_045, callbackUrl: `${receiver.url}/v1/dintero/callback` }),
    );
    const authorizedAt = Date.now();
    await first.control('POST', '/terminals/T-1/present', {});
    const { transaction_id: transactionId } = await dintero.getSession(session.id);
    await dintero.close();
    await first.close();

    // The state file keeps when the capture is due: a minute after the authorisation, whatever the restarts.
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { transactions: { id: string; captureDueAt?: number }[] };
    const due = saved.transactions.find((tx) => tx.id === transactionId)!.captureDueAt!;
    expect(due).toBeGreaterThanOrEqual(authorizedAt + 60_000);
    expect(due).toBeLessThanOrEqual(Date.now() + 60_000);
    // As if that minute passed while the simulator was down.
    writeFileSync(
      file,
      JSON.stringify({
        ...saved,
        transactions: saved.transactions.map((tx) =>
          tx.id === transactionId ? { ...tx, captureDueAt: Date.now() - 1 } : tx,
        ),
      }),
    );

    // Restarted with the same minute's delay, it captures at once rather than a minute after its start.
    const second = await startSimulator({ SIM_STATE_FILE: file, SIM_CAPTURE_DELAY_MS: '60000' });
    const again = simulatorClient(second);
    await waitUntil(
      async () => (await again.getTransaction(transactionId!)).status === 'CAPTURED',
      5_000,
      'the capture due while the simulator was down',
    );
    expect(await again.getTransaction(transactionId!)).not.toHaveProperty('captureDueAt');
    await second.control('POST', '/idle');
    expect(receiver.requests.map((request) => request.url.searchParams.get('transaction_id'))).toEqual([transactionId]);
    await again.close();
    await second.close();
    await receiver.close();
  });

  it('refuses to start on a state file of another kind, saying which and what to do', async () => {
    const file = path.join(dir, 'not-state.json');
    writeFileSync(file, JSON.stringify({ terminals: [] }));
    await expect(startSimulator({ SIM_STATE_FILE: file })).rejects.toThrow(
      /SIM_STATE_FILE .*not-state\.json is not a simulator state of version 1; move it away to start empty/,
    );
    writeFileSync(file, '{"version": 1,');
    await expect(startSimulator({ SIM_STATE_FILE: file })).rejects.toThrow(
      /SIM_STATE_FILE .*not-state\.json is not JSON/,
    );
    // Empty, as a machine's crash can leave a file whose rename reached the disk before its data: refused, not a
    // start from nothing that forgets every terminal.
    writeFileSync(file, '');
    await expect(startSimulator({ SIM_STATE_FILE: file })).rejects.toThrow(
      /SIM_STATE_FILE .*not-state\.json is empty \(a write cut short\?\); move it away to start empty/,
    );
    // Zero bytes of the file's length: what a crash leaves on file systems that keep a file's size before its data
    // (ext4 without data=ordered, XFS). The same write cut short, said so, not as JSON's 'unexpected token'.
    writeFileSync(file, Buffer.alloc(4_096));
    await expect(startSimulator({ SIM_STATE_FILE: file })).rejects.toThrow(
      /SIM_STATE_FILE .*not-state\.json holds only zero bytes \(a write cut short\?\); move it away to start empty/,
    );
  });
});

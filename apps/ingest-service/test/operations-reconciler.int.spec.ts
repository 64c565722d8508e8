import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DinteroUnavailableError, type DinteroClient, type DinteroTerminalOperation } from '@app/dintero';
import { handleCommand, readState, SqliteEventStore } from '@app/event-store';
import {
  operationDecider,
  operationStream,
  storeDecider,
  storeStream,
  terminalDecider,
  terminalStream,
  type StoreCommand,
} from '@app/payment-domain';
import { claimTerminal, releaseClaim, startOperation } from '@app/platform';
import { endOfDayRequest } from '../../../test/support/end-of-day-request';
import { OperationsReconciler } from '../src/operations/operations-reconciler.service';

const dir = mkdtempSync(path.join(tmpdir(), 'operations-reconciler-'));
const store = new SqliteEventStore({ file: path.join(dir, 'events.db') });
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const config = {
  reconcilerIntervalMs: 1_000,
  natsPrefix: 'unused',
  reconcilerLeaseSeconds: 30,
  operationPollSeconds: 2,
  operationResendSeconds: 5,
  reconcilerMaxPerSecond: 10,
  reconcilerEnabled: true,
};
const metadata = { correlationId: 'operations-reconciler-test' };

async function register(storeId: string, terminalId: string): Promise<void> {
  const at = new Date().toISOString();
  const commands: StoreCommand[] = [
    {
      type: 'RegisterStore',
      data: { storeId, name: storeId, payoutDestinationId: 's-1', timeZone: 'Europe/Oslo', at },
    },
    {
      type: 'RegisterTerminal',
      data: {
        storeId,
        terminalId,
        enrollment: { dinteroTerminalId: terminalId, deviceSerialNumber: `SN-${terminalId}`, status: 'ACTIVE' },
        at,
      },
    },
  ];
  for (const command of commands) await handleCommand(store, storeStream(storeId), storeDecider, command, { metadata });
}

/** An operation asked for at `requestedAt`, held `holdMs`, whose sending got no answer: left `submitting`. */
async function sentWithoutAnswer(storeId: string, terminalId: string, requestedAt: number, holdMs: number) {
  const operationId = randomUUID();
  const silent = {
    sendTerminalOperation: () => Promise.reject(new DinteroUnavailableError('Dintero did not answer')),
  } as unknown as DinteroClient;
  const started = await startOperation(
    store,
    silent,
    endOfDayRequest({
      operationId,
      storeId,
      terminalId,
      businessDay: '2026-12-03',
      requestedBy: 'pos-1',
      requestedAt,
      holdMs,
    }),
    'operations-reconciler-test',
  );
  expect(started.status).toBe('submitting');
  return operationId;
}

/** A Dintero that takes the operation, and notes what held the terminal each time it was sent. */
function dinteroNoting(terminalId: string) {
  const heldBy: string[] = [];
  const dintero = {
    sendTerminalOperation: async (): Promise<DinteroTerminalOperation> => {
      const { state } = await readState(store, terminalStream(terminalId), terminalDecider);
      heldBy.push(state.status === 'claimed' ? state.claim.kind : 'nothing');
      return { id: `op-${heldBy.length}`, terminal_id: terminalId, operation: 'end_of_day', status: 'PENDING' };
    },
    getTerminalOperation: () => Promise.resolve(undefined),
  } as unknown as DinteroClient;
  return { dintero, heldBy };
}

const settle = (dintero: DinteroClient, operationId: string) =>
  (
    new OperationsReconciler({ store, dintero, config } as never) as unknown as { settle(id: string): Promise<void> }
  ).settle(operationId);

describe('the operations reconciler, with an operation whose sending got no answer past its hold', () => {
  it('sends it again only once it holds the terminal again: never while a payment holds it', async () => {
    await register('oslo', 'till-1');
    const operationId = await sentWithoutAnswer('oslo', 'till-1', Date.now() - 60_000, 30_000);
    const paymentClaim = {
      terminalId: 'till-1',
      claimId: 'pay-1',
      kind: 'payment' as const,
      paymentId: 'pay-1',
      storeId: 'oslo',
      claimedAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 300_000).toISOString(),
    };
    // The hold ran out: a payment took the terminal.
    await claimTerminal(store, paymentClaim, metadata);
    const { dintero, heldBy } = dinteroNoting('till-1');
    await settle(dintero, operationId);
    expect(heldBy).toEqual([]);
    expect((await readState(store, operationStream(operationId), operationDecider)).state.status).toBe('submitting');
    // The payment over: the operation holds the terminal again, and then is sent.
    await releaseClaim(
      store,
      { terminalId: 'till-1', claimId: 'pay-1', reason: 'finished', at: new Date().toISOString() },
      metadata,
    );
    await settle(dintero, operationId);
    expect(heldBy).toEqual(['operation']);
    expect((await readState(store, operationStream(operationId), operationDecider)).state.status).toBe('pending');
  });

  it('lets the terminal take payments between sends that get no answer', async () => {
    await register('stavanger', 'till-4');
    const operationId = await sentWithoutAnswer('stavanger', 'till-4', Date.now() - 2 * 3_600_000, 900_000);
    const silent = {
      sendTerminalOperation: () => Promise.reject(new DinteroUnavailableError('Dintero did not answer')),
    } as unknown as DinteroClient;
    for (let send = 0; send < 3; send++) await settle(silent, operationId);
    expect((await readState(store, operationStream(operationId), operationDecider)).state.status).toBe('submitting');
    await claimTerminal(
      store,
      {
        terminalId: 'till-4',
        claimId: 'pay-4',
        kind: 'payment',
        paymentId: 'pay-4',
        storeId: 'stavanger',
        claimedAt: new Date().toISOString(),
        expiresAt: new Date(Date.now() + 300_000).toISOString(),
      },
      metadata,
    );
    const { state } = await readState(store, terminalStream('till-4'), terminalDecider);
    expect(state.status === 'claimed' && state.claim.claimId).toBe('pay-4');
  });

  it('gives it up as timed out a day after it was asked for, and frees the terminal', async () => {
    await register('bergen', 'till-9');
    const operationId = await sentWithoutAnswer('bergen', 'till-9', Date.now() - 25 * 3_600_000, 900_000);
    const { dintero, heldBy } = dinteroNoting('till-9');
    await settle(dintero, operationId);
    expect(heldBy).toEqual([]);
    const { state } = await readState(store, operationStream(operationId), operationDecider);
    expect(state).toMatchObject({ status: 'timed_out' });
    expect((await readState(store, terminalStream('till-9'), terminalDecider)).state.status).not.toBe('claimed');
  });
});

describe('the operations reconciler, with an end-of-day close Dintero reports completed', () => {
  const completed = (outcome: string) =>
    ({
      getTerminalOperation: (): Promise<DinteroTerminalOperation> =>
        Promise.resolve({
          id: 'op-1',
          terminal_id: 'till-5',
          operation: 'end_of_day',
          status: 'COMPLETED',
          updated_at: new Date().toISOString(),
          result: { outcome, batch_id: 'b-1', purchases_count: 2, purchases_amount: 12_000 },
        }),
    }) as unknown as DinteroClient;

  it.each([
    ['rejected', { status: 'failed', reason: "the terminal's close was not accepted: rejected" }],
    ['accepted', { status: 'completed', batch: { outcome: 'accepted', purchasesCount: 2, purchasesAmount: 12_000 } }],
  ])('whose batch the terminal says was %s', async (outcome, expected) => {
    await register('trondheim', 'till-5');
    const operationId = await sentWithoutAnswer('trondheim', 'till-5', Date.now(), 900_000);
    await settle(dinteroNoting('till-5').dintero, operationId);
    expect((await readState(store, operationStream(operationId), operationDecider)).state.status).toBe('pending');
    await settle(completed(outcome), operationId);
    const { state } = await readState(store, operationStream(operationId), operationDecider);
    expect(state).toMatchObject(expected);
    expect((await readState(store, terminalStream('till-5'), terminalDecider)).state.status).not.toBe('claimed');
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DinteroClient, DinteroTerminalOperation } from '@app/dintero';
import { handleCommand, readState, SqliteEventStore, type EventStore } from '@app/event-store';
import {
  operationStream,
  storeDecider,
  storeStream,
  terminalDecider,
  terminalStream,
  type OperationRequestedData,
  type StoreCommand,
} from '@app/payment-domain';
import { startOperation } from '@app/platform';

const dir = mkdtempSync(path.join(tmpdir(), 'start-operation-'));
const store = new SqliteEventStore({ file: path.join(dir, 'events.db') });
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const requested: OperationRequestedData = {
  operationId: '3f1c2a9e-5b7d-4c1e-8f2a-1b2c3d4e5f60',
  storeId: 'oslo',
  terminalId: 'till-1',
  dinteroTerminalId: 'T12345678-T0001',
  operation: 'end_of_day',
  claimId: '3f1c2a9e-5b7d-4c1e-8f2a-1b2c3d4e5f60',
  requestedBy: 'nightly-close',
  requestedAt: new Date().toISOString(),
  expiresAt: new Date(Date.now() + 900_000).toISOString(),
  businessDay: '2026-12-03',
};

/** Dintero as it answers a terminal operation the terminal completed at once (the client's one call stood in). */
const dintero = {
  sendTerminalOperation: (): Promise<DinteroTerminalOperation> =>
    Promise.resolve({
      id: 'op-at-dintero',
      terminal_id: requested.dinteroTerminalId,
      operation: 'end_of_day',
      status: 'COMPLETED',
      result: { batch_id: '7', purchases_count: 0, purchases_amount: 0, reversals_count: 0, reversals_amount: 0 },
    }),
} as unknown as DinteroClient;

beforeAll(async () => {
  // The store and its terminal, as the registry records them: an operation runs on a registered terminal.
  const at = new Date().toISOString();
  const commands: StoreCommand[] = [
    {
      type: 'RegisterStore',
      data: { storeId: 'oslo', name: 'Oslo', payoutDestinationId: 'seller-1', timeZone: 'Europe/Oslo', at },
    },
    {
      type: 'RegisterTerminal',
      data: {
        storeId: 'oslo',
        terminalId: 'till-1',
        enrollment: { dinteroTerminalId: requested.dinteroTerminalId, deviceSerialNumber: 'SN-1', status: 'ACTIVE' },
        at,
      },
    },
  ];
  for (const command of commands)
    await handleCommand(store, storeStream('oslo'), storeDecider, command, { metadata: { correlationId: 'c-0' } });
});

/**
 * Two runs of one operation (the nightly close of two instances, or a resumed request). The second looks at the
 * operation before the first has ended it, and claims the terminal after the first has ended it and let the
 * terminal go: a store that answers the second run's first read of the operation as the log stood before.
 */
describe('starting a terminal operation another run ends meanwhile', () => {
  it('lets the terminal go again, where the claim held it until it ran out (15 minutes)', async () => {
    const first = await startOperation(store, dintero, requested, 'c-1');
    expect(first.status).toBe('completed');
    expect((await readState(store, terminalStream('till-1'), terminalDecider)).state.status).toBe('free');

    let stale = true;
    const lookedEarlier: EventStore = Object.create(store) as EventStore;
    lookedEarlier.readStream = (streamName, options) => {
      if (stale && streamName === operationStream(requested.operationId)) {
        stale = false;
        return Promise.resolve([]);
      }
      return store.readStream(streamName, options);
    };
    const second = await startOperation(lookedEarlier, dintero, requested, 'c-2');
    expect(stale).toBe(false);
    expect(second.status).toBe('completed');
    expect((await readState(store, terminalStream('till-1'), terminalDecider)).state.status).toBe('free');
  });
});

describe('a close Dintero reports with a time or figures the engine cannot read', () => {
  it('is recorded with its time in UTC and without those figures, which the read models would count as money', async () => {
    const operationId = '7d2e4b1a-9c3f-4e5d-8a6b-2c4d6e8f0a12';
    const answer: DinteroTerminalOperation = {
      id: 'op-unreadable',
      terminal_id: requested.dinteroTerminalId,
      operation: 'end_of_day',
      status: 'COMPLETED',
      updated_at: '2026-12-03T23:30:00.000+01:00',
      result: {
        batch_id: '8',
        outcome: 'accepted',
        purchases_count: 2,
        purchases_amount: '12500' as unknown as number,
        reversals_count: 1,
        reversals_amount: 10.5,
      },
    };
    const answering = { sendTerminalOperation: () => Promise.resolve(answer) } as unknown as DinteroClient;
    const done = await startOperation(store, answering, { ...requested, operationId, claimId: operationId }, 'c-3');
    expect(done.status).toBe('completed');
    const events = await store.readStream(operationStream(operationId));
    expect(events.find((event) => event.type === 'OperationCompleted')?.data).toEqual({
      operationId,
      dinteroOperationId: 'op-unreadable',
      // Named: the read models show them as unknown, where a figure Dintero did not give compares as none.
      batch: {
        batchId: '8',
        outcome: 'accepted',
        purchasesCount: 2,
        reversalsCount: 1,
        unreadable: ['purchasesAmount', 'reversalsAmount'],
      },
      at: expect.any(String) as string,
      dinteroAt: '2026-12-03T22:30:00.000Z',
    });
  });

  it('records the times of its batch in UTC, and leaves out one without its offset, which each host would read in its own zone', async () => {
    const operationId = '5a8c1e3f-2b4d-4f6a-9c8e-0d2f4a6c8e1b';
    const answer: DinteroTerminalOperation = {
      id: 'op-batch-times',
      terminal_id: requested.dinteroTerminalId,
      operation: 'end_of_day',
      status: 'COMPLETED',
      updated_at: '2026-12-03T22:30:00.000Z',
      result: {
        batch_id: '9',
        outcome: 'accepted',
        // The batch's opening dates its facts in the read models (a first close's window): read as an instant.
        start_of_day_at: '2026-12-03T08:00:00+01:00',
        last_end_of_day_at: '2026-12-02T23:30:00',
      },
    };
    const answering = { sendTerminalOperation: () => Promise.resolve(answer) } as unknown as DinteroClient;
    const done = await startOperation(store, answering, { ...requested, operationId, claimId: operationId }, 'c-4');
    expect(done.status).toBe('completed');
    const events = await store.readStream(operationStream(operationId));
    expect((events.find((event) => event.type === 'OperationCompleted')?.data as { batch: unknown }).batch).toEqual({
      batchId: '9',
      outcome: 'accepted',
      startOfDayAt: '2026-12-03T07:00:00.000Z',
    });
  });

  it('leaves out a time that names a day that does not exist, which Date.parse moves to another', async () => {
    const operationId = '9b3d5f7a-1c2e-4a6b-8d0f-3e5a7c9b1d2f';
    const answer: DinteroTerminalOperation = {
      id: 'op-impossible-times',
      terminal_id: requested.dinteroTerminalId,
      operation: 'end_of_day',
      status: 'COMPLETED',
      updated_at: '2026-02-30T10:00:00Z',
      result: { batch_id: '10', outcome: 'accepted', start_of_day_at: '2026-11-31T08:00:00+01:00' },
    };
    const answering = { sendTerminalOperation: () => Promise.resolve(answer) } as unknown as DinteroClient;
    const done = await startOperation(store, answering, { ...requested, operationId, claimId: operationId }, 'c-5');
    expect(done.status).toBe('completed');
    const events = await store.readStream(operationStream(operationId));
    expect(events.find((event) => event.type === 'OperationCompleted')?.data).toEqual({
      operationId,
      dinteroOperationId: 'op-impossible-times',
      batch: { batchId: '10', outcome: 'accepted' },
      at: expect.any(String) as string,
    });
  });
});

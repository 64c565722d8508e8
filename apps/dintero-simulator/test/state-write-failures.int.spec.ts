import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitUntil } from '../../../test/support/app-process';
import {
  SEED,
  simulatorClient,
  startReceiver,
  startSimulator,
  terminalSessionRequest,
  type Receiver,
  type RunningSimulator,
} from '../../../test/support/simulator';
import { DeliveryService } from '../src/delivery/delivery.service';
import { replayJournal, type SavedState } from '../src/state/state-journal';

/** While `full`, every write of the state file fails as a full disk fails it; `failures` counts them. */
const mockDisk = { full: false, failures: 0 };

jest.mock('../src/state/durable-file', () => {
  const actual = jest.requireActual<typeof import('../src/state/durable-file')>('../src/state/durable-file');
  const full = () => {
    mockDisk.failures += 1;
    return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  };
  return {
    ...actual,
    // Part of the text reached the journal, then the disk was full.
    appendFileDurably: async (file: string, text: string) => {
      if (!mockDisk.full) return actual.appendFileDurably(file, text);
      appendFileSync(file, text.slice(0, Math.floor(text.length / 2)));
      throw full();
    },
    writeFileDurablyAsync: async (file: string, text: string) => {
      if (!mockDisk.full) return actual.writeFileDurablyAsync(file, text);
      throw full();
    },
  };
});

/** The state as a start reads it back from the files: the snapshot, then the journal. */
function readBack(file: string): SavedState {
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as SavedState;
  return replayJournal(snapshot, readFileSync(`${file}.journal`, 'utf8'), `${file}.journal`).state;
}

/**
 * A write of the state file that fails (a disk full) answers the request 500 and keeps its change in memory only:
 * until a write succeeds again nothing may show that change (a read, a callback) nor add to it, or a restart would
 * forget what a client was shown.
 */
describe('simulator state writes that fail', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sim-write-failures-'));
  let sim: RunningSimulator;
  let receiver: Receiver;
  afterAll(async () => {
    mockDisk.full = false;
    await sim?.close();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows, delivers and takes nothing while the file cannot be written, and then what the file holds', async () => {
    const file = path.join(dir, 'state.json');
    receiver = await startReceiver();
    sim = await startSimulator({ SIM_STATE_FILE: file });
    const dintero = simulatorClient(sim);
    const api = (method: string, route: string, body?: unknown) =>
      fetch(`${sim.url}${route}`, {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
    try {
      await sim.control('POST', '/seed', SEED);
      const callbackUrl = `${receiver.url}/v1/dintero/callback?report_error=true`;
      const session = await dintero.createTerminalSession(terminalSessionRequest({ callbackUrl }));

      mockDisk.full = true;
      // The card approved (a change and its callback): the write fails, the request is answered 500.
      expect((await api('POST', '/_control/terminals/T-1/present', {})).status).toBe(500);
      // Not shown: the session read (it would name the transaction) and the ground truth are refused.
      await expect(dintero.getSession(session.id)).rejects.toThrow(/503/);
      expect((await api('GET', '/_control/ground-truth')).status).toBe(503);
      // Nothing added: a session on another terminal is refused before it is made.
      await expect(
        dintero.createTerminalSession(terminalSessionRequest({ terminalId: 'T-2', callbackUrl })),
      ).rejects.toThrow(/503/);
      // Not delivered: the callback is held while its write is tried again, and fails again.
      const deliveries = sim.app.get(DeliveryService).deliveries;
      expect(deliveries.map(({ kind, sessionId }) => ({ kind, sessionId }))).toEqual([
        { kind: 'callback', sessionId: session.id },
      ]);
      const failed = mockDisk.failures;
      const nothingReceived = () => expect(receiver.requests.map(({ url }) => url.href)).toEqual([]);
      await waitUntil(
        () => {
          nothingReceived();
          return mockDisk.failures >= failed + 2;
        },
        10_000,
        'the delivery to try the write again',
      );
      nothingReceived();
      expect(deliveries[0]!.attempts).toBe(0);

      // Space again: the change is written, then shown and delivered; the file holds what the callback reports.
      mockDisk.full = false;
      const [callback] = await receiver.waitFor(1, 'the held callback');
      const transactionId = callback!.url.searchParams.get('transaction_id');
      expect((await dintero.getSession(session.id)).transaction_id).toBe(transactionId);
      const back = readBack(file);
      expect(back.transactions.map(({ id, status }) => ({ id, status }))).toEqual([
        { id: transactionId, status: 'CAPTURED' },
      ]);
      // The request refused with 503 made nothing: one session, T-2 free.
      expect(back.sessions.map(({ id }) => id)).toEqual([session.id]);
      expect(back.terminals.find((t) => t.terminal_id === 'T-2')?.activeSessionId).toBeUndefined();
      expect(await sim.control<Record<string, unknown[]>>('GET', '/state')).toMatchObject({
        sessions: back.sessions,
        transactions: back.transactions,
      });
    } finally {
      await dintero.close();
    }
  });
});

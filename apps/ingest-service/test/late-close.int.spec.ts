import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { bucketContents } from '../../../test/support/projections';
import { registerLongAgoAtDintero } from '../../../test/support/registered-long-ago';
import { dueClose } from '../src/fleet/close-schedule';

const STORE = 'lc-store';
const TERMINAL = 'LC-1';

interface DinteroOperation {
  readonly status: string;
  readonly terminal_id: string;
}

/**
 * A nightly close Dintero takes and completes only after the close's hold on the terminal ran out (a terminal slow
 * to close its day): its batch is recorded when Dintero completes it, and the terminal is not closed a second time
 * meanwhile.
 */
describe('a nightly close Dintero completes after its hold ran out', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;

  beforeAll(async () => {
    // The terminal takes 13 s to close; the close holds it for 10 s (the least allowed).
    engine = await startEngine({ projections: true, sim: { SIM_OPERATION_DELAY_MS: '13000' } });
    await registerLongAgoAtDintero(engine, STORE, [TERMINAL]);
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  it('records the batch Dintero completes late, frees the terminal at the hold’s end, and closes once', async () => {
    for (const amount of [10_000, 20_000]) {
      const { paymentId } = (await engine.start(STORE, TERMINAL, amount)) as { paymentId: string };
      await engine.sim.control('POST', `/terminals/${TERMINAL}/present`, {});
      await engine.waitForPayment(paymentId, (state) => state.status === 'captured', 'the capture');
      await engine.terminalFree(TERMINAL);
    }
    const day = dueClose('Europe/Oslo', '23:30', Date.now()).businessDay;
    closer = await startNightlyCloser(engine, { NIGHTLY_CLOSE_RETRY_SECONDS: '1', OPERATION_CLAIM_SECONDS: '10' });
    const operationEvents = async () =>
      (await engine.log.readAll({ limit: 10_000 })).filter((event) => event.streamName.startsWith('operation-'));
    // The hold runs out while Dintero still runs the close: the terminal is freed, the close still awaited.
    await waitUntil(
      async () =>
        (await engine.log.readStream(`terminal-${TERMINAL}`)).some(
          (event) => event.type === 'TerminalReleased' && (event.data as { reason?: string }).reason === 'expired',
        ),
      30_000,
      'the terminal freed at the end of the close’s hold',
    );
    expect((await operationEvents()).map((event) => event.type)).not.toContain('OperationEnded');

    let closes: Record<string, { mismatch: boolean; terminal: { purchasesCount: number } }> = {};
    await waitUntil(
      async () => {
        const doc = (await bucketContents(engine.prefix, 'storeDays'))[`${STORE}.${day}`] as
          { closes?: typeof closes } | undefined;
        closes = doc?.closes ?? {};
        return Object.keys(closes).length > 0;
      },
      30_000,
      'the close on the store day',
    );
    expect(Object.values(closes)).toEqual([
      expect.objectContaining({
        terminalId: TERMINAL,
        businessDay: day,
        terminal: expect.objectContaining({ purchasesCount: 2, purchasesAmount: 30_000 }),
        recorded: expect.objectContaining({ purchasesCount: 2, purchasesAmount: 30_000 }),
        mismatch: false,
      }),
    ]);
    // One close at Dintero, and one attempt in the log, completed.
    const { operations } = await engine.sim.control<{ operations: DinteroOperation[] }>('GET', '/ground-truth/fleet');
    expect(operations.filter((operation) => operation.terminal_id === TERMINAL)).toEqual([
      expect.objectContaining({ status: 'COMPLETED' }),
    ]);
    const types = (await operationEvents()).map((event) => event.type);
    expect(types.filter((type) => type === 'OperationRequested')).toHaveLength(1);
    expect(types).toContain('OperationCompleted');
    expect(types).not.toContain('OperationEnded');
  }, 90_000);
});

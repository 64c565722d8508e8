import { handleCommand } from '@app/event-store';
import { storeDecider, storeStream } from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { registerLongAgo } from '../../../test/support/registered-long-ago';

/**
 * A terminal enrolled at Dintero (its registry entry names its device) whose end of day Dintero refuses, as it no
 * longer has the terminal: the refusal records the terminal's status there (`DELETED`) before the close's end, and
 * the terminal is then out of use. Its close is given up all the same, at once.
 */
describe('the nightly close of an enrolled terminal Dintero refuses', () => {
  let engine: Engine;
  let closer: RunningIngestService | undefined;

  beforeAll(async () => {
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgo(engine.log, 'nr-store', []);
    await handleCommand(
      engine.log,
      storeStream('nr-store'),
      storeDecider,
      {
        type: 'RegisterTerminal',
        data: {
          storeId: 'nr-store',
          terminalId: 'NR-1',
          enrollment: { dinteroTerminalId: 'NR-1', deviceSerialNumber: 'SN-NR-1', status: 'ACTIVE' },
          at: new Date(Date.now() - 3 * 86_400_000).toISOString(),
        },
      },
      { metadata: { correlationId: 'test' } },
    );
    // NR-1 is not at Dintero: its end of day is refused there (404), and its status read as DELETED.
    await engine.sim.control('POST', '/seed', {
      payoutDestinations: ['seller-1'],
      stores: [{ id: 'nr-store', payout_destination_id: 'seller-1' }],
      terminals: [],
    });
  }, 60_000);
  afterAll(async () => {
    await closer?.close();
    await engine.close();
  });

  it('is given up at once, though the refusal took the terminal out of use', async () => {
    closer = await startNightlyCloser(engine, { NIGHTLY_CLOSE_RETRY_SECONDS: '600', NIGHTLY_CLOSE_MAX_ATTEMPTS: '5' });
    const events = async () => await engine.log.readAll({ limit: 10_000 });
    await waitUntil(
      async () => (await events()).some((event) => event.type === 'CloseGivenUp'),
      20_000,
      'the refused close given up',
    );
    const types = (await events()).map((event) => event.type);
    expect(types).toContain('TerminalStatusChanged');
    expect(types.filter((type) => type === 'OperationRequested')).toHaveLength(1);
    const [givenUp] = (await events()).filter((event) => event.type === 'CloseGivenUp');
    expect(givenUp!.data).toMatchObject({ storeId: 'nr-store', terminalId: 'NR-1', attempts: 1 });
    expect((givenUp!.data as { reason: string }).reason).toMatch(/^Dintero refused it/);
  }, 60_000);
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { handleCommand } from '@app/event-store';
import {
  operationDecider,
  operationStream,
  type CloseGivenUpData as GivenUp,
  type OperationCommand,
} from '@app/payment-domain';
import { closeOperationId } from '../src/fleet/close-schedule';
import { startIngestService, type RunningIngestService } from '../../../test/support/ingest-service';
import { startSilentNats } from '../../../test/support/silent-nats';
import { NightlyClose } from '../src/fleet/nightly-close.service';

/** What a give-up is made of: the terminal day, and the close as the instance knows it. */
interface GivesUp {
  giveUp(
    target: { storeId: string; terminalId: string; businessDay: string; key: string },
    close: { businessDay: string; attempt: number; status: string; notBefore: number },
    why: string,
    now: number,
  ): Promise<void>;
}

/**
 * Two instances that know a terminal day's close differently (one saw its second attempt held up by a busy terminal,
 * in memory; the other only its first, failed, in the log) give it up at the same moment, with NATS out of reach: the
 * log records one give-up, where each recorded its own on its own attempt's stream when NATS could not say whose
 * came first.
 */
describe('a nightly close given up by two instances with NATS out of reach', () => {
  let silent: Awaited<ReturnType<typeof startSilentNats>>;
  let dir: string;
  let services: RunningIngestService[] = [];

  beforeAll(async () => {
    silent = await startSilentNats();
    dir = mkdtempSync(path.join(tmpdir(), 'give-up-once-'));
    const env = {
      EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`,
      NATS_URL: silent.url,
      RECONCILER_ENABLED: 'false',
    };
    services = await Promise.all([startIngestService(env), startIngestService(env)]);
  }, 60_000);
  afterAll(async () => {
    for (const service of services) await service.close();
    await silent.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records one give-up of the terminal day', async () => {
    const target = {
      storeId: 'go-store',
      terminalId: 'GO-1',
      businessDay: '2026-03-02',
      key: 'go-store.GO-1.2026-03-02',
    };
    const [first, second] = services.map((service) => service.app.get<NightlyClose, GivesUp>(NightlyClose));
    const now = Date.now();
    await Promise.all([
      first!.giveUp(
        target,
        { businessDay: target.businessDay, attempt: 1, status: 'failed', notBefore: 0 },
        'failed',
        now,
      ),
      second!.giveUp(
        target,
        { businessDay: target.businessDay, attempt: 2, status: 'busy', notBefore: 0 },
        'busy',
        now,
      ),
    ]);
    const givenUp = (await services[0]!.log.readAll({ limit: 1_000 }))
      .filter((event) => event.type === 'CloseGivenUp')
      .map((event) => event.data as GivenUp);
    expect(givenUp).toHaveLength(1);
    expect(givenUp[0]).toMatchObject({ storeId: 'go-store', terminalId: 'GO-1', businessDay: '2026-03-02' });
  }, 60_000);

  it('gives up no close that the log has completed or under way at Dintero', async () => {
    const [first] = services.map((service) => service.app.get<NightlyClose, GivesUp>(NightlyClose));
    const at = new Date().toISOString();
    const closeOf = async (terminalId: string, businessDay: string, ended: boolean) => {
      const operationId = closeOperationId('go-store', terminalId, businessDay, 1);
      const stream = operationStream(operationId);
      const run = (command: OperationCommand) =>
        handleCommand(services[0]!.log, stream, operationDecider, command, { metadata: { correlationId: 'go-test' } });
      await run({
        type: 'RequestOperation',
        data: {
          operationId,
          storeId: 'go-store',
          terminalId,
          dinteroTerminalId: `D-${terminalId}`,
          operation: 'end_of_day',
          claimId: `claim-${terminalId}`,
          requestedBy: 'nightly-close',
          requestedAt: at,
          expiresAt: new Date(Date.now() + 600_000).toISOString(),
          businessDay,
        },
      });
      await run({ type: 'SubmitOperation', data: { at } });
      await run({ type: 'RecordOperationDispatched', data: { dinteroOperationId: `d-${terminalId}`, at } });
      if (ended) await run({ type: 'RecordOperationOutcome', data: { outcome: 'completed', at } });
    };
    await closeOf('GO-2', '2026-03-03', true);
    await closeOf('GO-3', '2026-03-03', false);
    for (const terminalId of ['GO-2', 'GO-3'])
      await first!.giveUp(
        { storeId: 'go-store', terminalId, businessDay: '2026-03-03', key: `go-store.${terminalId}.2026-03-03` },
        { businessDay: '2026-03-03', attempt: 1, status: 'failed', notBefore: 0 },
        'superseded',
        Date.now(),
      );
    const givenUp = (await services[0]!.log.readAll({ limit: 1_000 }))
      .filter((event) => event.type === 'CloseGivenUp')
      .map((event) => event.data as GivenUp);
    expect(givenUp.filter((data) => data.businessDay === '2026-03-03')).toEqual([]);
  }, 60_000);

  it('records no second give-up of a day an earlier version gave up on its attempt’s stream', async () => {
    const [first] = services.map((service) => service.app.get<NightlyClose, GivesUp>(NightlyClose));
    const day = { storeId: 'go-store', terminalId: 'GO-4', businessDay: '2026-03-04' };
    const operationId = closeOperationId(day.storeId, day.terminalId, day.businessDay, 1);
    // As an instance of the version before (a rolling upgrade, not yet followed here) gave it up: on the attempt's stream.
    await handleCommand(
      services[0]!.log,
      operationStream(operationId),
      operationDecider,
      {
        type: 'GiveUpClose',
        data: { ...day, operationId, attempts: 1, reason: 'could not start', at: new Date().toISOString() },
      },
      { metadata: { correlationId: 'go-test', ...day, operationId } },
    );
    await first!.giveUp(
      { ...day, key: `go-store.GO-4.${day.businessDay}` },
      { businessDay: day.businessDay, attempt: 1, status: 'unstarted', notBefore: 0 },
      'superseded',
      Date.now(),
    );
    const givenUp = (await services[0]!.log.readAll({ limit: 1_000 }))
      .filter((event) => event.type === 'CloseGivenUp')
      .map((event) => event.data as GivenUp);
    expect(givenUp.filter((data) => data.businessDay === day.businessDay)).toHaveLength(1);
  }, 60_000);
});

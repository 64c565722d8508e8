import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { handleCommand, type EventStore, type RecordedEvent } from '@app/event-store';
import { operationDecider, type OperationCommand, operationStream } from '@app/payment-domain';
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY } from '@app/platform';
import { closeDayKey, closeOperationId } from '../src/fleet/close-schedule';
import { NightlyClose } from '../src/fleet/nightly-close.service';
import { startIngestService, type RunningIngestService } from '../../../test/support/ingest-service';
import { terminalDayLog } from '../../../test/support/nightly-close-history';
import { registerLongAgo } from '../../../test/support/registered-long-ago';
import { startSimulator, type RunningSimulator } from '../../../test/support/simulator';

const STORE = 'gr-store';

/** A terminal day's close, as `close()` and `giveUp()` take it. */
interface Day {
  readonly storeId: string;
  readonly terminalId: string;
  readonly businessDay: string;
  readonly key: string;
}
interface Known {
  readonly businessDay: string;
  readonly attempt: number;
  readonly status: string;
  readonly notBefore: number;
}
/** The nightly close's two steps the race is between. */
interface Closer {
  close(target: Day & { attempt: number; dinteroTerminalId: string }, now: number): Promise<void>;
  giveUp(target: Day, close: Known, why: string, now: number): Promise<boolean>;
}

/**
 * Holds this log's next append to `streamName` until `open()`; `reached` settles once that append is there. The other
 * instance's writes (another `EventStore` on the same file) go through meanwhile: what lands between the held
 * instance's read and its append is chosen by the test, not by timing.
 */
function holdAppend(log: EventStore, streamName: string) {
  let reach!: () => void;
  let open!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const opened = new Promise<void>((resolve) => (open = resolve));
  const original = log.append.bind(log);
  let held = false;
  const spy = jest.spyOn(log, 'append').mockImplementation(async (stream, events, options) => {
    if (!held && stream === streamName) {
      held = true;
      reach();
      await opened;
      spy.mockRestore();
    }
    return original(stream, events, options);
  });
  return { reached, open };
}

/**
 * A terminal day's give-up (`CloseGivenUp` on the day's stream) and an attempt of its close started on another
 * instance at the same moment, with no lease between them (two ingest instances on one SQLite log, their steps called
 * directly): the log orders the two, so that the day ends either given up or with an attempt under way, never both.
 */
describe('a nightly close given up while another instance starts an attempt of it', () => {
  let dir: string;
  let sim: RunningSimulator;
  let services: RunningIngestService[] = [];
  let closers: Closer[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'give-up-race-'));
    // The close stays pending at the simulator for the test: it is under way.
    sim = await startSimulator({ SIM_OPERATION_DELAY_MS: '600000' });
    const env = {
      EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`,
      DINTERO_API_URL: sim.url,
      DINTERO_CHECKOUT_URL: sim.url,
      // No rounds, no leases: the test runs each step itself.
      RECONCILER_ENABLED: 'false',
    };
    services = [await startIngestService(env), await startIngestService(env)];
    closers = services.map((service) => service.app.get<NightlyClose, Closer>(NightlyClose));
    const terminals = ['GR-1', 'GR-2', 'GR-3', 'GR-4', 'GR-5', 'GR-6'];
    await registerLongAgo(services[0]!.log, STORE, terminals);
    await sim.control('POST', '/seed', {
      payoutDestinations: ['seller-1'],
      stores: [{ id: STORE, payout_destination_id: 'seller-1' }],
      terminals: terminals.map((terminal_id) => ({ terminal_id, store_id: STORE })),
    });
  }, 60_000);
  afterAll(async () => {
    jest.restoreAllMocks();
    for (const service of services) await service.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The closes this instance counted failed (`payments_nightly_closes_total{result="failed"}`). */
  const failedCloses = async (service: RunningIngestService) => {
    const metric = service.app.get<Registry>(METRICS_REGISTRY).getSingleMetric('payments_nightly_closes_total')!;
    return (await metric.get()).values.find((value) => value.labels.result === 'failed')?.value ?? 0;
  };
  const dayOf = (terminalId: string, businessDay: string): Day => ({
    storeId: STORE,
    terminalId,
    businessDay,
    key: `${STORE}.${terminalId}.${businessDay}`,
  });
  /** What the log says of the terminal day: its give-ups, and the attempts of its close requested. */
  const logOf = (day: Day) => terminalDayLog(services[0]!.log, STORE, day);

  it('refuses the give-up when the first attempt is claimed between its look and its append', async () => {
    const day = dayOf('GR-1', '2026-03-10');
    const [giver, starter] = closers;
    const held = holdAppend(services[0]!.log, operationStream(closeDayKey(STORE, 'GR-1', day.businessDay)));
    const givingUp = giver!.giveUp(
      day,
      { businessDay: day.businessDay, attempt: 1, status: 'busy', notBefore: 0 },
      'the close of 2026-03-11 fell due before it could be tried again (the terminal was busy)',
      Date.now(),
    );
    // The give-up has read the attempt (not recorded) and waits to append; the other instance starts it now.
    await held.reached;
    await starter!.close({ ...day, attempt: 1, dinteroTerminalId: 'GR-1' }, Date.now());
    held.open();
    expect(await givingUp).toBe(false);

    const log = await logOf(day);
    expect(log.requested.map((request) => request.operationId)).toEqual([
      closeOperationId(STORE, 'GR-1', day.businessDay, 1),
    ]);
    expect(log.givenUp).toEqual([]);
  }, 60_000);

  it('refuses the give-up when the next attempt is claimed between its look and its append', async () => {
    const day = dayOf('GR-2', '2026-03-10');
    const first = closeOperationId(STORE, 'GR-2', day.businessDay, 1);
    // The first attempt failed at the terminal (as an earlier version recorded it, unclaimed).
    const run = (command: Parameters<typeof operationDecider.decide>[0]) =>
      handleCommand(services[0]!.log, operationStream(first), operationDecider, command, {
        metadata: { correlationId: 'nightly-close', storeId: STORE, terminalId: 'GR-2', operationId: first },
      });
    const at = new Date().toISOString();
    await run({
      type: 'RequestOperation',
      data: {
        operationId: first,
        storeId: STORE,
        terminalId: 'GR-2',
        dinteroTerminalId: 'GR-2',
        operation: 'end_of_day',
        claimId: first,
        requestedBy: 'nightly-close',
        requestedAt: at,
        expiresAt: new Date(Date.now() + 600_000).toISOString(),
        businessDay: day.businessDay,
      },
    });
    await run({
      type: 'RecordOperationOutcome',
      data: { outcome: 'failed', reason: 'the terminal reported a failure', at },
    });

    const [giver, starter] = closers;
    const held = holdAppend(services[0]!.log, operationStream(closeDayKey(STORE, 'GR-2', day.businessDay)));
    const givingUp = giver!.giveUp(
      day,
      { businessDay: day.businessDay, attempt: 1, status: 'failed', notBefore: 0 },
      'the terminal reported a failure',
      Date.now(),
    );
    await held.reached;
    await starter!.close({ ...day, attempt: 2, dinteroTerminalId: 'GR-2' }, Date.now());
    held.open();
    expect(await givingUp).toBe(false);

    const log = await logOf(day);
    expect(log.requested.map((request) => request.operationId)).toEqual([
      first,
      closeOperationId(STORE, 'GR-2', day.businessDay, 2),
    ]);
    expect(log.givenUp).toEqual([]);
  }, 60_000);

  it('voids an attempt claimed and not yet requested, gives the day up, and the late request is refused', async () => {
    const day = dayOf('GR-3', '2026-03-10');
    const operationId = closeOperationId(STORE, 'GR-3', day.businessDay, 1);
    const [giver, starter] = closers;
    const failedBefore = await failedCloses(services[1]!);
    // The starting instance is paused just before it records the attempt's request (its claims taken).
    const held = holdAppend(services[1]!.log, operationStream(operationId));
    const starting = starter!.close({ ...day, attempt: 1, dinteroTerminalId: 'GR-3' }, Date.now());
    await held.reached;
    expect(
      await giver!.giveUp(
        day,
        { businessDay: day.businessDay, attempt: 1, status: 'busy', notBefore: 0 },
        'the close of 2026-03-11 fell due before it could be tried again (the terminal was busy)',
        Date.now(),
      ),
    ).toBe(true);
    held.open();
    await starting;

    const log = await logOf(day);
    expect(log.givenUp).toHaveLength(1);
    expect(log.requested).toEqual([]);
    expect(log.types(operationStream(operationId))).toEqual(['CloseAttemptVoided']);
    // Its refused request is no failed close: the attempt was voided.
    expect(await failedCloses(services[1]!)).toBe(failedBefore);
    // The terminal the refused start held is free again.
    const terminal = log.types('terminal-GR-3');
    expect(terminal.at(-1)).toBe('TerminalReleased');
    // The starting instance, at its next round, records nothing more: the day is given up.
    await starter!.giveUp(
      day,
      { businessDay: day.businessDay, attempt: 1, status: 'refused', notBefore: 0 },
      'refused',
      Date.now(),
    );
    expect((await logOf(day)).givenUp).toHaveLength(1);
  }, 60_000);

  it("records a claim and a void with their documented fields alone, not the caller's bookkeeping", async () => {
    const day = dayOf('GR-6', '2026-03-10');
    const operationId = closeOperationId(STORE, 'GR-6', day.businessDay, 1);
    const [giver, starter] = closers;
    // As above: the attempt claimed, then voided by the give-up before its request lands.
    const held = holdAppend(services[1]!.log, operationStream(operationId));
    const starting = starter!.close({ ...day, attempt: 1, dinteroTerminalId: 'device-of-GR-6' }, Date.now());
    await held.reached;
    expect(
      await giver!.giveUp(
        day,
        { businessDay: day.businessDay, attempt: 1, status: 'busy', notBefore: 0 },
        'the close of 2026-03-11 fell due before it could be tried again (the terminal was busy)',
        Date.now(),
      ),
    ).toBe(true);
    held.open();
    await starting;

    // The stored contract (docs/consuming.md): these fields, and no other, on both events, kept in the log for good.
    const documented = ['at', 'attempt', 'businessDay', 'operationId', 'storeId', 'terminalId'];
    const events: RecordedEvent[] = await services[0]!.log.readAll({ limit: 10_000 });
    const fieldsOf = (type: string) =>
      events
        .filter((event) => event.type === type && (event.data as { operationId?: string }).operationId === operationId)
        .map((event) => Object.keys(event.data as object).sort());
    expect(fieldsOf('CloseAttemptClaimed')).toEqual([documented]);
    expect(fieldsOf('CloseAttemptVoided')).toEqual([documented]);
  }, 60_000);

  /** Writes the command on the stream, as an instance of the nightly close did before it stopped. */
  const wrote = (streamName: string, command: OperationCommand) =>
    handleCommand(services[0]!.log, streamName, operationDecider, command, {
      metadata: { correlationId: 'nightly-close' },
    });
  const claimOf = (day: Day, attempt: number) => ({
    operationId: closeOperationId(STORE, day.terminalId, day.businessDay, attempt),
    storeId: STORE,
    terminalId: day.terminalId,
    businessDay: day.businessDay,
    attempt,
    at: new Date().toISOString(),
  });

  it('starts an attempt whose claiming instance stopped before recording it, when it is tried again', async () => {
    const day = dayOf('GR-4', '2026-03-10');
    await wrote(operationStream(closeDayKey(STORE, 'GR-4', day.businessDay)), {
      type: 'ClaimCloseAttempt',
      data: claimOf(day, 1),
    });
    await closers[1]!.close({ ...day, attempt: 1, dinteroTerminalId: 'GR-4' }, Date.now());
    const log = await logOf(day);
    expect(log.requested.map((request) => request.operationId)).toEqual([claimOf(day, 1).operationId]);
    // Claimed once: the start again claimed nothing more.
    expect(log.types(operationStream(closeDayKey(STORE, 'GR-4', day.businessDay)))).toEqual(['CloseAttemptClaimed']);
    expect(log.givenUp).toEqual([]);
  }, 60_000);

  it('gives up a day whose give-up stopped between voiding its attempt and appending, and starts that attempt no more', async () => {
    const day = dayOf('GR-5', '2026-03-10');
    const dayStream = operationStream(closeDayKey(STORE, 'GR-5', day.businessDay));
    await wrote(dayStream, { type: 'ClaimCloseAttempt', data: claimOf(day, 1) });
    await wrote(operationStream(claimOf(day, 1).operationId), { type: 'VoidCloseAttempt', data: claimOf(day, 1) });
    const [closer] = closers;
    // Tried again: voided, it is not recorded, and the close is to be given up.
    await closer!.close({ ...day, attempt: 1, dinteroTerminalId: 'GR-5' }, Date.now());
    expect((await logOf(day)).requested).toEqual([]);
    expect(
      await closer!.giveUp(
        day,
        { businessDay: day.businessDay, attempt: 1, status: 'refused', notBefore: 0 },
        'its attempt was voided by a give-up of the day',
        Date.now(),
      ),
    ).toBe(true);
    const log = await logOf(day);
    expect(log.givenUp).toHaveLength(1);
    expect(log.requested).toEqual([]);
    expect(log.types(dayStream)).toEqual(['CloseAttemptClaimed', 'CloseGivenUp']);
  }, 60_000);
});

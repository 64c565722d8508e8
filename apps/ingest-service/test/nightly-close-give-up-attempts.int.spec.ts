import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { handleCommand } from '@app/event-store';
import { operationDecider, operationStream, type OperationCommand } from '@app/payment-domain';
import { closeDayKey, closeOperationId } from '../src/fleet/close-schedule';
import { NightlyClose } from '../src/fleet/nightly-close.service';
import { endOfDayRequest } from '../../../test/support/end-of-day-request';
import { startIngestService, type RunningIngestService } from '../../../test/support/ingest-service';
import { terminalDayLog } from '../../../test/support/nightly-close-history';
import { registerLongAgo } from '../../../test/support/registered-long-ago';
import { startSimulator, type RunningSimulator } from '../../../test/support/simulator';

const STORE = 'ga-store';
const DAY = '2026-03-10';

/** A terminal day's close, as `close()` and `giveUp()` take it. */
interface Day {
  readonly storeId: string;
  readonly terminalId: string;
  readonly businessDay: string;
  readonly key: string;
}
/** The nightly close's two steps, called directly. */
interface Closer {
  close(target: Day & { attempt: number; dinteroTerminalId: string }, now: number): Promise<void>;
  giveUp(
    target: Day,
    close: { businessDay: string; attempt: number; status: string; notBefore: number },
    why: string,
    now: number,
  ): Promise<boolean>;
}

/**
 * A give-up by an instance that knows an earlier attempt than the log holds: the next claimed on the day's stream (by
 * another instance, or by this one before a restart: claims are not followed), or recorded unclaimed by an instance of
 * the version before claims (a rolling upgrade, that version's events written here as it wrote them). The give-up
 * records the attempts the log shows made, and none while an attempt of the older version is under way.
 */
describe('the attempts a nightly close is given up at', () => {
  let dir: string;
  let sim: RunningSimulator;
  let service: RunningIngestService;
  let closer: Closer;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'give-up-attempts-'));
    sim = await startSimulator({ SIM_OPERATION_DELAY_MS: '600000' });
    service = await startIngestService({
      EVENT_STORE_URL: `sqlite:${path.join(dir, 'events.db')}`,
      DINTERO_API_URL: sim.url,
      DINTERO_CHECKOUT_URL: sim.url,
      // No rounds, no leases, no operations sent: the test runs each step itself.
      RECONCILER_ENABLED: 'false',
      NIGHTLY_CLOSE_MAX_ATTEMPTS: '3',
    });
    closer = service.app.get<NightlyClose, Closer>(NightlyClose);
    const terminals = ['GA-1', 'GA-2', 'GA-3', 'GA-4', 'GA-5'];
    await registerLongAgo(service.log, STORE, terminals);
    await sim.control('POST', '/seed', {
      payoutDestinations: ['seller-1'],
      stores: [{ id: STORE, payout_destination_id: 'seller-1' }],
      terminals: terminals.map((terminal_id) => ({ terminal_id, store_id: STORE })),
    });
  }, 60_000);
  afterAll(async () => {
    await service.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const dayOf = (terminalId: string): Day => ({
    storeId: STORE,
    terminalId,
    businessDay: DAY,
    key: `${STORE}.${terminalId}.${DAY}`,
  });
  const idOf = (day: Day, attempt: number) => closeOperationId(STORE, day.terminalId, day.businessDay, attempt);
  /** Writes the command on the stream, as an instance of the nightly close did. */
  const wrote = (streamName: string, command: OperationCommand) =>
    handleCommand(service.log, streamName, operationDecider, command, { metadata: { correlationId: 'nightly-close' } });
  /** The attempt requested, as the version before claims recorded it: on its own stream alone. */
  const requested = (day: Day, attempt: number) =>
    wrote(operationStream(idOf(day, attempt)), {
      type: 'RequestOperation',
      data: endOfDayRequest({
        operationId: idOf(day, attempt),
        storeId: STORE,
        terminalId: day.terminalId,
        businessDay: day.businessDay,
        requestedBy: 'nightly-close',
        requestedAt: Date.now(),
        holdMs: 600_000,
      }),
    });
  const failed = (day: Day, attempt: number) =>
    wrote(operationStream(idOf(day, attempt)), {
      type: 'RecordOperationOutcome',
      data: { outcome: 'failed', reason: 'the terminal reported a failure', at: new Date().toISOString() },
    });
  const claimed = (day: Day, attempt: number) =>
    wrote(operationStream(closeDayKey(STORE, day.terminalId, day.businessDay)), {
      type: 'ClaimCloseAttempt',
      data: {
        operationId: idOf(day, attempt),
        storeId: STORE,
        terminalId: day.terminalId,
        businessDay: day.businessDay,
        attempt,
        at: new Date().toISOString(),
      },
    });
  /** The instance's give-up, knowing the close at its first attempt, ended failed. */
  const giveUpKnowingFirst = (day: Day) =>
    closer.giveUp(
      day,
      { businessDay: day.businessDay, attempt: 1, status: 'failed', notBefore: 0 },
      'the terminal reported a failure',
      Date.now(),
    );
  const logOf = (day: Day) => terminalDayLog(service.log, STORE, day);

  it('gives up at the attempt claimed after the one it knows, voided, and counts it not among the attempts made', async () => {
    const day = dayOf('GA-1');
    await requested(day, 1);
    await failed(day, 1);
    // The next attempt claimed (its terminal busy, or its instance stopped before recording it): not followed here.
    await claimed(day, 2);
    expect(await giveUpKnowingFirst(day)).toBe(true);
    const log = await logOf(day);
    expect(log.types(operationStream(idOf(day, 2)))).toEqual(['CloseAttemptVoided']);
    // One attempt was made (requested, and failed); the second was voided before it was.
    expect(log.givenUp.map(({ attempts, operationId }) => ({ attempts, operationId }))).toEqual([
      { attempts: 1, operationId: idOf(day, 2) },
    ]);
  }, 60_000);

  it('counts not the attempt it knows among those made when that one was voided, its terminal busy', async () => {
    const day = dayOf('GA-5');
    await requested(day, 1);
    await failed(day, 1);
    // This instance claimed attempt 2 and found the terminal busy: claimed, never recorded.
    await claimed(day, 2);
    const busy = { businessDay: day.businessDay, attempt: 2, status: 'busy', notBefore: 0 };
    expect(await closer.giveUp(day, busy, 'the terminal was busy', Date.now())).toBe(true);
    const log = await logOf(day);
    expect(log.types(operationStream(idOf(day, 2)))).toEqual(['CloseAttemptVoided']);
    expect(log.givenUp.map(({ attempts, operationId }) => ({ attempts, operationId }))).toEqual([
      { attempts: 1, operationId: idOf(day, 2) },
    ]);
  }, 60_000);

  it('gives up no day whose next attempt an instance of the version before recorded unclaimed and is under way', async () => {
    const day = dayOf('GA-2');
    await requested(day, 1);
    await failed(day, 1);
    await requested(day, 2);
    expect(await giveUpKnowingFirst(day)).toBe(false);
    expect((await logOf(day)).givenUp).toEqual([]);
    // Started again by this version (its memory behind): the attempt recorded is not claimed nor requested again.
    await closer.close({ ...day, attempt: 2, dinteroTerminalId: 'GA-2' }, Date.now());
    const log = await logOf(day);
    expect(log.requested.map((request) => request.operationId)).toEqual([idOf(day, 1), idOf(day, 2)]);
    expect(log.types(operationStream(closeDayKey(STORE, 'GA-2', DAY)))).toEqual([]);
  }, 60_000);

  it('records the unclaimed attempts of the version before, once they ended, as the attempts made', async () => {
    const day = dayOf('GA-3');
    for (const attempt of [1, 2, 3]) {
      await requested(day, attempt);
      await failed(day, attempt);
    }
    expect(await giveUpKnowingFirst(day)).toBe(true);
    const log = await logOf(day);
    expect(log.givenUp.map(({ attempts, operationId }) => ({ attempts, operationId }))).toEqual([
      { attempts: 3, operationId: idOf(day, 3) },
    ]);
    // Unclaimed attempts are not voided: they were recorded.
    expect(log.types(operationStream(idOf(day, 3)))).toEqual(['OperationRequested', 'OperationEnded']);
  }, 60_000);

  it('starts no attempt of a day the version before gave up on the day’s stream without reading claims', async () => {
    const day = dayOf('GA-4');
    await requested(day, 1);
    await failed(day, 1);
    // The version before gave up on the day's stream without reading claims: no claim was there.
    await wrote(operationStream(closeDayKey(STORE, 'GA-4', DAY)), {
      type: 'GiveUpClose',
      data: {
        operationId: idOf(day, 1),
        storeId: STORE,
        terminalId: 'GA-4',
        businessDay: DAY,
        attempts: 1,
        reason: 'the terminal reported a failure',
        at: new Date().toISOString(),
      },
    });
    await closer.close({ ...day, attempt: 2, dinteroTerminalId: 'GA-4' }, Date.now());
    expect(await giveUpKnowingFirst(day)).toBe(true);
    const log = await logOf(day);
    expect(log.requested.map((request) => request.operationId)).toEqual([idOf(day, 1)]);
    expect(log.givenUp).toHaveLength(1);
    expect(log.types(operationStream(closeDayKey(STORE, 'GA-4', DAY)))).toEqual(['CloseGivenUp']);
  }, 60_000);
});

import { Logger } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { LogSubscriptions } from '@app/platform';
import { sqliteFile } from '../../../libs/event-store/test/fixtures/sqlite-file';
import { loggedLines } from '../../../test/support/logged-lines';
import { backedOffLines } from '../../../test/support/outage-warnings';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/projections';
import { LeasedLogWorker } from '../src/fleet/leased-log-worker';
import { SettleLeases } from '../src/reconciler/settle-leases';

/** Longer than the test: no round of the worker runs while the test takes its leases itself. */
const NO_ROUND_MS = 600_000;

/**
 * Ingest's leased workers of the fleet (the nightly close, terminal statuses, the operations reconciler) take an
 * item's lease in NATS before each look at it (`LeasedLogWorker.mayTake`), and look anyway when NATS does not answer.
 * While NATS was gone each take was a warning: every due item of every round (an operation polled every 2 s, each
 * terminal not active every 30 s, each nightly close's day every 10 s), thousands of lines an hour. Now they back off
 * as the projector's lease's do (`OutageWarnings`). The worker's leases are on a NATS connection since closed; the
 * clock is the test's, and the takes are made one by one: no sleeps.
 */
describe('a leased worker’s warnings while NATS is gone', () => {
  const prefix = uniquePrefix();
  const log = sqliteFile('lease-warnings');
  let nats: NatsConnection;
  const workers: LeasedLogWorker[] = [];
  beforeAll(async () => {
    // Gathered (`loggedLines`), not printed: before, this test printed 300 warnings.
    Logger.overrideLogger(false);
    nats = await connect({ servers: NATS_URL });
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    await nats.close();
    await removeNatsState(prefix);
  });

  it('says the first failed take, then at doubling intervals up to a minute with how many failed since, and the end once', async () => {
    const gone = await connect({ servers: NATS_URL });
    let clock = 1_000_000;
    const worker = new LeasedLogWorker(
      {
        name: 'terminal-status',
        streamPrefixes: ['store-'],
        onEvent: () => undefined,
        tick: () => Promise.resolve(),
        intervalMs: NO_ROUND_MS,
        natsPrefix: prefix,
        leaseMs: 30_000,
      },
      log.open(),
      gone,
      new LogSubscriptions(new Registry()),
      new Logger('TerminalStatusFollower'),
      () => clock,
    );
    workers.push(worker);
    await worker.start();
    // NATS gone: the leases' connection closed.
    await gone.close();
    const warnings = loggedLines('warn');
    const lines = loggedLines('log');
    const failed = 'terminal-status: could not take a lease; looking anyway';

    // Five minutes of NATS gone, an item due a second: 300 takes, each failed, each item looked at all the same.
    for (let item = 0; item < 300; item++, clock += 1_000)
      expect(await worker.mayTake(`terminal-status.s1.t${item}`)).toBe(true);
    const said = backedOffLines(warnings, failed);
    // Each names the item of the take it says.
    expect(said.map(({ fields }) => fields.key)).toEqual(
      [0, 1, 3, 7, 15, 31, 63, 123, 183, 243].map((item) => `terminal-status.s1.t${item}`),
    );
    for (const { fields } of said) expect(String(fields.err)).toMatch(/closed/i);
    expect(warnings).toHaveLength(said.length);

    // NATS answers again: the next take is said once, with the whole outage, and no more after.
    (worker as unknown as { leases: SettleLeases }).leases = await SettleLeases.open(nats, prefix, 30_000);
    expect(await worker.mayTake('terminal-status.s1.back')).toBe(true);
    clock += 1_000;
    expect(await worker.mayTake('terminal-status.s1.again')).toBe(true);
    expect(lines.map(({ fields }) => fields)).toEqual([
      { key: 'terminal-status.s1.back', failures: 300, failedSinceLastLine: 56, failingForMs: 300_000 },
    ]);
    expect(warnings).toHaveLength(said.length);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { SqliteEventStore } from '@app/event-store';
import { paymentMetrics } from '@app/platform';
import { loggedLines } from '../../../test/support/logged-lines';
import { backedOffLines } from '../../../test/support/outage-warnings';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/projections';
import { FoldVersionWatch } from '../src/projector/fold-version.watch';
import { LeaseCampaign } from '../src/projector/lease-campaign';
import { ProjectorLeadership } from '../src/projector/projector-leadership';
import { ProjectorLease } from '../src/projector/projector-lease';
import { ProjectorState } from '../src/projector/projector.state';

/**
 * The projector's lease contended for while NATS is gone: every turn of the campaign (a third of a lease, 1.7 s by
 * default) fails. Each failure was a warning, some two thousand an hour for as long as the outage lasted. Now the
 * first is said, then at doubling intervals up to a minute with how many failed since the line before, and the end of
 * the outage once. The clock is the test's, and the turns are taken one by one: no sleeps. The turns go through the
 * real leadership and lease: NATS gone is the lease's connection closed.
 */
describe('the projector lease’s warnings while NATS is gone', () => {
  const prefix = uniquePrefix();
  const dir = mkdtempSync(path.join(tmpdir(), 'lease-campaign-'));
  let log: SqliteEventStore;
  let nats: NatsConnection;
  beforeAll(async () => {
    // Gathered (`loggedLines`), not printed: before, this test printed 300 warnings.
    Logger.overrideLogger(false);
    log = new SqliteEventStore({ file: path.join(dir, 'events.db') });
    nats = await connect({ servers: NATS_URL });
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await log.close();
    await nats.close();
    await removeNatsState(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  /** A lease of this prefix whose NATS connection is closed: every bid fails at once, as NATS gone. */
  const leaseWithNatsGone = async () => {
    const gone = await connect({ servers: NATS_URL });
    const lease = await ProjectorLease.open(gone, prefix, 5_000);
    await gone.close();
    return lease;
  };
  /**
   * A standby's leadership (no buckets opened: it neither follows nor writes) on `lease`. Another instance holds the
   * lease whenever NATS answers, so that a bid answered leaves it standing by.
   */
  const standby = (lease: ProjectorLease) => {
    const state = new ProjectorState();
    state.lease = lease;
    const logger = new Logger('ProjectorService');
    const metrics = paymentMetrics(new Registry());
    const notOnThesePaths = () => {
      throw new Error('a standby whose bids fail or are refused neither follows nor folds');
    };
    const leadership = new ProjectorLeadership(state, log, metrics, logger, new FoldVersionWatch(metrics, logger), {
      following: notOnThesePaths,
      startFollowing: notOnThesePaths,
      stopFollowing: notOnThesePaths,
      projectorFromKv: notOnThesePaths,
      tellingEnds: notOnThesePaths,
      takeNewer: notOnThesePaths,
      adoptWaiting: notOnThesePaths,
    });
    return { state, leadership, logger };
  };
  const recovered = 'projector lease: NATS answers again';

  it('says the first failure, then at doubling intervals up to a minute with how many failed since, and the end once', async () => {
    const writer = await ProjectorLease.open(nats, prefix, 5_000);
    const { state, leadership, logger } = standby(await leaseWithNatsGone());
    let clock = 1_000_000;
    const campaign = new LeaseCampaign(
      () => leadership.contend(),
      logger,
      () => clock,
    );
    const warnings = loggedLines('warn');
    const lines = loggedLines('log');

    // Five minutes of NATS gone, a turn a second: 300 failed turns.
    for (let turn = 0; turn < 300; turn++, clock += 1_000) await campaign.turn();
    const said = backedOffLines(warnings, 'lease not renewed');
    expect(warnings).toHaveLength(said.length);

    // Two turns at once: the second finds the first's bid under way and asks NATS nothing, which neither ends the
    // outage nor counts; the first fails (301 in all).
    await Promise.all([campaign.turn(), campaign.turn()]);
    expect(lines.filter(({ msg }) => msg === recovered)).toEqual([]);
    clock += 1_000;

    // NATS answers again (another instance holds the lease): said once, with the whole outage, and no more after.
    expect(await writer.acquire()).toBe(true);
    state.lease = await ProjectorLease.open(nats, prefix, 5_000);
    await campaign.turn();
    clock += 1_000;
    await campaign.turn();
    expect(lines.filter(({ msg }) => msg === recovered).map(({ fields }) => fields)).toEqual([
      { failures: 301, failedSinceLastLine: 57, failingForMs: 301_000 },
    ]);
    expect(warnings).toHaveLength(said.length);

    // The next outage is said at once, as a first.
    state.lease = await leaseWithNatsGone();
    await campaign.turn();
    expect(warnings).toHaveLength(said.length + 1);
    expect(warnings.at(-1)).toMatchObject({
      msg: 'lease not renewed',
      fields: { failedSinceLastLine: 1, failingForMs: 0 },
    });
    await writer.release();
  });
});

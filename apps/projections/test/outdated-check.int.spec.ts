import { Logger } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { loggedLines } from '../../../test/support/logged-lines';
import { backedOffLines } from '../../../test/support/outage-warnings';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/projections';
import { OutdatedCheck } from '../src/projector/outdated-check';
import { ReadModelBuckets } from '../src/projector/read-model.buckets';

/**
 * The writer's check for read models of an older fold (`PROJECTIONS_REBUILD_WHEN_OUTDATED`) that failed at start is
 * made again at every turn of the lease's campaign (a third of a lease, 1.7 s by default). While NATS is gone each
 * turn fails it: a warning each, some two thousand an hour beside the lease's own, which backs off. Now it backs off
 * the same way (`OutageWarnings`). The check reads the offer waiting to be adopted (`ReadModelBuckets.handOver`, the
 * read `rebuildIfOutdated` makes first) from buckets whose NATS connection is closed; the clock is the test's, and the
 * turns are taken one by one: no sleeps.
 */
describe('the check for read models of an older fold while NATS is gone', () => {
  const prefix = uniquePrefix();
  let nats: NatsConnection;
  beforeAll(async () => {
    // Gathered (`loggedLines`), not printed: before, this test printed 300 warnings.
    Logger.overrideLogger(false);
    nats = await connect({ servers: NATS_URL });
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await nats.close();
    await removeNatsState(prefix);
  });

  /** The live buckets of this prefix on a NATS connection since closed: every read fails at once, as NATS gone. */
  const bucketsWithNatsGone = async () => {
    const gone = await connect({ servers: NATS_URL });
    const buckets = await ReadModelBuckets.open(gone, prefix);
    await gone.close();
    return buckets;
  };
  const failed =
    'could not tell whether to rebuild read models of an older fold: asked again at the next turn of the lease';

  it('says the first failure, then at doubling intervals up to a minute with how many failed since, and once made', async () => {
    let buckets = await bucketsWithNatsGone();
    let checks = 0;
    let clock = 1_000_000;
    const check = new OutdatedCheck(
      async () => {
        checks += 1;
        await buckets.handOver();
      },
      () => true,
      new Logger('ProjectorService'),
      () => clock,
    );
    // The writer at start, whose check failed: still to be made at each turn.
    check.pending = true;
    const warnings = loggedLines('warn');
    const lines = loggedLines('log');

    // Five minutes of NATS gone, a turn a second: 300 failed checks.
    for (let turn = 0; turn < 300; turn++, clock += 1_000) await check.make();
    expect(checks).toBe(300);
    expect(check.pending).toBe(true);
    const said = backedOffLines(warnings, failed);
    expect(warnings).toHaveLength(said.length);

    // NATS answers again: the check is made, which is said once with the whole outage, and not made again.
    buckets = await ReadModelBuckets.open(nats, prefix);
    await check.make();
    clock += 1_000;
    await check.make();
    expect(checks).toBe(301);
    expect(check.pending).toBe(false);
    expect(lines.map(({ fields }) => fields)).toEqual([
      { failures: 300, failedSinceLastLine: 56, failingForMs: 300_000 },
    ]);
    expect(warnings).toHaveLength(said.length);
  });
});

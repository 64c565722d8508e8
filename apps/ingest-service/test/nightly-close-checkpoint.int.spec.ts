import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Objm } from '@nats-io/obj';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { logIdentity, SqliteEventStore, type EventStore, type RecordedEvent } from '@app/event-store';
import { natsNames } from '@app/messaging';
import { waitUntil } from '../../../test/support/app-process';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import {
  closedCount,
  closedThatNight,
  closeDays,
  givenUpIn,
  paidOn,
} from '../../../test/support/nightly-close-history';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/nats-state';
import { registerLongAgo } from '../../../test/support/registered-long-ago';
import { startSimulator, type RunningSimulator } from '../../../test/support/simulator';
import { NightlyClose } from '../src/fleet/nightly-close.service';
import { NIGHTLY_CLOSE_CHECKPOINT } from '../src/fleet/nightly-close-snapshot';

/** Payments on each terminal before the first start: the `terminal-` events a chain's log has by the million. */
const PAYMENTS = 60;

/**
 * The nightly close restarted over its checkpoint (`NIGHTLY_CLOSE_CHECKPOINT`): it follows the log from the position
 * the checkpoint was saved at, not from its start, so the payments' claims and releases before it are not read again;
 * and it closes and gives up what an instance that followed the log from its start does, on a twin log whose
 * checkpoint is gone. Where every start read the whole log again, two `terminal-` events a payment or refund.
 */
describe('the nightly close restarted over its checkpoint', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nightly-close-checkpoint-'));
  const { due, day } = closeDays();
  const missed = day(1);
  const before = day(2);
  let sim: RunningSimulator;
  let nats: NatsConnection;
  const prefixes: string[] = [];
  const closers: RunningIngestService[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ SIM_OPERATION_DELAY_MS: '100' });
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    for (const closer of closers) await closer.close();
    await nats.close();
    await sim.close();
    for (const prefix of prefixes) await removeNatsState(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  /** A chain of its own (`tag` in its store and terminal names), on a log of its own, and its nightly close's prefix. */
  const chain = async (tag: string) => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const ids = {
      store: `${tag}-store`,
      later: `${tag}-later`,
      terminals: [`${tag}-1`, `${tag}-2`],
      third: `${tag}-3`,
    };
    const file = path.join(dir, `${tag}.db`);
    const log = new SqliteEventStore({ file });
    await sim.control('POST', '/seed', {
      payoutDestinations: ['seller-1'],
      stores: [ids.store, ids.later].map((id) => ({ id, payout_destination_id: 'seller-1' })),
      terminals: [
        ...ids.terminals.map((terminal_id) => ({ terminal_id, store_id: ids.store })),
        { terminal_id: ids.third, store_id: ids.later },
      ],
    });
    await registerLongAgo(log, ids.store, ids.terminals);
    // The nightly close at work two days back; then the engine down over the next day's close time.
    for (const terminalId of ids.terminals)
      await closedThatNight(log, { storeId: ids.store, terminalId, businessDay: before });
    const paidFrom = Date.parse(`${missed}T06:00:00Z`);
    for (let n = 0; n < PAYMENTS; n++)
      for (const terminalId of ids.terminals)
        await paidOn(log, {
          storeId: ids.store,
          terminalId,
          claimId: `${terminalId}-pay-${n}`,
          at: paidFrom + n * 120_000,
        });
    const closer = { eventStoreFile: file, prefix, sim };
    return { ids, log, closer, prefix, filled: await log.headPosition() };
  };
  type Chain = Awaited<ReturnType<typeof chain>>;

  const start = async ({ closer }: Chain, env: Record<string, string> = {}) => {
    const started = await startNightlyCloser(closer, env);
    closers.push(started);
    return started;
  };
  const stop = async (closer: RunningIngestService) => {
    closers.splice(closers.indexOf(closer), 1);
    await closer.close();
  };
  const events = async (log: EventStore) => await log.readAll({ limit: 10_000 });
  /** The due day's closes completed, and the missed day's given up, of `terminals`. */
  const settled = (all: readonly RecordedEvent[], terminals: readonly string[]) => {
    const givenUp = givenUpIn(all).filter((each) => each.businessDay === missed);
    return (
      terminals.every((terminalId) => givenUp.some((each) => each.terminalId === terminalId)) &&
      closedCount(all, due) >= terminals.length
    );
  };
  /** What the nightly close did, in words, its chain's tag and the instants it names taken out. */
  const outcome = async ({ log }: Chain, tag: string) => {
    const all = await events(log);
    const unTagged = (text: string) => text.replaceAll(tag, 'T').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<at>');
    const givenUp = givenUpIn(all).map(({ terminalId, businessDay, attempts, reason }) =>
      unTagged(`${terminalId} ${businessDay} given up after ${attempts}: ${reason}`),
    );
    const requested = all
      .filter((event) => event.type === 'OperationRequested')
      .map(({ data }) => data as { terminalId: string; businessDay: string; requestedBy: string })
      .filter(({ requestedBy }) => requestedBy === 'nightly-close')
      .map(({ terminalId, businessDay }) => unTagged(`${terminalId} ${businessDay} requested`));
    return [...givenUp, ...requested].sort();
  };

  it('follows the log from its checkpoint, and closes and gives up what a start from the log’s beginning does', async () => {
    const [kept, lost] = await Promise.all([chain('ckk'), chain('ckl')]);

    // Both run once, and stop: each saves its checkpoint at stop.
    const firsts = await Promise.all([start(kept), start(lost)]);
    for (const [index, each] of [kept, lost].entries()) {
      expect(firsts[index]!.app.get(NightlyClose).resumedFrom).toBe(0n);
      await waitUntil(
        async () => settled(await events(each.log), each.ids.terminals),
        30_000,
        'the first run’s closes',
      );
    }
    await Promise.all(firsts.map(stop));

    // Then the log goes on: another store whose terminal missed the same day, and more payments.
    for (const each of [kept, lost]) {
      await registerLongAgo(each.log, each.ids.later, [each.ids.third]);
      await paidOn(each.log, {
        storeId: each.ids.store,
        terminalId: each.ids.terminals[0]!,
        claimId: `${each.ids.store}-after`,
        at: Date.now() - 60_000,
      });
    }
    // One log's checkpoint is gone: its nightly close follows it from its start, as every start did before.
    const objects = await new Objm(nats).open(natsNames(lost.prefix).objectStores.nightlyClose);
    expect(await objects.delete(`${NIGHTLY_CLOSE_CHECKPOINT.object}.${await logIdentity(lost.log)}`)).toBeTruthy();

    const [again, fromStart] = await Promise.all([start(kept), start(lost)]);
    // Past every payment written before the first start: the log's tail only is read.
    expect(again.app.get(NightlyClose).resumedFrom).toBeGreaterThanOrEqual(kept.filled);
    expect(fromStart.app.get(NightlyClose).resumedFrom).toBe(0n);
    for (const each of [kept, lost]) {
      const terminals = [...each.ids.terminals, each.ids.third];
      await waitUntil(async () => settled(await events(each.log), terminals), 30_000, 'the restart’s closes');
    }
    await Promise.all([again, fromStart].map(stop));

    const expected = [
      `T-1 ${before} requested`,
      `T-1 ${due} requested`,
      `T-1 ${missed} given up after 1: missed: no close of ${missed} was made before the close of ${due} fell due (the nightly close was not running then); found late, at <at>`,
      `T-2 ${before} requested`,
      `T-2 ${due} requested`,
      `T-2 ${missed} given up after 1: missed: no close of ${missed} was made before the close of ${due} fell due (the nightly close was not running then); found late, at <at>`,
      `T-3 ${due} requested`,
      `T-3 ${missed} given up after 1: missed: no close of ${missed} was made before the close of ${due} fell due (the nightly close was not running then); found late, at <at>`,
    ].sort();
    expect(await outcome(kept, 'ckk')).toEqual(expected);
    expect(await outcome(lost, 'ckl')).toEqual(expected);
    await Promise.all([kept.log.close(), lost.log.close()]);
  }, 120_000);

  it('resumes from its checkpoint after a restart with another NIGHTLY_CLOSE_RETRY_SECONDS or NIGHTLY_CLOSE_MAX_ATTEMPTS, and not one set to look back further than it was pruned to', async () => {
    const each = await chain('cks');
    const first = await start(each, { NIGHTLY_CLOSE_RETRY_SECONDS: '600', NIGHTLY_CLOSE_MAX_ATTEMPTS: '5' });
    await waitUntil(async () => settled(await events(each.log), each.ids.terminals), 30_000, 'the first run’s closes');
    await stop(first);

    // What the log folds to reads no setting: the checkpoint the first run saved is one this run would have made.
    const other = await start(each, { NIGHTLY_CLOSE_RETRY_SECONDS: '60', NIGHTLY_CLOSE_MAX_ATTEMPTS: '2' });
    expect(other.app.get(NightlyClose).resumedFrom).toBeGreaterThanOrEqual(each.filled);
    await stop(other);

    // Set to look back more days than the checkpoint was pruned to (31, the default): it lacks the traces of the days
    // between, so the log is read from its start. The checkpoint saved then serves a start set to look back as many
    // days or fewer.
    const further = { NIGHTLY_CLOSE_LOOK_BACK_DAYS: '60' };
    const grown = await start(each, further);
    expect(grown.app.get(NightlyClose).resumedFrom).toBe(0n);
    // A round (which prunes to the 60 days) has run once the gauge counts the due day's closes, read from the log.
    const completed = /payments_nightly_close_terminals\{state="completed"[^}]*\} 2/;
    await waitUntil(
      async () => completed.test(await (await fetch(`${grown.url}/metrics`)).text()),
      30_000,
      'a round over the whole log',
    );
    await stop(grown);
    for (const env of [further, {}]) {
      const again = await start(each, env);
      expect(again.app.get(NightlyClose).resumedFrom).toBeGreaterThanOrEqual(each.filled);
      await stop(again);
    }
    await each.log.close();
  }, 150_000);
});

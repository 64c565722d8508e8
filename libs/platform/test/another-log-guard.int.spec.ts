import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { LOG_IDENTITY_STREAM, SqliteEventStore } from '@app/event-store';
import { EngineOfAnotherLogError, leaseHolder, natsNames, PROJECTOR_LEADER_KEY } from '@app/messaging';
import { AnotherLogCheck, AnotherLogGuard, LogSubscriptions, ProblemDetailsFilter } from '@app/platform';
import { waitUntil } from '../../../test/support/app-process';
import { logOutage } from '../../../test/support/log-outage';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/nats-state';

/**
 * The check of an app run apart (the command service, ingest) that no engine of another log runs on its NATS prefix
 * reads the log's identity first. The log away as the app starts (KurrentDB electing a leader, SQLite's file busy)
 * rejected the app's start, and the process exited: the check is tried again instead, `/health` naming it, and an
 * engine of another log found once the log answers stops the app.
 */
describe('the guard against an engine of another log when the log does not answer at start', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'another-log-guard-'));
  let log: SqliteEventStore;
  let nats: NatsConnection;
  const prefixes: string[] = [];
  const guards: AnotherLogGuard[] = [];

  beforeAll(async () => {
    log = new SqliteEventStore({ file: path.join(dir, 'events.db') });
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    for (const guard of guards) await guard.onApplicationShutdown();
    await log.close();
    await nats.close();
    for (const prefix of prefixes) await removeNatsState(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  /** A guard of this log on a prefix of its own, the log's identity unread until `outage.end()`. */
  const guarded = () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const outage = logOutage(log, ['readStream'], { only: (stream) => stream === LOG_IDENTITY_STREAM });
    const registry = new Registry();
    const subscriptions = new LogSubscriptions(registry);
    const refusals: unknown[] = [];
    const check = new AnotherLogCheck();
    const guard = new AnotherLogGuard(outage.store, nats, prefix, subscriptions, check, (refusal) =>
      refusals.push(refusal),
    );
    guards.push(guard);
    const health = () =>
      subscriptions
        .probe()
        .check()
        .then(
          () => 'up',
          (error: unknown) => (error as Error).message,
        );
    return { prefix, outage, guard, health, refusals, registry, check };
  };

  /** The projector lease of `prefix` held for another log, renewed as a live engine renews it, until `end`. */
  const engineOfAnotherLog = async (prefix: string) => {
    const kv: KV = await new Kvm(nats).create(natsNames(prefix).buckets.projectorLease, { ttl: 2_000, history: 1 });
    const hold = () => kv.put(PROJECTOR_LEADER_KEY, leaseHolder('elsewhere-1', 'another-log-id'));
    await hold();
    const renewals = setInterval(() => void hold().catch(() => undefined), 300);
    return { end: () => clearInterval(renewals) };
  };

  it('lets the app start, names the check in /health, and checks once the log answers', async () => {
    const { outage, guard, health, refusals, registry, check } = guarded();
    await guard.onApplicationBootstrap();
    expect(outage.failures).toBeGreaterThanOrEqual(1);
    expect(await health()).toBe('not started yet, trying again: another-log-guard');
    // Requests wait for the check (`AnotherLogGate`): 503 ENGINE_STARTING, to be sent again.
    expect(check.checked).toBe(false);
    const refused = (() => {
      try {
        check.refuseUntilChecked();
        return undefined;
      } catch (error) {
        return new ProblemDetailsFilter().toProblem(error, '/v1/terminal-payments');
      }
    })();
    expect(refused).toMatchObject({ status: 503, code: 'ENGINE_STARTING', retryAfterSeconds: 5 });
    expect(await registry.metrics()).toContain('event_log_subscription_up{subscriber="another-log-guard"} 0');

    outage.end();
    await waitUntil(async () => (await health()) === 'up', 10_000, 'the check made');
    expect(refusals).toEqual([]);
    expect(check.checked).toBe(true);
    // Made, the check follows nothing: no subscription of its name is left at 0 for an alert to fire on.
    expect(await registry.metrics()).not.toContain('another-log-guard');
  });

  it('stops the app when the check, made once the log answers, finds an engine of another log', async () => {
    const { prefix, outage, guard, health, refusals, check } = guarded();
    const other = await engineOfAnotherLog(prefix);
    try {
      await guard.onApplicationBootstrap();
      expect(await health()).toBe('not started yet, trying again: another-log-guard');

      outage.end();
      // A holder that died holds the lease one lease more at most: refused only after it (2 s here).
      await waitUntil(() => refusals.length > 0, 15_000, 'the refusal');
      expect(refusals).toHaveLength(1);
      expect(refusals[0]).toBeInstanceOf(EngineOfAnotherLogError);
      expect((refusals[0] as Error).message).toContain(
        `NATS_PREFIX ${prefix} is in use by an engine of another event log`,
      );
      // Refused, the app takes nothing while it stops.
      expect(check.checked).toBe(false);
    } finally {
      other.end();
    }
  }, 30_000);

  it('refuses the start itself when the log answers at once, as before', async () => {
    const { prefix, outage, guard, refusals } = guarded();
    outage.end();
    const other = await engineOfAnotherLog(prefix);
    try {
      await expect(guard.onApplicationBootstrap()).rejects.toThrow(EngineOfAnotherLogError);
      expect(refusals).toEqual([]);
    } finally {
      other.end();
    }
  }, 30_000);
});

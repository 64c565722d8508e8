import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { logIdentity, type EventStore } from '@app/event-store';
import { EngineOfAnotherLogError, refuseEngineOfAnotherLogByItsLease } from '@app/messaging';
import type { LogSubscriptions } from '../log/log-subscriptions';
import { StartRetries } from '../log/start-retries';
import type { AnotherLogCheck } from './another-log-check';

/** Its name in `/health` (`not started yet, trying again: another-log-guard`) while the log's identity is not read. */
export const ANOTHER_LOG_GUARD = 'another-log-guard';

/**
 * An app run apart (the command service, ingest) refuses to start on a NATS prefix whose live projector projects
 * another event log: it would take commands, or record Dintero's facts, into a log that no read model shows and
 * no reconciler of that engine settles. (The projector refuses the same for itself, and so for `apps/engine`.)
 * NATS out of reach does not stop the app: ingest records Dintero's facts without it; the check is then skipped,
 * said in a warning. The log out of reach (its identity not read: KurrentDB electing a leader, SQLite's file busy)
 * does not stop it either, where the failed read ended the process: the check is tried again (`StartRetries`), the
 * app running on and `/health` naming the guard, and an engine of another log found then stops the app (exit code
 * 1). Until the check is made the app takes no request (`AnotherLogCheck`: 503 `ENGINE_STARTING`, `Retry-After`): one
 * taken before could be recorded into the log of an engine that no POS system or read model of this prefix uses.
 */
export class AnotherLogGuard implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AnotherLogGuard.name);
  private readonly starts: StartRetries;

  constructor(
    private readonly store: EventStore,
    private readonly nats: NatsConnection,
    private readonly prefix: string,
    subscriptions: LogSubscriptions,
    /** Made once this guard has checked: the app takes requests from then on. */
    private readonly made: AnotherLogCheck,
    /** What stops the app on a refusal found at a later try (`StartRefusals.stop`; a test's stand-in). */
    stop?: (refusal: unknown) => void,
  ) {
    this.starts = new StartRetries(ANOTHER_LOG_GUARD, subscriptions, this.logger, {
      refused: (error) => error instanceof EngineOfAnotherLogError,
      stop,
    });
  }

  onApplicationBootstrap(): Promise<void> {
    return this.starts.start(() => this.check());
  }

  onApplicationShutdown(): Promise<void> {
    return this.starts.stop();
  }

  /** Rejects when the log's identity is not read (tried again), or with the refusal; else the check is made. */
  private async check(): Promise<void> {
    const logId = await logIdentity(this.store);
    try {
      await refuseEngineOfAnotherLogByItsLease(this.nats, this.prefix, logId);
    } catch (error) {
      if (error instanceof EngineOfAnotherLogError) throw error;
      this.logger.warn(
        { err: error },
        'could not tell whether an engine of another event log runs on this NATS prefix: not checked',
      );
    }
    this.made.pass();
  }
}

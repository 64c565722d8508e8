import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { logIdentity, type EventStore } from '@app/event-store';
import { EngineOfAnotherLogError, refuseEngineOfAnotherLogByItsLease } from '@app/messaging';

/**
 * An app run apart (the command service, ingest) refuses to start on a NATS prefix whose live projector projects
 * another event log: it would take commands, or record Dintero's facts, into a log that no read model shows and
 * no reconciler of that engine settles. (The projector refuses the same for itself, and so for `apps/engine`.)
 * NATS out of reach does not stop the app: ingest records Dintero's facts without it; the check is then skipped,
 * said in a warning.
 */
export class AnotherLogGuard implements OnApplicationBootstrap {
  private readonly logger = new Logger(AnotherLogGuard.name);

  constructor(
    private readonly store: EventStore,
    private readonly nats: NatsConnection,
    private readonly prefix: string,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
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
  }
}

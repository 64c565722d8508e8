import type { EventStore } from '@app/event-store';
import type { NatsConnection } from '@nats-io/transport-node';
import type { AnotherLogCheck } from './nats/another-log-check';

/**
 * What apps running in one process share (`apps/engine`, the embedded default): one event store, so one
 * SQLite writer per file, and one NATS connection. Left out, each app opens its own, as when it runs alone.
 */
export interface SharedInfrastructure {
  readonly eventStore?: EventStore;
  readonly nats?: NatsConnection;
  /**
   * The check that no engine of another log runs on the NATS prefix, made by the projector's start and waited for by
   * the command service and ingest (`AnotherLogGate`, the NATS commands' subscriptions, ingest's workers). Left out,
   * apps sharing the rest do not wait for it.
   */
  readonly anotherLogCheck?: AnotherLogCheck;
  /** The name on every log line of the process (one pino instance serves every app in it). */
  readonly logName?: string;
}

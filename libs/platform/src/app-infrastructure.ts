import type { DynamicModule } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { EVENT_STORE, EventStoreModule, eventStoreProbe, type EventStore } from '@app/event-store';
import { NATS_CONNECTION, NatsModule, natsProbe } from '@app/messaging';
import type { LogLevel } from './config/base-app.config';
import { HEALTH_PROBES } from './health/health.module';
import { operationsModules } from './operations.modules';
import type { SharedInfrastructure } from './shared-infrastructure';

/**
 * What an engine app is built on: the event store, NATS when it uses it, and logs, metrics and `/health`
 * probing exactly those. Alone, the app opens its own; in `apps/engine`, the shared ones are passed in.
 */
export function appInfrastructure(
  app: string,
  config: { readonly eventStoreUrl: string; readonly logLevel: LogLevel; readonly natsUrl?: string },
  shared: SharedInfrastructure,
): DynamicModule[] {
  const { natsUrl } = config;
  const probes =
    natsUrl === undefined
      ? { provide: HEALTH_PROBES, inject: [EVENT_STORE], useFactory: (store: EventStore) => [eventStoreProbe(store)] }
      : {
          provide: HEALTH_PROBES,
          inject: [EVENT_STORE, NATS_CONNECTION],
          useFactory: (store: EventStore, nats: NatsConnection) => [eventStoreProbe(store), natsProbe(nats)],
        };
  return [
    EventStoreModule.forRoot(config.eventStoreUrl, shared.eventStore),
    ...(natsUrl === undefined ? [] : [NatsModule.forRoot(natsUrl, app, shared.nats)]),
    ...operationsModules(app, config.logLevel, probes, shared.logName),
  ];
}

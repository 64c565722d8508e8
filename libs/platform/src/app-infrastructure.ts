import { Module, type DynamicModule } from '@nestjs/common';
import type { Registry } from 'prom-client';
import type { NatsConnection } from '@nats-io/transport-node';
import { EVENT_STORE, EventStoreModule, eventStoreProbe, type EventStore } from '@app/event-store';
import { NATS_CONNECTION, NatsModule, natsProbe } from '@app/messaging';
import type { LogLevel } from './config/base-app.config';
import { HEALTH_PROBES } from './health/health.module';
import { LOG_SUBSCRIPTIONS, LogSubscriptions } from './log/log-subscriptions';
import { METRICS_REGISTRY } from './metrics/metrics.module';
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
  /** Whether `/health` is down while NATS is: not for an app that does its main work without it. */
  { natsInHealth = true }: { natsInHealth?: boolean } = {},
): DynamicModule[] {
  const { natsUrl } = config;
  const probeNats = natsUrl !== undefined && natsInHealth;
  const probes = {
    provide: HEALTH_PROBES,
    inject: [EVENT_STORE, LOG_SUBSCRIPTIONS, ...(probeNats ? [NATS_CONNECTION] : [])],
    useFactory: (store: EventStore, subscriptions: LogSubscriptions, nats?: NatsConnection) => [
      eventStoreProbe(store),
      ...(nats ? [natsProbe(nats)] : []),
      subscriptions.probe(),
    ],
  };
  return [
    LogSubscriptionsModule.forRoot(),
    EventStoreModule.forRoot(config.eventStoreUrl, shared.eventStore),
    ...(natsUrl === undefined ? [] : [NatsModule.forRoot(natsUrl, app, shared.nats)]),
    ...operationsModules(app, config.logLevel, probes, shared.logName),
  ];
}

/** The app's `LogSubscriptions`, for every module of the app (`@Inject(LOG_SUBSCRIPTIONS)`). */
@Module({})
class LogSubscriptionsModule {
  static forRoot(): DynamicModule {
    return {
      module: LogSubscriptionsModule,
      global: true,
      providers: [
        {
          provide: LOG_SUBSCRIPTIONS,
          inject: [METRICS_REGISTRY],
          useFactory: (registry: Registry) => new LogSubscriptions(registry),
        },
      ],
      exports: [LOG_SUBSCRIPTIONS],
    };
  }
}

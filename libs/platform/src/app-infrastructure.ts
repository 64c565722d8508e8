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
import { AnotherLogGuard } from './nats/another-log-guard';

/**
 * What an engine app is built on: the event store, NATS when it uses it, and logs, metrics and `/health`
 * probing exactly those. Alone, the app opens its own; in `apps/engine`, the shared ones are passed in.
 */
export function appInfrastructure(
  app: string,
  config: {
    readonly eventStoreUrl: string;
    readonly kurrentDbReadAllTimeoutMs?: number;
    readonly logLevel: LogLevel;
    readonly natsUrl?: string;
    readonly natsPrefix?: string;
    readonly natsReplicas?: number;
    readonly natsSettleTimeoutSeconds?: number;
  },
  shared: SharedInfrastructure,
  {
    natsInHealth = true,
    refuseAnotherLog = false,
  }: {
    /** Whether `/health` is down while NATS is: not for an app that does its main work without it. */
    natsInHealth?: boolean;
    /**
     * Whether the app, run apart, refuses to start beside a live engine of another log on its NATS prefix
     * (`AnotherLogGuard`). In `apps/engine` the projector refuses it for all three.
     */
    refuseAnotherLog?: boolean;
  } = {},
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
  const { natsPrefix } = config;
  const guard =
    refuseAnotherLog && natsPrefix !== undefined && natsUrl !== undefined && shared.eventStore === undefined
      ? [AnotherLogGuardModule.forRoot(natsPrefix)]
      : [];
  return [
    LogSubscriptionsModule.forRoot(),
    ...guard,
    EventStoreModule.forRoot(config.eventStoreUrl, shared.eventStore, {
      readAllTimeoutMs: config.kurrentDbReadAllTimeoutMs,
    }),
    ...(natsUrl === undefined
      ? []
      : [
          NatsModule.forRoot(natsUrl, app, shared.nats, {
            replicas: config.natsReplicas,
            settleTimeoutSeconds: config.natsSettleTimeoutSeconds,
          }),
        ]),
    ...operationsModules(app, config.logLevel, probes, shared.logName),
  ];
}

@Module({})
class AnotherLogGuardModule {
  static forRoot(prefix: string): DynamicModule {
    return {
      module: AnotherLogGuardModule,
      providers: [
        {
          provide: AnotherLogGuard,
          inject: [EVENT_STORE, NATS_CONNECTION, LOG_SUBSCRIPTIONS],
          useFactory: (store: EventStore, nats: NatsConnection, subscriptions: LogSubscriptions) =>
            new AnotherLogGuard(store, nats, prefix, subscriptions),
        },
      ],
    };
  }
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

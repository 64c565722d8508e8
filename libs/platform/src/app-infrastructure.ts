import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
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
import { ANOTHER_LOG_CHECK, AnotherLogCheck, AnotherLogGate } from './nats/another-log-check';

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
     * (`AnotherLogGuard`), and takes no request until that is checked (`AnotherLogGate`). In `apps/engine` the
     * projector checks it for all three (`SharedInfrastructure.anotherLogCheck`).
     */
    refuseAnotherLog?: boolean;
  } = {},
): DynamicModule[] {
  const { natsUrl, natsPrefix } = config;
  const guarded = refuseAnotherLog && natsPrefix !== undefined && natsUrl !== undefined;
  const guard = guarded && shared.eventStore === undefined ? [AnotherLogGuardModule.forRoot(natsPrefix)] : [];
  // Run apart with the guard, unchecked until it has checked; in `apps/engine`, the check its projector makes; an app
  // that checks nothing (no NATS) has nothing to wait for.
  const check = shared.anotherLogCheck ?? new AnotherLogCheck(guard.length === 0);
  const probeNats = natsUrl !== undefined && natsInHealth;
  const probes = {
    provide: HEALTH_PROBES,
    inject: [EVENT_STORE, LOG_SUBSCRIPTIONS, ...(probeNats ? [NATS_CONNECTION] : [])],
    useFactory: (store: EventStore, subscriptions: LogSubscriptions, nats?: NatsConnection) => [
      eventStoreProbe(store),
      ...(nats ? [natsProbe(nats)] : []),
      subscriptions.probe(),
      // Down while its requests are answered ENGINE_STARTING: in `apps/engine` no worker of this app's names why.
      ...(guarded ? [check.probe()] : []),
    ],
  };
  return [
    LogSubscriptionsModule.forRoot(),
    AnotherLogCheckModule.forRoot(check, guarded),
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
          inject: [EVENT_STORE, NATS_CONNECTION, LOG_SUBSCRIPTIONS, ANOTHER_LOG_CHECK],
          useFactory: (
            store: EventStore,
            nats: NatsConnection,
            subscriptions: LogSubscriptions,
            check: AnotherLogCheck,
          ) => new AnotherLogGuard(store, nats, prefix, subscriptions, check),
        },
      ],
    };
  }
}

/**
 * The app's `AnotherLogCheck`, for every module of the app (`@Inject(ANOTHER_LOG_CHECK)`: the projector makes it in
 * `apps/engine`), and, in an app that takes commands or Dintero's deliveries (`gated`), the gate that holds its HTTP
 * routes until it is made.
 */
@Module({})
class AnotherLogCheckModule {
  static forRoot(check: AnotherLogCheck, gated: boolean): DynamicModule {
    return {
      module: AnotherLogCheckModule,
      global: true,
      providers: [
        { provide: ANOTHER_LOG_CHECK, useValue: check },
        ...(gated ? [{ provide: APP_GUARD, useClass: AnotherLogGate }] : []),
      ],
      exports: [ANOTHER_LOG_CHECK],
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

import { Logger } from '@nestjs/common';
import { Counter, Gauge, type Registry } from 'prom-client';
import { EventHandlingError, LogFollower, type EventStore, type LogFollowerOptions } from '@app/event-store';
import type { HealthProbe } from '../health/health.module';

export const LOG_SUBSCRIPTIONS = Symbol('LOG_SUBSCRIPTIONS');

/**
 * An app's live subscriptions to the log, each a `LogFollower` that resubscribes after a drop, seen in one
 * place: `GET /health` is down while any of them waits to resubscribe, `event_log_subscription_up` says
 * which, and `event_log_subscription_drops_total` counts the drops. A subscriber that cannot handle an event
 * (`EventHandlingError`) is not a drop of the log's: it is logged as an error naming the event and its payment,
 * store and terminal, counted in `event_log_handling_failures_total`, and `/health` names the event it is stopped
 * at until it gets past it.
 */
export class LogSubscriptions {
  private readonly logger = new Logger('LogSubscriptions');
  private readonly followers = new Map<string, LogFollower>();
  /** Subscribers whose start failed and is being tried again (`StartRetries`): none of them follows the log yet. */
  private readonly starting = new Set<string>();
  private readonly drops: Counter<'subscriber'>;
  private readonly handlingFailures: Counter<'subscriber'>;
  private readonly up: Gauge<'subscriber'>;

  constructor(registry: Registry) {
    const { followers, starting } = this;
    this.up = new Gauge({
      name: 'event_log_subscription_up',
      help: 'Whether each live subscription to the event log is up (1) or waiting to resubscribe after a drop (0)',
      labelNames: ['subscriber'] as const,
      registers: [registry],
      collect() {
        for (const [name, follower] of followers) this.set({ subscriber: name }, follower.healthy ? 1 : 0);
        for (const name of starting) this.set({ subscriber: name }, 0);
      },
    });
    this.drops = new Counter({
      name: 'event_log_subscription_drops_total',
      help: 'Live subscriptions to the event log that ended or failed and were resubscribed, by subscriber',
      labelNames: ['subscriber'] as const,
      registers: [registry],
    });
    this.handlingFailures = new Counter({
      name: 'event_log_handling_failures_total',
      help: 'Events of the log a subscriber failed to handle (each is delivered again after a pause), by subscriber',
      labelNames: ['subscriber'] as const,
      registers: [registry],
    });
  }

  /** A follower named `name` (one per name), whose drops are logged, counted and shown in `/health`. */
  follower(name: string, store: EventStore, options: LogFollowerOptions): LogFollower {
    if (this.followers.has(name)) throw new Error(`LogSubscriptions: a follower named ${name} already exists`);
    this.starting.delete(name);
    const follower = new LogFollower(store, {
      ...options,
      onDrop: (error, retryInMs) => {
        this.drops.inc({ subscriber: name });
        if (error instanceof EventHandlingError) this.failedToHandle(name, error, retryInMs);
        else
          this.logger.warn(
            { err: error, subscriber: name, retryInMs },
            'a subscription to the log dropped; resubscribing',
          );
        options.onDrop?.(error, retryInMs);
      },
    });
    this.followers.set(name, follower);
    // At 0 from the start, for alerts on them (`paymentMetrics`): one series per follower, a handful an app.
    this.drops.inc({ subscriber: name }, 0);
    this.handlingFailures.inc({ subscriber: name }, 0);
    return follower;
  }

  private failedToHandle(subscriber: string, error: EventHandlingError, retryInMs: number): void {
    this.handlingFailures.inc({ subscriber });
    this.logger.error(
      {
        err: error.cause,
        subscriber,
        eventId: error.eventId,
        eventType: error.eventType,
        streamName: error.streamName,
        position: error.position.toString(),
        attempts: error.attempts,
        retryInMs,
        ...error.about,
      },
      'could not handle an event of the log: stopped at it, trying it again',
    );
  }

  /** Forgets a stopped follower, so that one of the same name can follow again (e.g. after a rebuild). */
  forget(name: string): void {
    this.followers.delete(name);
    this.starting.delete(name);
  }

  /**
   * A subscriber whose start failed (the log or NATS did not answer) and is tried again: `/health` names it, and its
   * `event_log_subscription_up` is 0, until it has `started` (or makes its follower, or is forgotten). Its follower
   * may be made already, and not started (the command service's notifier reads the log's head first).
   */
  notStarted(name: string): void {
    this.starting.add(name);
  }

  /**
   * A subscriber `notStarted` until now has started. One that follows nothing (a check the app makes once as it starts,
   * `AnotherLogGuard`) leaves `event_log_subscription_up`: its 0 would stay there for good.
   */
  started(name: string): void {
    if (this.starting.delete(name) && !this.followers.has(name)) this.up.remove({ subscriber: name });
  }

  probe(): HealthProbe {
    return {
      name: 'log-subscriptions',
      check: async () => {
        const down = [...this.followers].filter(([, follower]) => !follower.healthy);
        if (down.length === 0 && this.starting.size === 0) return;
        const why = down.map(([name, follower]) => {
          const stuck = follower.stuckAt;
          return stuck ? `${name} (stopped at ${stuck.eventType}, position ${stuck.position})` : name;
        });
        // Names only: the error itself (which may name a host) is in the log (`StartRetries`: the first failure at once,
        // then backing off).
        const starting =
          this.starting.size === 0 ? [] : [`not started yet, trying again: ${[...this.starting].join(', ')}`];
        throw new Error(
          [...(down.length === 0 ? [] : [`waiting to resubscribe to the log: ${why.join(', ')}`]), ...starting].join(
            '; ',
          ),
        );
      },
    };
  }
}

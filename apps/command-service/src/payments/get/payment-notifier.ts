import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, StreamNotifier, type EventStore } from '@app/event-store';
import { LOG_SUBSCRIPTIONS, type LogSubscriptions } from '@app/platform';

/** The command service's one `StreamNotifier` over payment and operation streams, for `waitFor=final` long polls. */
@Injectable()
export class PaymentNotifier implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly notifier: StreamNotifier;

  constructor(@Inject(EVENT_STORE) store: EventStore, @Inject(LOG_SUBSCRIPTIONS) subscriptions: LogSubscriptions) {
    this.notifier = new StreamNotifier(store, ['payment-', 'operation-'], (options) =>
      subscriptions.follower('payment-notifier', store, options),
    );
  }

  onApplicationBootstrap(): Promise<void> {
    return this.notifier.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.notifier.stop();
  }
}

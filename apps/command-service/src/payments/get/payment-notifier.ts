import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, StreamNotifier, type EventStore } from '@app/event-store';

/** The command service's one `StreamNotifier` over payment streams, for `waitFor=final` long polls. */
@Injectable()
export class PaymentNotifier implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PaymentNotifier.name);
  readonly notifier: StreamNotifier;

  constructor(@Inject(EVENT_STORE) store: EventStore) {
    this.notifier = new StreamNotifier(store, ['payment-'], (error, retryInMs) =>
      this.logger.warn({ err: error, retryInMs }, 'payment notifier subscription dropped; resubscribing'),
    );
  }

  onApplicationBootstrap(): Promise<void> {
    return this.notifier.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.notifier.stop();
  }
}

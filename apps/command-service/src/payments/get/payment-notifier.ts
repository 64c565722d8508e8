import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, StreamNotifier, type EventStore } from '@app/event-store';
import { LOG_SUBSCRIPTIONS, StartRetries, type LogSubscriptions } from '@app/platform';

const NAME = 'payment-notifier';

/**
 * The command service's one `StreamNotifier` over payment and operation streams, for `waitFor=final` long polls. Its
 * start reads the log's head: a read that fails is tried again (`StartRetries`), the service taking commands
 * meanwhile, where it stopped the whole app (and `apps/engine`). Until it starts, a long poll answers with the payment
 * as it stands at its wait's end, or as it stands when the notifier starts (its waiters woken then), and `/health`
 * names the notifier.
 *
 * It starts without waiting for the check that no engine of another log runs on the NATS prefix (`AnotherLogCheck`),
 * as the workers that write do: it only reads the log, writes neither the log nor NATS, and nothing it reads reaches
 * a caller before the check (every long poll is a request, answered 503 `ENGINE_STARTING` until then). Started at
 * once, it follows the log when the first long poll comes.
 */
@Injectable()
export class PaymentNotifier implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly notifier: StreamNotifier;
  private readonly starts: StartRetries;

  constructor(@Inject(EVENT_STORE) store: EventStore, @Inject(LOG_SUBSCRIPTIONS) subscriptions: LogSubscriptions) {
    this.notifier = new StreamNotifier(store, ['payment-', 'operation-'], (options) =>
      subscriptions.follower(NAME, store, options),
    );
    this.starts = new StartRetries(NAME, subscriptions, new Logger(PaymentNotifier.name));
  }

  onApplicationBootstrap(): Promise<void> {
    return this.starts.start(() => this.notifier.start());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.starts.stop();
    await this.notifier.stop();
  }
}

import {
  Inject,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NATS, PAYMENTS_PREFIX, PaymentsConsumer } from './payments-consumer.service';

/** How long a stop waits for the connection to drain before it closes it. */
const DRAIN_MS = 5_000;

/** Drains the connection when the app stops; says loudly when it closed for good before that. */
class NatsClose implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ConsumerModule');
  private stopping = false;

  constructor(@Inject(NATS) private readonly nats: NatsConnection) {}

  onApplicationBootstrap(): void {
    void this.nats.closed().then((error) => {
      if (!this.stopping)
        this.logger.error(
          `the NATS connection closed for good${error ? ` (${error.message})` : ''}: no more changes or events come`,
        );
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    // Drained when NATS answers; closed after a few seconds when it is away: a drain waits for it to come back, for as
    // long as it reconnects (for good), and the app would not stop.
    let timer: NodeJS.Timeout | undefined;
    const away = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), DRAIN_MS)));
    // A drain refused (the connection is not connected) closes nothing either.
    const drained = this.nats.drain().then(
      () => true,
      () => false,
    );
    const done = await Promise.race([drained, away]);
    clearTimeout(timer);
    if (!done) await this.nats.close();
  }
}

/**
 * `ConsumerModule.forRoot({ natsUrl, prefix })`: the NATS connection and the consumer; or `{ nats, prefix }` with a
 * connection made already (which the module then drains when the app stops).
 */
@Module({})
export class ConsumerModule {
  static forRoot(options: ({ natsUrl: string } | { nats: NatsConnection }) & { prefix?: string }): DynamicModule {
    return {
      module: ConsumerModule,
      providers: [
        'nats' in options
          ? { provide: NATS, useValue: options.nats }
          : // Reconnects for as long as NATS is away: nats.js's default gives up after 10 tries 2 s apart.
            { provide: NATS, useFactory: () => connect({ servers: options.natsUrl, maxReconnectAttempts: -1 }) },
        { provide: PAYMENTS_PREFIX, useValue: options.prefix ?? 'payments' },
        NatsClose,
        PaymentsConsumer,
      ],
      exports: [PaymentsConsumer],
    };
  }
}

import { Module, type DynamicModule, type OnApplicationShutdown, Inject } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NATS, PAYMENTS_PREFIX, PaymentsConsumer } from './payments-consumer.service';

class NatsClose implements OnApplicationShutdown {
  constructor(@Inject(NATS) private readonly nats: NatsConnection) {}
  async onApplicationShutdown(): Promise<void> {
    await this.nats.drain();
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
          : { provide: NATS, useFactory: () => connect({ servers: options.natsUrl }) },
        { provide: PAYMENTS_PREFIX, useValue: options.prefix ?? 'payments' },
        NatsClose,
        PaymentsConsumer,
      ],
      exports: [PaymentsConsumer],
    };
  }
}

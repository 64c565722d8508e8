import type { Logger } from '@nestjs/common';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';

/**
 * A service's request/reply subjects: each subscribed in the service's queue group (so that requests
 * spread over its instances), each message handed to its answer, and all of them ended together.
 */
export class NatsResponders {
  private readonly subscriptions: Subscription[] = [];

  constructor(
    private readonly nats: NatsConnection,
    private readonly queue: string,
    private readonly logger: Logger,
  ) {}

  on(subject: string, answer: (msg: Msg) => Promise<void>): void {
    this.subscriptions.push(
      this.nats.subscribe(subject, {
        queue: this.queue,
        callback: (error, msg) => {
          if (error) return this.logger.error({ err: error, subject }, 'NATS subscription failed');
          void answer(msg);
        },
      }),
    );
  }

  close(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
  }
}

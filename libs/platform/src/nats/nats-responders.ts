import type { Logger } from '@nestjs/common';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';

/**
 * A service's request/reply subjects: each subscribed in the service's queue group (so that requests
 * spread over its instances), each message handed to its answer, and all of them ended together.
 */
export class NatsResponders {
  private readonly subscriptions: Subscription[] = [];
  /** Answers being worked out: `close` waits for them. */
  private readonly answering = new Set<Promise<void>>();
  /** Closed (`close`): a service ready from now on subscribes nothing. */
  private closed = false;

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
          const answered: Promise<void> = answer(msg)
            .catch((failure: unknown) =>
              this.logger.error({ err: failure, subject }, 'a NATS request was not answered'),
            )
            .finally(() => this.answering.delete(answered));
          this.answering.add(answered);
        },
      }),
    );
  }

  /**
   * Calls `subscribe` (which calls `on` for each subject) once the service is ready to answer: at once when `readyNow`,
   * else when `ready` resolves, unless `close` came first. A member of the queue group still starting took its share of
   * the requests only to answer them 503, while an instance that was ready could have; until it joins, NATS gives them
   * to the other instances (with none, the caller is told there are no responders, as when no instance runs). A
   * connection closed meanwhile (NATS lost for good stops the app) is said as `failure`: nothing to take requests on.
   */
  subscribeWhenReady(readyNow: boolean, ready: Promise<void>, subscribe: () => void, failure: string): void {
    if (readyNow) return subscribe();
    void ready.then(() => {
      if (this.closed) return;
      try {
        subscribe();
      } catch (error) {
        this.logger.error({ err: error }, failure);
      }
    });
  }

  /**
   * Stops taking requests without dropping any it took: each subscription is drained (NATS sends it nothing
   * more, and what it already routed here is still answered), then every answer under way is sent. Call it
   * while the log and NATS are still open (`beforeApplicationShutdown`): unsubscribing dropped the requests
   * already routed here, and an answer worked out after NATS drained was never sent, so callers timed out.
   */
  async close(): Promise<void> {
    this.closed = true;
    // A connection already closed has nothing left to drain.
    await Promise.all(this.subscriptions.map((subscription) => subscription.drain().catch(() => undefined)));
    await Promise.all([...this.answering]);
  }
}

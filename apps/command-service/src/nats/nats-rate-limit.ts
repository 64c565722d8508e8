import { rateLimited } from '@app/platform';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * At most `perMinute` NATS commands and queries a minute from each POS client, in this instance, as
 * `@fastify/rate-limit` counts its HTTP requests; 0 admits all. Counted after the key is checked: NATS tells
 * the responder nothing of who sent a message, so an unknown key has no one to count against, and it is
 * refused with 401 as cheaply as it would be counted.
 */
export class NatsRateLimit {
  private readonly limiter: RateLimiterMemory | undefined;

  constructor(private readonly perMinute: number) {
    this.limiter = perMinute > 0 ? new RateLimiterMemory({ points: perMinute, duration: 60 }) : undefined;
  }

  /** Resolves when the client may go on; otherwise 429 `RATE_LIMITED`, saying when to try again. */
  async admit(clientId: string): Promise<void> {
    if (!this.limiter) return;
    try {
      await this.limiter.consume(clientId);
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      throw rateLimited(this.perMinute, refusal.msBeforeNext);
    }
  }
}

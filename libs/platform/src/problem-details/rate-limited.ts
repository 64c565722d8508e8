import { HttpException } from '@nestjs/common';

/**
 * The refusal of a request over its client's allowance, the same over HTTP and NATS: `RATE_LIMITED`, with the
 * whole seconds to wait (at least one) in the detail and as `retryAfterSeconds`, as HTTP's `Retry-After` says.
 */
export function rateLimited(perMinute: number, retryAfterMs: number, status: 429 | 503 = 429): HttpException {
  const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new HttpException(
    {
      code: 'RATE_LIMITED',
      detail: `More than ${perMinute} requests a minute; retry after ${retryAfterSeconds} s`,
      retryAfterSeconds,
    },
    status,
  );
}

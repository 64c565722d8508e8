import { HttpException } from '@nestjs/common';
import { assertReasonableJson } from '../problem-details/json-shape';

/**
 * The JSON body parser of every app (`rawBody` kept by Nest), in place of Fastify's, which answers every refusal with one message
 * ("Body is not valid JSON…", a `__proto__` key included) and refuses an empty body even on a route that
 * takes none (a cancel sent with `Content-Type: application/json` by a client that always sets it). Here:
 * - no body is no body, and the route's own validation says what it needs;
 * - a body that is not JSON is `MALFORMED_REQUEST`, as a NATS message that is not;
 * - the shape checks of `assertReasonableJson` (depth, size, `__proto__`/`constructor`/`prototype` keys)
 *   run at once, as they do on a NATS message, so the two transports answer a body the same.
 * `JSON.parse` makes a `__proto__` key an own property (it never sets the prototype), and it is refused before
 * anything copies the value, so Fastify's secure-json-parse has nothing left to guard here.
 */
// Async: Nest's body parser runner passes a rejection on as the request's error.
export async function parseJsonBody(_request: unknown, body: Buffer): Promise<unknown> {
  if (body.length === 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    // Not the parser's reason: it quotes the body, which may hold what must never reach an answer or a log.
    throw new HttpException({ code: 'MALFORMED_REQUEST', detail: 'The body is not JSON' }, 400);
  }
  assertReasonableJson(value, 'body');
  return value;
}

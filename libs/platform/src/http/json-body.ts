import { parseJson, type PrototypeKeys } from '../problem-details/parse-json';

/**
 * The JSON body parser of every app (`rawBody` kept by Nest), in place of Fastify's. Both parse with
 * secure-json-parse, but Fastify's answers every refusal with one message ("Body is not valid JSON…", a
 * `__proto__` key included) and refuses an empty body even on a route that takes none: a cancel sent with
 * `Content-Type: application/json` by a client that always sets it. Here no body is no body, and the route's
 * own validation says what it needs; the rest answers as a NATS message does (`parseJson`). The shape checks
 * (`assertReasonableJson`) come later, in the validation pipe: after the guards, so that a forged webhook is
 * refused for its signature, whatever its shape.
 */
export function parseJsonBody(body: Buffer, prototypeKeys: PrototypeKeys = 'refuse'): unknown {
  return body.length === 0 ? undefined : parseJson(body, 'body', prototypeKeys);
}

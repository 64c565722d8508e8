import { HttpException } from '@nestjs/common';
import secureJson from 'secure-json-parse';
import { RequestValidationError } from './problem-details.filter';

/** What a `__proto__` key or a `constructor.prototype` in JSON text does: refuses it, or is dropped from it. */
export type PrototypeKeys = 'refuse' | 'drop';

/**
 * A request's JSON text (an HTTP body, a NATS message) as a value, parsed the same on both transports by
 * secure-json-parse, the parser Fastify uses: a leading byte-order mark is skipped, and a `__proto__` key
 * or a `constructor.prototype` is refused, since the value is copied later. Text that is not JSON is
 * `MALFORMED_REQUEST`, without the parser's reason, which quotes the text: it may hold what must never reach
 * an answer or a log.
 */
export function parseJson(
  text: string | Buffer,
  what: 'body' | 'message',
  /** `drop`: such keys are removed instead, for a body another system writes (see `foreignBodyRoutes`). */
  prototypeKeys: PrototypeKeys = 'refuse',
): unknown {
  const action = prototypeKeys === 'drop' ? 'remove' : 'error';
  try {
    return secureJson.parse(text, null, { protoAction: action, constructorAction: action });
  } catch (error) {
    if (error instanceof SyntaxError && error.message === 'Object contains forbidden prototype property')
      throw new RequestValidationError([
        { field: what, message: `${what} holds a __proto__ key or a constructor.prototype, which are refused` },
      ]);
    throw new HttpException({ code: 'MALFORMED_REQUEST', detail: `The ${what} is not JSON` }, 400);
  }
}

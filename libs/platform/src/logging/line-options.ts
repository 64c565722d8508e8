import { symbols, type Logger, type LoggerOptions } from 'pino';
import { scrubbed } from './scrub';

type Line = Record<string, unknown>;

/** What `mixin` hands `mixinMergeStrategy` for a line whose correlation id its logger carries: same, or another. */
const SAME_AS_BOUND: Line = Object.freeze({});
const OTHER_THAN_BOUND: Line = Object.freeze({});
const NOTHING: Line = Object.freeze({});

/** Each logger's bound correlation id, with the bindings it was read from (`setBindings` may change them). */
const bound = new WeakMap<Logger, { readonly chindings: string; readonly id: unknown }>();

/**
 * The correlation id a logger is bound to (pino-http binds a request's logger to it), if any. Read from its bindings
 * once per logger, not per line: `bindings()` parses them as JSON every time.
 */
function boundCorrelationId(logger: Logger): unknown {
  const chindings = (logger as unknown as Record<symbol, string>)[symbols.chindingsSym] ?? '';
  let known = bound.get(logger);
  if (known?.chindings !== chindings)
    bound.set(logger, (known = { chindings, id: logger.bindings()['correlationId'] }));
  return known.id;
}

/**
 * What every log line of the apps goes through, besides its level and message:
 * - credentials, signatures and card data are censored at any depth (`scrubbed`);
 * - `correlationId` is written once. A request's logger is bound to it (pino-http), and the code that logs names it
 *   too, because the same code also runs outside a request (NATS, timers). pino writes a child's bindings and then
 *   the line's own fields, both, so the line carried `"correlationId"` twice: a line's own id equal to the bound one
 *   is left out, and one that differs is written as `lineCorrelationId`, since JSON readers differ on a key given
 *   twice (the last one, the first one, or an error).
 */
export const LINE_OPTIONS: Pick<LoggerOptions, 'formatters' | 'mixin' | 'mixinMergeStrategy'> = {
  formatters: { log: scrubbed },
  mixin: (line, _level, logger) => {
    if (!('correlationId' in line)) return NOTHING;
    const id = boundCorrelationId(logger);
    if (id === undefined) return NOTHING;
    return id === (line as Line)['correlationId'] ? SAME_AS_BOUND : OTHER_THAN_BOUND;
  },
  // pino's default merge copies every line into the mixin's object; a line is only copied here when a field moves.
  mixinMergeStrategy: (line, mark) => {
    if (mark === NOTHING) return line;
    const { correlationId, ...rest } = line as Line;
    return mark === SAME_AS_BOUND ? rest : { ...rest, lineCorrelationId: correlationId };
  },
};

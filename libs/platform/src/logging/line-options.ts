import type { LoggerOptions } from 'pino';
import { scrubbed } from './scrub';

type Line = Record<string, unknown>;

/** What `mixin` hands `mixinMergeStrategy` for a line whose correlation id its logger already carries. */
const ALREADY_BOUND: Line = Object.freeze({});
const NOTHING: Line = Object.freeze({});

/**
 * What every log line of the apps goes through, besides its level and message:
 * - credentials, signatures and card data are censored at any depth (`scrubbed`);
 * - the correlation id is written once. A request's logger is bound to it (pino-http), and the code that logs
 *   names it too, because the same code also runs outside a request (NATS, timers). pino writes a child's
 *   bindings and then the line's own fields, both, so the line carried `"correlationId"` twice. A line's own id
 *   equal to the bound one is left out; one that differs is kept, last, where every JSON reader takes it.
 */
export const LINE_OPTIONS: Pick<LoggerOptions, 'formatters' | 'mixin' | 'mixinMergeStrategy'> = {
  formatters: { log: scrubbed },
  mixin: (line, _level, logger) =>
    'correlationId' in line && logger.bindings()['correlationId'] === (line as Line)['correlationId']
      ? ALREADY_BOUND
      : NOTHING,
  // pino's default merge copies every line into the mixin's object; a line is only copied here when a field goes.
  mixinMergeStrategy: (line, extra) => {
    if (extra !== ALREADY_BOUND) return line;
    const { correlationId: _bound, ...rest } = line as Line;
    return rest;
  },
};

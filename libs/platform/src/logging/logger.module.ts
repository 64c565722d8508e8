import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { RequestMethod, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { LogLevel } from '../config/base-app.config';
import { LINE_OPTIONS } from './line-options';

export const CORRELATION_HEADER = 'x-correlation-id';
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The correlation id of a request: the caller's `X-Correlation-Id` if it is well-formed, else a new one. */
export function correlationIdOf(request: IncomingMessage): string {
  const header = request.headers[CORRELATION_HEADER];
  return correlationIdFrom(Array.isArray(header) ? header[0] : header);
}

/** A caller's correlation id (an HTTP or NATS header's value) if it is well-formed, else a new one. */
export function correlationIdFrom(value: string | undefined): string {
  return value && CORRELATION_ID.test(value) ? value : randomUUID();
}

/** What the answer's line says of the request: itself (serialized below), its route and its POS client. */
function answered(request: IncomingMessage): Record<string, unknown> {
  const { route, posClientId } = request as { route?: string; posClientId?: string };
  return { req: request, ...(route ? { route } : {}), ...(posClientId ? { posClientId } : {}) };
}

/**
 * JSON logs through pino. At `info`, one line per request when it is answered: method, route, status,
 * duration, correlation id and POS client (no headers, no body: no secret or card data).
 */
export function loggerModule(app: string, level: LogLevel): DynamicModule {
  return LoggerModule.forRoot({
    // Every route, said explicitly: nestjs-pino's default route pattern (`{/*splat}`) matches nothing under
    // Nest 12's Fastify adapter, so no request was ever logged (seen, and caught by apps-boot.e2e).
    forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
    pinoHttp: {
      name: app,
      level,
      // Credentials, signatures and card data never reach a line, at any depth, and the correlation id is said
      // once (line-options.ts). pino does not pass a child logger's bindings through `formatters`: the only ones
      // the apps make are pino-http's correlation id.
      ...LINE_OPTIONS,
      // Fastify gives each request its correlation id first (create-http-app.ts); this serves other servers.
      genReqId: (request, response) => {
        const id = correlationIdOf(request);
        response.setHeader(CORRELATION_HEADER, id);
        return id;
      },
      customAttributeKeys: { reqId: 'correlationId', responseTime: 'durationMs' },
      // Every line of a request's logger carries the correlation id once, top level (pino-http's `reqId`,
      // renamed above). The request and what is known once it is answered go on the answer's line only, as
      // fields of that line rather than through child loggers: pino-http made three children a request for
      // them (the request, then `customProps` at its start and again at its answer), and each child made its
      // parent a prototype, V8's slow path: 0.2 ms of the engine's CPU a payment (bench:e2e at 100/s).
      quietReqLogger: true,
      quietResLogger: true,
      customSuccessObject: (request, _response, line: object) => ({ ...line, ...answered(request) }),
      customErrorObject: (request, _response, _error, line: object) => ({ ...line, ...answered(request) }),
      customSuccessMessage: () => 'request answered',
      customErrorMessage: () => 'request failed',
      // Health probes and scrapes would drown the log. By the original URL: while middleware runs, Fastify's
      // middleware layer cuts the path it matched off `url` (to `/`), so `url` never said `/health`.
      autoLogging: {
        ignore: (request) =>
          /^\/(health|metrics)(\?|$)/.test((request as { originalUrl?: string }).originalUrl ?? request.url ?? ''),
      },
      serializers: {
        req: (request: { method: string; url: string }) => ({ method: request.method, url: request.url }),
        res: (response: { statusCode: number }) => ({ status: response.statusCode }),
      },
    },
  });
}

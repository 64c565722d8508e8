import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { LogLevel } from '../config/base-app.config';

const CORRELATION_HEADER = 'x-correlation-id';
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Paths never written to a log: credentials, signatures, and anything that could hold card data.
 * pino's redaction (fast-redact) is used rather than a hand-written scrubber: it is compiled once
 * and costs next to nothing per line.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["dintero-signature"]',
  'req.headers["event-signature"]',
  'res.headers["set-cookie"]',
  '*.clientSecret',
  '*.client_secret',
  '*.access_token',
  '*.accessToken',
  '*.secret',
  '*.password',
  '*.apiKey',
  '*.card',
  '*.masked_pan',
  '*.pan',
];

/** The correlation id of a request: the caller's `X-Correlation-Id` if it is well-formed, else a new one. */
export function correlationIdOf(request: IncomingMessage): string {
  const header = request.headers[CORRELATION_HEADER];
  const value = Array.isArray(header) ? header[0] : header;
  return value && CORRELATION_ID.test(value) ? value : randomUUID();
}

/** JSON logs through pino, one line per request with its correlation id. */
export function loggerModule(app: string, level: LogLevel): DynamicModule {
  return LoggerModule.forRoot({
    pinoHttp: {
      name: app,
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      genReqId: (request, response) => {
        const id = correlationIdOf(request);
        response.setHeader(CORRELATION_HEADER, id);
        return id;
      },
      customAttributeKeys: { reqId: 'correlationId' },
      // Health probes and scrapes would drown the log.
      autoLogging: { ignore: (request) => request.url === '/health' || request.url === '/metrics' },
      serializers: {
        req: (request: { id: string; method: string; url: string }) => ({ method: request.method, url: request.url }),
      },
    },
  });
}

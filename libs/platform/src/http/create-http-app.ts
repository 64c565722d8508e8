import type { Http2ServerRequest } from 'node:http2';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import rateLimit from '@fastify/rate-limit';
import { HttpException, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { trustedProxies, type BaseAppConfig } from '../config/base-app.config';
import { closeAndExitOnStopRequest } from '../process/stop-requests';
import { reportStartFailure } from '../process/start-failure';
import { loadConfig } from '../config/load-config';
import { CORRELATION_HEADER, correlationIdOf } from '../logging/logger.module';
import { rateLimited } from '../problem-details/rate-limited';
import { addressKey, RateLimitCounts } from './rate-limit-counts';
import { METRICS_REGISTRY } from '../metrics/metrics.module';
import { ProblemDetailsFilter } from '../problem-details/problem-details.filter';
import { parseJsonBody } from './json-body';
import { paymentMetrics } from '../metrics/payment-metrics';
import type { Registry } from 'prom-client';

export interface HttpAppOptions {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  /**
   * The status of a request over the rate limit: 429 (the default), or 503 for callers that retry only
   * after a 5xx, as Dintero does with callbacks: they come back later instead of being lost.
   */
  readonly rateLimitStatus?: 429 | 503;
  /**
   * The known client a request comes from (for example its POS client's id), or undefined: the rate limit
   * counts a known client's requests together and all others by the caller's address. Keyed by the raw
   * header instead, each made-up key would get an allowance of its own.
   */
  readonly rateLimitClient?: (app: INestApplication) => RateLimitClient;
  /**
   * A check of a request's raw body before it is parsed, throwing to refuse it (an `HttpException`): a signed
   * delivery's signature, so that a forged body of up to `bodyLimit` is never parsed.
   */
  readonly beforeParse?: (app: INestApplication) => BeforeParse;
  /**
   * Routes whose bodies another system writes (Dintero's deliveries): a `__proto__` key or a `constructor.prototype`
   * in them is dropped rather than refused, since a 4xx makes the sender give the delivery up, and what it carries
   * there (another channel's metadata) is nothing the engine reads.
   */
  readonly foreignBodyRoutes?: readonly string[];
}

/** Refuses a request, by throwing, before its body is parsed. */
export type BeforeParse = (request: FastifyRequest, rawBody: Buffer) => void;

/** The id of the known client that sent these headers, or undefined when they name none. */
export type RateLimitClient = (headers: IncomingHttpHeaders) => string | undefined;

/** Fastify, pino logs, OpenAPI at /docs. */
export async function createHttpApp(
  module: DynamicModule,
  config: BaseAppConfig,
  options: HttpAppOptions,
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    module,
    new FastifyAdapter({
      bodyLimit: config.bodyLimit,
      // The client's address (`request.ip`, which the rate limit counts by) and protocol from the proxies named.
      trustProxy: trustedProxies(config.trustProxy) ?? false,
      // The request's id is its correlation id: the caller's well-formed `X-Correlation-Id`, or a new one. It
      // is the `correlationId` of the events the request writes, and (as `raw.id`) of its log lines.
      genReqId: (raw: IncomingMessage | Http2ServerRequest) => {
        const id = correlationIdOf(raw as IncomingMessage);
        (raw as { id?: string }).id = id;
        return id;
      },
    }),
    {
      bufferLogs: true,
      // The raw bytes of each body on `request.rawBody`: webhook signatures are over them, not a re-serialisation.
      rawBody: true,
    },
  );
  const beforeParse = options.beforeParse?.(app);
  const foreign = new Set(options.foreignBodyRoutes ?? []);
  app.useBodyParser(
    'application/json',
    { bodyLimit: config.bodyLimit },
    // Async: Nest's body parser runner passes a rejection on as the request's error.
    async (request: FastifyRequest, body: Buffer) => {
      beforeParse?.(request, body);
      return parseJsonBody(body, foreign.has(request.routeOptions.url ?? '') ? 'drop' : 'refuse');
    },
  );
  app.useLogger(app.get(Logger));
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(CORRELATION_HEADER, request.id);
    // A path we serve asked with a method it does not take is 405 with the methods it does, not 404: the caller
    // has the right address and the wrong verb. Only a path no route matches is 404.
    const allowed = request.is404 ? methodsOf(fastify, request.url) : [];
    if (allowed.length > 0) {
      const problem = problems.toProblem(
        new HttpException(
          {
            code: 'METHOD_NOT_ALLOWED',
            detail: `${request.method} is not a method of ${request.url.split('?')[0]}; it takes ${allowed.join(', ')}`,
            allowed,
          },
          405,
        ),
        request.url,
      );
      void reply.status(405).header('allow', allowed.join(', ')).header('content-type', 'application/problem+json');
      void reply.send(problem);
      return;
    }
    // Every body of ours is JSON: any other content type is 415 UNSUPPORTED_MEDIA_TYPE, not a text that
    // validation then refuses field by field.
    const hasBody = request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0';
    if ((hasBody || request.headers['transfer-encoding'] !== undefined) && !isJson(request.headers['content-type'])) {
      const problem = problems.toProblem(
        new HttpException(
          { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'Send the body as JSON, with Content-Type: application/json' },
          415,
        ),
        request.url,
      );
      void reply.status(415).header('content-type', 'application/problem+json').send(problem);
      return;
    }
    // The route's pattern, not its path: the request log line groups by it, ids stay out of it.
    (request.raw as { route?: string }).route = request.routeOptions.url;
    done();
  });
  const { httpRequests, httpSeconds } = paymentMetrics(app.get<Registry>(METRICS_REGISTRY));
  fastify.addHook('onResponse', (request, reply, done) => {
    // An unknown path is one label value, not one per path a scanner tries.
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode };
    httpRequests.inc(labels);
    httpSeconds.observe(labels, reply.elapsedTime / 1000);
    done();
  });
  closeConnectionsWhenDone(app);
  if (config.rateLimitPerMinute > 0) await limitRate(app, config.rateLimitPerMinute, options);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(options.title)
      .setDescription(options.description)
      .setVersion('1')
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'POS API key',
        description: 'A POS API key (command service)',
      })
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  return app;
}

const problems = new ProblemDetailsFilter();

/** The methods a route could have: Fastify's, less the ones no app of ours serves. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** The methods some route takes at this path (its query left out), by Fastify's own router. */
function methodsOf(fastify: FastifyInstance, url: string): string[] {
  const path = url.split('?')[0] ?? url;
  return METHODS.filter((method) => fastify.findRoute({ method, url: path }) !== null);
}

const isJson = (contentType: string | undefined): boolean =>
  contentType !== undefined && /^application\/([\w.+-]*\+)?json\s*(;|$)/i.test(contentType);

/**
 * At most `perMinute` requests a minute from each client: a known client (`rateLimitClient`), or else the
 * caller's address, so that a made-up key shares its address's allowance. The counts live in this instance's
 * memory: every known client's, and the 5,000 most recent addresses' (`RateLimitCounts`), so that a caller with
 * very many addresses gains a fresh allowance for each but cannot push a client's count out. A limit at the edge
 * (a proxy or load balancer) is what holds such a caller back.
 * `/health` and `/metrics` are exempt, for the probes and scrapers that poll them.
 */
async function limitRate(app: NestFastifyApplication, perMinute: number, options: HttpAppOptions): Promise<void> {
  const clientOf = options.rateLimitClient?.(app);
  const status = options.rateLimitStatus ?? 429;
  await app.register(rateLimit, {
    max: perMinute,
    timeWindow: 60_000,
    store: RateLimitCounts,
    allowList: (request) => /^\/(health|metrics)(\?|$)/.test(request.url),
    keyGenerator: (request) => {
      const client = clientOf?.(request.headers);
      return client === undefined ? addressKey(request.ip) : `client:${client}`;
    },
    // Thrown like any error of ours, so that the Problem Details filter answers it.
    errorResponseBuilder: (_request, context) => rateLimited(context.max, context.ttl, status),
  });
}

/** How long a stopping server lets its connections finish their answers before it closes them. */
const CLOSE_GRACE_MS = 5_000;

/**
 * While the server closes: each kept-alive connection is closed as soon as its last answer is sent, and
 * any still open after CLOSE_GRACE_MS is closed anyway. Node closes only the connections idle when
 * `close()` begins; one whose answer was still under way stays open for Fastify's keep-alive timeout
 * (72 s) after it, and one whose client went quiet holds the stop for good (seen with `npm start`: its
 * demo's abandoned long polls held the command service's stop for 70 s). Neither Fastify's
 * `forceCloseConnections` (once, at the start) nor Nest's (every socket at once, mid-answer too) does this.
 */
function closeConnectionsWhenDone(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  let sweeper: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;
  fastify.addHook('preClose', (done) => {
    sweeper = setInterval(() => fastify.server.closeIdleConnections(), 50);
    deadline = setTimeout(() => fastify.server.closeAllConnections(), CLOSE_GRACE_MS);
    done();
  });
  fastify.addHook('onClose', (_instance, done) => {
    clearInterval(sweeper);
    clearTimeout(deadline);
    done();
  });
}

/** Listens and returns the base URL; port 0 picks a free one. */
export async function listen(app: INestApplication, host: string, port: number): Promise<string> {
  await app.listen(port, host);
  const server = app.getHttpServer() as { address(): { port: number } };
  const address = server.address();
  return `http://${host}:${address.port}`;
}

/**
 * The whole of an app's `main.ts`: parse the configuration (the only read of the environment), build
 * the module, listen. A bad configuration or an unreachable dependency ends the process with a
 * message that says which.
 */
export function bootstrap<Config extends BaseAppConfig>(
  schema: new () => Config,
  module: (config: Config) => DynamicModule,
  options: HttpAppOptions,
): void {
  const run = async () => {
    const config = loadConfig(schema, process.env);
    const app = await createHttpApp(module(config), config, options);
    const url = await listen(app, config.host, config.port);
    app.get(Logger).log(`${options.name} listening at ${url}`);
    // Rather than Nest's shutdown hooks, which re-raise the signal: close the app (stop taking requests,
    // flush the log's pending commits, drain NATS), then exit 0 so a supervisor sees a clean stop (1 when the
    // app stopped itself for a fault).
    closeAndExitOnStopRequest(
      options.name,
      (message) => app.get(Logger).log(message),
      () => app.close(),
    );
  };
  run().catch((error: unknown) => {
    reportStartFailure(options.name, error);
    process.exit(1);
  });
}

import { HttpException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { verifyCallbackSignature, verifyWebhookSignature } from '@app/dintero';
import type { BeforeParse } from '@app/platform';
import type { IngestServiceConfig } from './ingest-service.config';

/** The routes of Dintero's deliveries: their controllers' paths, and where the signatures are checked early. */
export const CALLBACK_PATH = '/v1/dintero/callback';
export const WEBHOOK_PATH = '/v1/dintero/webhooks';

const refused = (reason: string) => new HttpException({ code: 'INVALID_SIGNATURE', detail: reason }, 401);

/**
 * `Dintero-Signature` (HMAC-SHA256 over time, account, method, host, path and sorted query; 5 minutes'
 * tolerance), whenever a callback secret is configured: `INVALID_SIGNATURE` (401) otherwise. The URL is the one
 * Dintero called: our public URL's host with the path and query as received.
 */
export function assertCallbackSigned(config: IngestServiceConfig, request: FastifyRequest): void {
  const secret = config.callbackSecret;
  if (!secret) return;
  // A URL's `#…` is no part of what Dintero signs (nor sends), but the query parser reads on past it: a parameter
  // added there would be acted on unsigned.
  if (request.url.includes('#')) throw refused('The request-target holds a "#", which no signed callback has');
  const header = request.headers['dintero-signature'];
  const check = verifyCallbackSignature(
    { accountId: config.dinteroAccountId, method: request.method, url: new URL(request.url, config.ingestPublicUrl) },
    typeof header === 'string' ? header : undefined,
    secret,
    Math.floor(Date.now() / 1000),
  );
  if (!check.valid) throw refused(check.reason);
}

/** `event-signature`: HMAC-SHA1 of the raw body with the subscription's secret, whenever one is configured. */
export function assertWebhookSigned(config: IngestServiceConfig, request: FastifyRequest, rawBody: Buffer): void {
  const secret = config.webhookSecret;
  if (!secret) return;
  const header = request.headers['event-signature'];
  const check = verifyWebhookSignature(rawBody, typeof header === 'string' ? header : undefined, secret);
  if (!check.valid) throw refused(check.reason);
}

/**
 * The signatures checked on the raw body, before it is parsed: a forged delivery of up to 2 MiB (`bodyLimit`) is
 * refused for its signature without the JSON parse it would otherwise cost. The guards still check (a request
 * with no body is never parsed).
 */
export function signedDeliveries(config: IngestServiceConfig): BeforeParse {
  return (request, rawBody) => {
    // The route the request was matched to, not its path as sent: the router decodes a path (`%77ebhooks`).
    const route = request.routeOptions.url;
    if (route === WEBHOOK_PATH) assertWebhookSigned(config, request, rawBody);
    else if (route === CALLBACK_PATH) assertCallbackSigned(config, request);
  };
}

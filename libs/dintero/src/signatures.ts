import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Dintero's two signature schemes (docs/dintero.md §4 and §5), checked in constant time.
 *
 * Callback (`Dintero-Signature: t=<unix-seconds>,v0-hmac-sha256=<hex>`): HMAC-SHA256, keyed with the
 * account's signature secret, over `<t>\n<account_id>\n<METHOD>\n<hostname>\n<pathname>\n<query>`, the
 * query sorted by name and spaces encoded as `+`. The body is not signed, which is why ingest re-fetches
 * the transaction rather than trusting a callback's body.
 *
 * Webhook (`event-signature`): HMAC-SHA1 hex of the raw request body, keyed with the subscription secret.
 */
export const CALLBACK_TOLERANCE_SECONDS = 5 * 60;

export interface CallbackRequest {
  readonly accountId: string;
  readonly method: string;
  /** The URL Dintero called, as it called it (scheme and host as seen by Dintero). */
  readonly url: URL;
}

export type SignatureCheck = { readonly valid: true } | { readonly valid: false; readonly reason: string };

/** The query as Dintero signs it: parameters sorted by name, form-encoded (space as `+`). */
export function canonicalQuery(searchParams: URLSearchParams): string {
  const sorted = new URLSearchParams(searchParams);
  sorted.sort();
  return sorted.toString();
}

export function callbackSigningString(request: CallbackRequest, timestamp: number): string {
  const { url } = request;
  return [
    String(timestamp),
    request.accountId,
    request.method.toUpperCase(),
    url.hostname,
    url.pathname,
    canonicalQuery(url.searchParams),
  ].join('\n');
}

/** The header value Dintero would send; used by the simulator and by tests. */
export function signCallback(request: CallbackRequest, secret: string, timestamp: number): string {
  const digest = createHmac('sha256', secret).update(callbackSigningString(request, timestamp)).digest('hex');
  return `t=${timestamp},v0-hmac-sha256=${digest}`;
}

export function verifyCallbackSignature(
  request: CallbackRequest,
  header: string | undefined,
  secret: string,
  nowSeconds: number,
  toleranceSeconds = CALLBACK_TOLERANCE_SECONDS,
): SignatureCheck {
  if (!header) return { valid: false, reason: 'Dintero-Signature header missing' };
  const parts = new Map(
    header.split(',').map((part) => {
      const index = part.indexOf('=');
      return [part.slice(0, index).trim(), part.slice(index + 1).trim()] as const;
    }),
  );
  const timestamp = Number(parts.get('t'));
  const signature = parts.get('v0-hmac-sha256');
  if (!Number.isSafeInteger(timestamp) || !signature)
    return { valid: false, reason: 'Dintero-Signature header malformed' };
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds)
    return { valid: false, reason: 'Dintero-Signature timestamp outside tolerance' };
  const expected = signCallback(request, secret, timestamp).split('v0-hmac-sha256=')[1]!;
  return hexEquals(signature, expected)
    ? { valid: true }
    : { valid: false, reason: 'Dintero-Signature does not match' };
}

export function signWebhook(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha1', secret).update(rawBody).digest('hex');
}

export function verifyWebhookSignature(
  rawBody: Buffer | string,
  header: string | undefined,
  secret: string,
): SignatureCheck {
  if (!header) return { valid: false, reason: 'event-signature header missing' };
  return hexEquals(header.trim(), signWebhook(rawBody, secret))
    ? { valid: true }
    : { valid: false, reason: 'event-signature does not match' };
}

/** Constant time for equal lengths; a length mismatch says nothing about the secret. */
function hexEquals(given: string, expected: string): boolean {
  const a = Buffer.from(given.toLowerCase(), 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

import { CALLBACK_PATH } from '../delivery-signatures';

/** This engine's origin, as `ourOrigin` writes it: only that function makes one. */
export type OurOrigin = string & { readonly __ourOrigin: true };

/**
 * This engine's origin: `INGEST_PUBLIC_URL`'s scheme, host and port as `URL.origin` writes them (host in lower case,
 * a default port left out, no path or trailing slash), which is the origin of every callback URL the command service
 * builds on it. Computed once, where the config is read: the origin is compared on each delivery and each
 * transaction recorded. Throws for a URL with no origin (a scheme other than http, https or ftp), which the config's
 * `@IsUrl` refuses at boot.
 */
export function ourOrigin(ingestPublicUrl: string): OurOrigin {
  const origin = new URL(ingestPublicUrl).origin;
  if (origin === 'null') throw new Error(`INGEST_PUBLIC_URL ${ingestPublicUrl} has no origin`);
  return origin as OurOrigin;
}

/**
 * Whether a transaction or session was made by this engine for `paymentId`: its `callback_url` (which Dintero
 * carries on the session and on its transactions) is this engine's callback path at the origin of
 * `INGEST_PUBLIC_URL` (scheme, host and port; a default port written out or left out is the same origin), naming
 * that payment. The command service writes a payment to the log before it asks Dintero for the session with that
 * URL, so such a payment the log does not show is behind a read that lags (or lost in a restore), never another
 * system's. A web shop or another environment's engine on the same Dintero account puts its own URL there; one with
 * no URL at all (Dintero left it out) is not taken for ours.
 *
 * The port is compared: two engines on one host (a port each) and one Dintero account are told apart by it alone.
 * It was once left out because the callback signature does not cover it (a proxy in front may change the port a
 * request arrives on), but the URL compared here is not a request's: it is the string the command service built from
 * its own `INGEST_PUBLIC_URL` and Dintero keeps as sent, so no proxy touches it. Command and ingest services must be
 * given the same `INGEST_PUBLIC_URL` (docs/operations.md).
 */
export function madeByThisEngine(callbackUrl: string | undefined, paymentId: string, ours: OurOrigin): boolean {
  return callbackOriginOf(callbackUrl, paymentId, ours) === ours;
}

/**
 * The origin of a callback URL in the form this engine gives its payments (its callback path, naming `paymentId` and
 * it alone), whatever that origin; undefined for any other URL, or none. Of a payment this engine's log has, an origin
 * other than `INGEST_PUBLIC_URL`'s says that the command service that made it was given another one
 * (`CallbackOriginCheck`).
 *
 * Given `ours`, a URL written exactly as the command service writes this engine's (`startsAsOurs`) is answered
 * without parsing it, with the origin a parse would give: nearly every URL compared is one.
 */
export function callbackOriginOf(
  callbackUrl: string | undefined,
  paymentId: string,
  ours?: OurOrigin,
): string | undefined {
  if (callbackUrl === undefined) return undefined;
  if (ours !== undefined && startsAsOurs(callbackUrl, paymentId, ours)) return ours;
  let url: URL;
  try {
    url = new URL(callbackUrl);
  } catch {
    return undefined;
  }
  const named = url.searchParams.getAll('payment_id');
  // A scheme with no origin (not http or https) is no engine's.
  const isOurForm = url.origin !== 'null' && url.pathname === CALLBACK_PATH;
  return isOurForm && named.length === 1 && named[0] === paymentId ? url.origin : undefined;
}

/** Characters that the URL parser and the query's form decoding (`searchParams`) both leave as they are. */
const PLAIN = /^[A-Za-z0-9._~-]+$/;
/** Further query pairs of such characters alone, each `&name=value`. */
const PLAIN_PAIRS = /^(?:&[A-Za-z0-9._~-]+=[A-Za-z0-9._~-]*)*$/;

/**
 * Whether `callbackUrl` is `<ours>/v1/dintero/callback?payment_id=<paymentId>` followed by plain pairs none of which
 * is another `payment_id`, as the command service writes it. Exactly the URLs a parse would find at `ours` naming
 * `paymentId` and it alone, restricted to what needs no parse to be sure of: `ours` is already as `URL.origin` writes
 * it, so a host in capitals, a default port written out, a tab or space the parser would drop, a fragment, a
 * percent-encoded name (`payment%5Fid`) or `payment_id` not first all fail here and are parsed.
 */
function startsAsOurs(callbackUrl: string, paymentId: string, ours: OurOrigin): boolean {
  if (!PLAIN.test(paymentId)) return false;
  const head = `${ours}${CALLBACK_PATH}?payment_id=${paymentId}`;
  if (!callbackUrl.startsWith(head)) return false;
  const rest = callbackUrl.slice(head.length);
  // Names and values cannot hold `&` or `=`, so `&payment_id=` can only be a pair's start.
  return PLAIN_PAIRS.test(rest) && !rest.includes('&payment_id=');
}

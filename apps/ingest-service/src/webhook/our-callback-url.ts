import { CALLBACK_PATH } from '../delivery-signatures';

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
export function madeByThisEngine(callbackUrl: string | undefined, paymentId: string, ingestPublicUrl: string): boolean {
  const origin = callbackOriginOf(callbackUrl, paymentId);
  return origin !== undefined && origin === new URL(CALLBACK_PATH, ingestPublicUrl).origin;
}

/**
 * The origin of a callback URL in the form this engine gives its payments (its callback path, naming `paymentId` and
 * it alone), whatever that origin; undefined for any other URL, or none. Of a payment this engine's log has, an origin
 * other than `INGEST_PUBLIC_URL`'s says that the command service that made it was given another one
 * (`CallbackOriginCheck`).
 */
export function callbackOriginOf(callbackUrl: string | undefined, paymentId: string): string | undefined {
  if (callbackUrl === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(callbackUrl);
  } catch {
    return undefined;
  }
  const named = url.searchParams.getAll('payment_id');
  // A scheme with no origin (not http or https) is no engine's.
  const ours = url.origin !== 'null' && url.pathname === CALLBACK_PATH;
  return ours && named.length === 1 && named[0] === paymentId ? url.origin : undefined;
}

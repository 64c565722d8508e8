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
  if (callbackUrl === undefined) return false;
  let url: URL;
  try {
    url = new URL(callbackUrl);
  } catch {
    return false;
  }
  const ours = new URL(CALLBACK_PATH, ingestPublicUrl);
  return (
    url.origin === ours.origin &&
    url.pathname === ours.pathname &&
    url.searchParams.getAll('payment_id').length === 1 &&
    url.searchParams.get('payment_id') === paymentId
  );
}

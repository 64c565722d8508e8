import { CALLBACK_PATH } from '../delivery-signatures';

/**
 * Whether a transaction or session was made by this engine for `paymentId`: its `callback_url` (which Dintero
 * carries on the session and on its transactions) is this engine's callback path on the host of `INGEST_PUBLIC_URL`,
 * naming that payment. The command service writes a payment to the log before it asks Dintero for the session with
 * that URL, so such a payment the log does not show is behind a read that lags (or lost in a restore), never another
 * system's. A web shop or another environment's engine on the same Dintero account puts its own URL there; one with
 * no URL at all (Dintero left it out) is not taken for ours. The port is not compared, as the callback signature
 * does not cover it either (a proxy in front may change it).
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
    url.hostname === ours.hostname &&
    url.pathname === ours.pathname &&
    url.searchParams.getAll('payment_id').length === 1 &&
    url.searchParams.get('payment_id') === paymentId
  );
}

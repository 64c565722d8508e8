import { signCallback } from '@app/dintero';
import { CALLBACK_SECRET } from './engine';

/** How a callback is sent and signed, where a test needs it otherwise than Dintero sends it now. */
export interface CallbackSigning {
  /** `GET` as Dintero calls back; the signature covers the method. */
  readonly method?: string;
  /** The tests' callback secret (`CALLBACK_SECRET`) unless given: another service's, or a wrong one. */
  readonly secret?: string;
  /** The signature's time in seconds since the epoch; now unless given (a stale one). */
  readonly timestamp?: number;
  /** Sent with the signature (a correlation id). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Dintero's callback (`GET /v1/dintero/callback`) to the ingest service at `ingestUrl` with `params` (set in their
 * order), signed as Dintero signs it now for `accountId`: its URL, method and the headers to send it with.
 */
export function signedCallback(
  ingestUrl: string,
  accountId: string,
  params: Record<string, string>,
  signing: CallbackSigning = {},
): { url: URL; method: string; headers: Record<string, string> & { 'dintero-signature': string } } {
  const { method = 'GET', secret = CALLBACK_SECRET, timestamp = Math.floor(Date.now() / 1000) } = signing;
  const url = new URL(`${ingestUrl}/v1/dintero/callback`);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  const signature = signCallback({ accountId, method, url }, secret, timestamp);
  return { url, method, headers: { ...signing.headers, 'dintero-signature': signature } };
}

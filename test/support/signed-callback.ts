import { signCallback } from '@app/dintero';
import { CALLBACK_SECRET } from './engine';

/**
 * Dintero's callback (`GET /v1/dintero/callback`) to the ingest service at `ingestUrl` with `params`, signed as
 * Dintero signs it now for `accountId` with the tests' callback secret: its URL and the header to send it with.
 */
export function signedCallback(
  ingestUrl: string,
  accountId: string,
  params: Record<string, string>,
): { url: URL; headers: { 'dintero-signature': string } } {
  const url = new URL(`${ingestUrl}/v1/dintero/callback`);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  const signature = signCallback({ accountId, method: 'GET', url }, CALLBACK_SECRET, Math.floor(Date.now() / 1000));
  return { url, headers: { 'dintero-signature': signature } };
}

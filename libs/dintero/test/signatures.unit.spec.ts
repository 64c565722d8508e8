import { createHmac } from 'node:crypto';
import {
  callbackSigningString,
  signCallback,
  signWebhook,
  verifyCallbackSignature,
  verifyWebhookSignature,
} from '@app/dintero';

// Test vectors built by hand from the documented schemes (docs/dintero.md §4, §5), not from our code.
const secret = 'callback-secret';
const request = {
  accountId: 'T12345678',
  method: 'GET',
  url: new URL(
    'https://ingest.example.com/v1/dintero/callback?transaction_id=T12345678.abc&payment_id=p%201&merchant_reference=POS 7&session_id=s1',
  ),
};
const t = 1_795_000_000;
const documentedString = [
  '1795000000',
  'T12345678',
  'GET',
  'ingest.example.com',
  '/v1/dintero/callback',
  'merchant_reference=POS+7&payment_id=p+1&session_id=s1&transaction_id=T12345678.abc',
].join('\n');
const documentedHeader = `t=${t},v0-hmac-sha256=${createHmac('sha256', secret).update(documentedString).digest('hex')}`;

describe('callback signature (Dintero-Signature, HMAC-SHA256)', () => {
  it('signs the documented string: query sorted, spaces as +', () => {
    expect(callbackSigningString(request, t)).toBe(documentedString);
    expect(signCallback(request, secret, t)).toBe(documentedHeader);
  });

  it('accepts the documented signature within five minutes either way', () => {
    expect(verifyCallbackSignature(request, documentedHeader, secret, t + 300)).toEqual({ valid: true });
    expect(verifyCallbackSignature(request, documentedHeader, secret, t - 300)).toEqual({ valid: true });
  });

  it.each([
    ['missing', undefined, t, /missing/],
    ['malformed', 'v0-hmac-sha256=abc', t, /malformed/],
    ['stale', documentedHeader, t + 301, /tolerance/],
    ['from the future', documentedHeader, t - 301, /tolerance/],
    ['signed with another secret', signCallback(request, 'other', t), t, /does not match/],
    ['truncated', documentedHeader.slice(0, -2), t, /does not match/],
  ])('refuses a signature that is %s', (_case, header, now, reason) => {
    const check = verifyCallbackSignature(request, header, secret, now);
    expect(check.valid).toBe(false);
    expect(check).toMatchObject({ reason: expect.stringMatching(reason) });
  });

  it('refuses a signature for another query, path or method', () => {
    const tampered = { ...request, url: new URL(request.url.href.replace('payment_id=p%201', 'payment_id=p%202')) };
    expect(verifyCallbackSignature(tampered, documentedHeader, secret, t).valid).toBe(false);
    expect(verifyCallbackSignature({ ...request, method: 'POST' }, documentedHeader, secret, t).valid).toBe(false);
  });
});

describe('webhook signature (event-signature, HMAC-SHA1 of the raw body)', () => {
  const body = Buffer.from('{"event":"checkout_transaction","transaction":{"id":"T12345678.abc","status":"CAPTURED"}}');
  const documented = createHmac('sha1', 'hook-secret').update(body).digest('hex');

  it('signs the raw bytes', () => {
    expect(signWebhook(body, 'hook-secret')).toBe(documented);
  });

  it('accepts the right signature, in either hex case', () => {
    expect(verifyWebhookSignature(body, documented, 'hook-secret')).toEqual({ valid: true });
    expect(verifyWebhookSignature(body, documented.toUpperCase(), 'hook-secret')).toEqual({ valid: true });
  });

  it('refuses a re-serialised body, a missing header and a wrong secret', () => {
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1));
    expect(verifyWebhookSignature(reserialised, documented, 'hook-secret').valid).toBe(false);
    expect(verifyWebhookSignature(body, undefined, 'hook-secret').valid).toBe(false);
    expect(verifyWebhookSignature(body, documented, 'other-secret').valid).toBe(false);
  });
});

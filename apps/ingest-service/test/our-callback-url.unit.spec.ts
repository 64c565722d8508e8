import { callbackOriginOf, madeByThisEngine } from '../src/webhook/our-callback-url';

describe('madeByThisEngine: a transaction or session this engine made, by its callback URL', () => {
  const ours = 'https://payments.example.com';
  const id = '3f1c2a8e-5b7d-4c1e-9a2b-6d8e0f1a2b3c';
  const url = (base: string, query: string) => `${base}/v1/dintero/callback?${query}`;

  it.each([
    ['this engine’s URL naming the payment', url(ours, `payment_id=${id}&report_error=true`), true],
    ['the default port written out', url('https://payments.example.com:443', `payment_id=${id}`), true],
    ['the host in capitals', url('https://PAYMENTS.example.com', `payment_id=${id}`), true],
    [
      'another engine on another port of the same host',
      url('https://payments.example.com:8443', `payment_id=${id}`),
      false,
    ],
    ['another scheme', url('http://payments.example.com', `payment_id=${id}`), false],
    ['another engine’s host', url('https://staging.example.com', `payment_id=${id}`), false],
    ['another path', `${ours}/shop/callback?payment_id=${id}`, false],
    ['another payment', url(ours, 'payment_id=6a1c2a8e-5b7d-4c1e-9a2b-6d8e0f1a2b3c'), false],
    ['the payment named twice', url(ours, `payment_id=${id}&payment_id=${id}`), false],
    ['no URL', undefined, false],
    ['no URL at all, a string', 'not a url', false],
  ])('%s', (_what, callbackUrl, expected) => {
    expect(madeByThisEngine(callbackUrl, id, ours)).toBe(expected);
  });

  it.each([
    ['a port of its own', 'http://127.0.0.1:3001', 'http://127.0.0.1:3001', true],
    ['the next engine’s port on the same host', 'http://127.0.0.1:3001', 'http://127.0.0.1:3002', false],
    ['its default port left out', 'https://payments.example.com:443', 'https://payments.example.com', true],
    ['no port where it has one', 'http://127.0.0.1:3001', 'http://127.0.0.1', false],
  ])('an INGEST_PUBLIC_URL with %s', (_what, ingestPublicUrl, callbackBase, expected) => {
    expect(madeByThisEngine(url(callbackBase, `payment_id=${id}`), id, ingestPublicUrl)).toBe(expected);
  });
});

describe("callbackOriginOf: the origin of a callback URL in this engine's form, whichever engine", () => {
  const id = '3f1c2a8e-5b7d-4c1e-9a2b-6d8e0f1a2b3c';

  it.each([
    [
      'this engine’s form naming the payment',
      `https://a.example:8443/v1/dintero/callback?payment_id=${id}`,
      'https://a.example:8443',
    ],
    ['the default port written out', `https://a.example:443/v1/dintero/callback?payment_id=${id}`, 'https://a.example'],
    ['another path (a web shop)', `https://a.example/shop/callback?payment_id=${id}`, undefined],
    [
      'another payment',
      'https://a.example/v1/dintero/callback?payment_id=6a1c2a8e-5b7d-4c1e-9a2b-6d8e0f1a2b3c',
      undefined,
    ],
    ['the payment named twice', `https://a.example/v1/dintero/callback?payment_id=${id}&payment_id=${id}`, undefined],
    ['a scheme with no origin', `custom://a.example/v1/dintero/callback?payment_id=${id}`, undefined],
    ['not a URL', 'not a url', undefined],
    ['no URL', undefined, undefined],
  ])('%s', (_what, callbackUrl, expected) => {
    expect(callbackOriginOf(callbackUrl, id)).toBe(expected);
  });
});

import { madeByThisEngine } from '../src/webhook/our-callback-url';

describe('madeByThisEngine: a transaction or session this engine made, by its callback URL', () => {
  const ours = 'https://payments.example.com';
  const id = '3f1c2a8e-5b7d-4c1e-9a2b-6d8e0f1a2b3c';
  const url = (base: string, query: string) => `${base}/v1/dintero/callback?${query}`;

  it.each([
    ['this engine’s URL naming the payment', url(ours, `payment_id=${id}&report_error=true`), true],
    [
      'another port of the same host (a proxy in front)',
      url('https://payments.example.com:8443', `payment_id=${id}`),
      true,
    ],
    ['another engine’s host', url('https://staging.example.com', `payment_id=${id}`), false],
    ['another path', `${ours}/shop/callback?payment_id=${id}`, false],
    ['another payment', url(ours, 'payment_id=6a1c2a8e-5b7d-4c1e-9a2b-6d8e0f1a2b3c'), false],
    ['the payment named twice', url(ours, `payment_id=${id}&payment_id=${id}`), false],
    ['no URL', undefined, false],
    ['no URL at all, a string', 'not a url', false],
  ])('%s', (_what, callbackUrl, expected) => {
    expect(madeByThisEngine(callbackUrl, id, ours)).toBe(expected);
  });
});

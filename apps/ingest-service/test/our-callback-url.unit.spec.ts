import fc from 'fast-check';
import { callbackOriginOf, madeByThisEngine, ourOrigin } from '../src/webhook/our-callback-url';

describe("ourOrigin: this engine's origin, from INGEST_PUBLIC_URL", () => {
  it.each([
    ['as given', 'https://payments.example.com', 'https://payments.example.com'],
    ['a trailing slash', 'https://payments.example.com/', 'https://payments.example.com'],
    ['a path', 'https://51.105.10.20:8443/dintero/', 'https://51.105.10.20:8443'],
    ['the default port written out', 'https://payments.example.com:443', 'https://payments.example.com'],
    ["http's default port written out", 'http://ingest-service:80', 'http://ingest-service'],
    ['a port of its own', 'http://127.0.0.1:3001', 'http://127.0.0.1:3001'],
    ['the host in capitals', 'HTTPS://PAYMENTS.Example.COM', 'https://payments.example.com'],
    ['a user and password', 'https://user:secret@payments.example.com', 'https://payments.example.com'],
    ['an IPv6 address', 'http://[0:0:0:0:0:0:0:1]:3001', 'http://[::1]:3001'],
  ])('%s', (_what, ingestPublicUrl, expected) => {
    expect(ourOrigin(ingestPublicUrl)).toBe(expected);
  });

  it('refuses a URL with no origin', () => {
    expect(() => ourOrigin('custom://payments.example.com')).toThrow('has no origin');
  });

  it('is the origin of the callback URLs the command service builds on the same INGEST_PUBLIC_URL', () => {
    for (const ingestPublicUrl of ['https://Payments.example.com:443/', 'http://127.0.0.1:3001/base/'])
      expect(ourOrigin(ingestPublicUrl)).toBe(new URL('/v1/dintero/callback', ingestPublicUrl).origin);
  });
});

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
    expect(madeByThisEngine(callbackUrl, id, ourOrigin(ours))).toBe(expected);
  });

  it.each([
    ['a port of its own', 'http://127.0.0.1:3001', 'http://127.0.0.1:3001', true],
    ['the next engine’s port on the same host', 'http://127.0.0.1:3001', 'http://127.0.0.1:3002', false],
    ['its default port left out', 'https://payments.example.com:443', 'https://payments.example.com', true],
    ['a trailing slash', 'https://payments.example.com/', 'https://payments.example.com', true],
    ['its host in capitals', 'https://PAYMENTS.example.com', 'https://payments.example.com', true],
    ['no port where it has one', 'http://127.0.0.1:3001', 'http://127.0.0.1', false],
  ])('an INGEST_PUBLIC_URL with %s', (_what, ingestPublicUrl, callbackBase, expected) => {
    expect(madeByThisEngine(url(callbackBase, `payment_id=${id}`), id, ourOrigin(ingestPublicUrl))).toBe(expected);
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

describe("callbackOriginOf given this engine's origin: the same answer as a parse, without one for this engine's form", () => {
  const id = '3f1c2a8e-5b7d-4c1e-9a2b-6d8e0f1a2b3c';
  const ours = ourOrigin('https://payments.example.com');
  const path = '/v1/dintero/callback';
  /** As the command service builds it (start-terminal-payment.handler.ts). */
  const built = (base: string, paymentId = id) => {
    const url = new URL(path, base);
    url.searchParams.set('payment_id', paymentId);
    url.searchParams.set('report_error', 'true');
    url.searchParams.append('report_event', 'REFUND');
    url.searchParams.append('report_event', 'VOID');
    return url.href;
  };

  it.each([
    ['as the command service builds it', built(ours)],
    ['at another engine', built('https://staging.example.com')],
    ['the host in capitals', `https://PAYMENTS.example.com${path}?payment_id=${id}`],
    ['the default port written out', `https://payments.example.com:443${path}?payment_id=${id}`],
    ['the payment alone', `${ours}${path}?payment_id=${id}`],
    ['the payment not first', `${ours}${path}?report_error=true&payment_id=${id}`],
    ['the payment named again', `${ours}${path}?payment_id=${id}&payment_id=${id}`],
    ['another payment named after it', `${ours}${path}?payment_id=${id}&payment_id=other`],
    ['the payment named again, encoded', `${ours}${path}?payment_id=${id}&payment%5Fid=${id}`],
    ['the payment named again, empty', `${ours}${path}?payment_id=${id}&payment_id=`],
    ['the payment named again with no value', `${ours}${path}?payment_id=${id}&payment_id`],
    ['a longer payment id', `${ours}${path}?payment_id=${id}0`],
    ['a payment id with a plus', `${ours}${path}?payment_id=${id}+`],
    ['a payment id encoded', `${ours}${path}?payment_id=${id.replace('-', '%2D')}`],
    ['a tab in the payment id', `${ours}${path}?payment_id=${id.slice(0, 4)}\t${id.slice(4)}`],
    ['a fragment', `${ours}${path}?payment_id=${id}#x`],
    ['a trailing space', `${ours}${path}?payment_id=${id}&report_error=true `],
    ['a trailing newline', `${ours}${path}?payment_id=${id}\n`],
    ['a dot segment in the path', `${ours}/v1/x/../dintero/callback?payment_id=${id}`],
    ['a trailing slash on the path', `${ours}${path}/?payment_id=${id}`],
    ['a semicolon in a pair', `${ours}${path}?payment_id=${id}&a=b;payment_id=x`],
    ['an empty pair', `${ours}${path}?payment_id=${id}&&report_error=true`],
  ])('%s', (_what, callbackUrl) => {
    expect(callbackOriginOf(callbackUrl, id, ours)).toBe(callbackOriginOf(callbackUrl, id));
  });

  it('gives the same answer for payment ids that need encoding or are none', () => {
    for (const paymentId of ['a&b', 'a b', 'a+b', 'ä', '', 'a%20b', 'a#b'])
      expect(callbackOriginOf(built(ours, paymentId), paymentId, ours)).toBe(
        callbackOriginOf(built(ours, paymentId), paymentId),
      );
  });

  it("gives the same answer for any URL written from this engine's form by a few edits", () => {
    const pieces = fc.constantFrom('&', '=', '#', '%', '%5F', '+', ' ', '\t', '/', '?', 'payment_id', 'x', id, 'A');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(pieces, { maxLength: 4 }),
        (at, cut, inserted) => {
          const form = built(ours);
          const where = at % (form.length + 1);
          const callbackUrl = form.slice(0, where) + inserted.join('') + form.slice(where + cut);
          expect(callbackOriginOf(callbackUrl, id, ours)).toBe(callbackOriginOf(callbackUrl, id));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

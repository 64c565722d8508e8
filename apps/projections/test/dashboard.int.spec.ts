import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { testOperator, writeOperatorsFile } from '../../../test/support/operators';
import { startProjections } from '../../../test/support/projections';
import type { DashboardView } from '../src/dashboard/dashboard.service';
import { OperatorsReloader } from '../src/operators/operators.reloader';
import type { Change } from '../src/read-models/read-model.types';

interface ServerSentEvent {
  readonly type: string;
  readonly data: unknown;
}

/**
 * The events of a text/event-stream response as they arrive. Node 20 has no EventSource; the format is
 * blocks of `field: value` lines separated by a blank line.
 */
async function* serverSentEvents(response: Response): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const fields = new Map<string, string>();
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
      }
      if (fields.has('data'))
        yield { type: fields.get('event') ?? 'message', data: JSON.parse(fields.get('data')!) as unknown };
    }
  }
}

/** The stores of the changes a stream sends, until one brings the outcome of `paymentId`. */
async function storesSeenUntilOutcome(events: AsyncGenerator<ServerSentEvent>, paymentId: string): Promise<string[]> {
  const seen = new Set<string>();
  for await (const event of events) {
    const changes = event.data as Change[];
    for (const change of changes) seen.add(change.doc.storeId);
    if (changes.some((change) => change.model === 'terminal' && change.doc.lastOutcome?.paymentId === paymentId)) break;
  }
  return [...seen];
}

describe('the live store dashboard (projections app)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-'));
  const operatorsFile = path.join(dir, 'operators.json');
  const headOffice = testOperator('head-office');
  const west = testOperator('west', 'bergen', 'stavanger');
  const leaving = testOperator('leaving', 'bergen');
  let engine: Engine;
  let url: string;
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

  /** Signs in as a browser does (at `base`, this test's app by default); the session cookie it is given. */
  const signIn = async (key: string, base = url) => {
    const response = await fetch(`${base}/v1/dashboard/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key }),
    });
    expect(response.status).toBe(200);
    const setCookie = response.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^dashboard_session=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Strict$/);
    return { cookie: setCookie.split(';')[0]!, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    writeOperatorsFile(operatorsFile, [headOffice, west, leaving]);
    engine = await startEngine({ projections: { OPERATORS_FILE: operatorsFile } });
    url = await (engine.projections as NestFastifyApplication).getUrl();
    await engine.terminals('bergen', 'D-1', 'D-2');
    await engine.terminals('stavanger', 'S-1');
    await engine.terminals('tromso', 'N-1');
  });
  afterAll(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves its page and files to anyone (they hold no data), and a clear 404 for any other file', async () => {
    const page = await fetch(`${url}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<script src="/dashboard/dashboard.js"');
    expect(html).toContain('id="sign-in"');
    expect(html).not.toContain('bergen');

    const script = await fetch(`${url}/dashboard/dashboard.js`);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect(await script.text()).toContain("new EventSource('/v1/dashboard/stream')");
    expect((await fetch(`${url}/dashboard/dashboard.css`)).status).toBe(200);

    const missing = await fetch(`${url}/dashboard/..%2Fprojections.module.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  // The address `npm start` prints for the app is its root: opened in a browser, it should lead to the page.
  it('sends a browser at the app’s root to the page', async () => {
    const root = await fetch(`${url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/dashboard');
  });

  // Typed or bookmarked with a trailing slash, the page's address is the same page: one address, so a redirect.
  it('sends a browser at /dashboard/ to the page', async () => {
    const slash = await fetch(`${url}/dashboard/`, { redirect: 'manual' });
    expect(slash.status).toBe(301);
    expect(slash.headers.get('location')).toBe('/dashboard');
    const followed = await fetch(`${url}/dashboard/`);
    expect(followed.status).toBe(200);
    expect(await followed.text()).toContain('id="sign-in"');
  });

  it('lets nothing but its own files run in its page, and no other site frame it', async () => {
    for (const file of ['/dashboard', '/dashboard/dashboard.js', '/dashboard/dashboard.css']) {
      const { headers } = await fetch(`${url}${file}`);
      expect(headers.get('content-security-policy')).toBe(
        "default-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      );
      expect(headers.get('x-frame-options')).toBe('DENY');
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it('marks the session cookie Secure when the TLS proxy says https, in any of the ways proxies say it', async () => {
    const cookieWith = async (headers: Record<string, string>) =>
      (
        await fetch(`${url}/v1/dashboard/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ key: west.key }),
        })
      ).headers.get('set-cookie')!;
    for (const https of <Record<string, string>[]>[
      { 'x-forwarded-proto': 'https' },
      { 'x-forwarded-proto': 'https, http' },
      { forwarded: 'for=203.0.113.7;proto=https' },
      { forwarded: 'for=203.0.113.7;proto="https";by=10.0.0.1, for=10.0.0.2;proto=http' },
    ])
      expect(await cookieWith(https)).toMatch(/; Secure;/);
    for (const http of <Record<string, string>[]>[
      {},
      { 'x-forwarded-proto': 'http' },
      { forwarded: 'for=203.0.113.7;proto=http' },
    ])
      expect(await cookieWith(http)).not.toMatch(/Secure/);
  });

  it('gives no data without a key or session: 401 Problem Details, never a stream', async () => {
    for (const [route, headers] of [
      ['/v1/dashboard/stores', {}],
      ['/v1/dashboard/stream', {}],
      ['/v1/dashboard/session', {}],
      ['/v1/dashboard/stores', bearer('op_not-a-key-anyone-has')],
      ['/v1/dashboard/stream', { cookie: 'dashboard_session=head-office.99999999999.forged' }],
    ] as const) {
      const response = await fetch(`${url}${route}`, { headers });
      expect({ route, status: response.status }).toEqual({ route, status: 401 });
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      const problem = (await response.json()) as Record<string, unknown>;
      expect(problem).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
      expect(JSON.stringify(problem)).not.toContain('bergen');
    }
  });

  it('refuses a sign-in with a wrong or malformed key, and sets no cookie', async () => {
    const attempt = (body: unknown) =>
      fetch(`${url}/v1/dashboard/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const unknown = await attempt({ key: 'op_unknown' });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('set-cookie')).toBeNull();
    const malformed = await attempt({ key: 'has spaces in it' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ errors: [{ field: 'key' }] });
    expect((await attempt({})).status).toBe(400);
  });

  it('shows a key scoped to two stores exactly those two, on the first view and on the stream', async () => {
    const { cookie, body } = await signIn(west.key);
    expect(body).toMatchObject({ operatorId: 'west', stores: ['bergen', 'stavanger'], stuckAfterSeconds: 60 });
    expect(await (await fetch(`${url}/v1/dashboard/session`, { headers: { cookie } })).json()).toMatchObject({
      operatorId: 'west',
    });
    const { stores } = (await (
      await fetch(`${url}/v1/dashboard/stores`, { headers: { cookie } })
    ).json()) as DashboardView;
    expect(stores.map((entry) => entry.store.storeId)).toEqual(['bergen', 'stavanger']);

    const abort = new AbortController();
    const response = await fetch(`${url}/v1/dashboard/stream`, { headers: { cookie }, signal: abort.signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = serverSentEvents(response);
    const first = (await events.next()).value as ServerSentEvent;
    expect(first.type).toBe('stores');
    expect((first.data as DashboardView).stores.map((entry) => entry.store.storeId)).toEqual(['bergen', 'stavanger']);

    // A payment in a store it may not see, then one in a store it may: only the second reaches it.
    const hidden = await engine.start('tromso', 'N-1', 5_000);
    await engine.sim.control('POST', '/terminals/N-1/present', {});
    await engine.waitForPayment(String(hidden.paymentId), (state) => state.status === 'captured', 'tromso captured');
    const { paymentId } = await engine.start('stavanger', 'S-1', 7_000);
    await engine.sim.control('POST', '/terminals/S-1/present', {});
    const seen = await storesSeenUntilOutcome(events, String(paymentId));
    abort.abort();
    expect(seen).toEqual(['stavanger']);

    // Its activity has its own stores' payments only; the head office sees every store, and every payment.
    const mine = (await (await fetch(`${url}/v1/dashboard/stores`, { headers: { cookie } })).json()) as DashboardView;
    expect(mine.activity).toEqual([expect.objectContaining({ kind: 'payment', paymentId, storeId: 'stavanger' })]);
    const all = (await (
      await fetch(`${url}/v1/dashboard/stores`, { headers: bearer(headOffice.key) })
    ).json()) as DashboardView;
    expect(all.stores.map((entry) => entry.store.storeId)).toEqual(['bergen', 'stavanger', 'tromso']);
    expect(all.activity).toEqual([
      expect.objectContaining({ kind: 'payment', paymentId, storeId: 'stavanger', amount: 7_000 }),
      expect.objectContaining({ kind: 'payment', paymentId: hidden.paymentId, status: 'captured', amount: 5_000 }),
    ]);
  });

  it('streams each payment’s outcome as it is projected, with the store’s last seven days', async () => {
    const abort = new AbortController();
    const response = await fetch(`${url}/v1/dashboard/stream`, {
      headers: bearer(headOffice.key),
      signal: abort.signal,
    });
    const events = serverSentEvents(response);

    const first = (await events.next()).value as ServerSentEvent;
    expect(first.type).toBe('stores');
    const bergen = (first.data as DashboardView).stores.find((entry) => entry.store.storeId === 'bergen');
    expect(bergen?.terminals.map((terminal) => terminal.terminalId)).toEqual(['D-1', 'D-2']);

    const { paymentId } = await engine.start('bergen', 'D-1', 12_300);
    await engine.sim.control('POST', '/terminals/D-1/present', {});
    // The terminal's outcome and the store's day both come, whatever batches they come in.
    let terminalSeen = false;
    let daySeen = false;
    for await (const event of events) {
      expect(event.type).toBe('changes');
      for (const change of event.data as Change[]) {
        if (
          change.model === 'terminal' &&
          change.key === 'bergen.D-1' &&
          change.doc.lastOutcome?.paymentId === paymentId
        ) {
          expect(change.doc.lastOutcome).toMatchObject({ status: 'captured', amount: 12_300, currency: 'NOK' });
          terminalSeen = true;
        }
        if (
          change.model === 'store-day' &&
          change.doc.storeId === 'bergen' &&
          change.doc.currencies.NOK?.capturedCount === 1
        )
          daySeen = true;
      }
      if (terminalSeen && daySeen) break;
    }
    abort.abort();

    // The first view, on its own: what a dashboard that reconnects starts from.
    const view = (await (
      await fetch(`${url}/v1/dashboard/stores`, { headers: bearer(headOffice.key) })
    ).json()) as DashboardView;
    const now = view.stores.find((entry) => entry.store.storeId === 'bergen')!;
    expect(now.terminals.find((terminal) => terminal.terminalId === 'D-1')?.lastOutcome?.paymentId).toBe(paymentId);
    expect(now.today?.currencies.NOK).toMatchObject({ capturedCount: 1, capturedAmount: 12_300 });
    // Every payment of this test is today: no earlier day has a document.
    expect(now.days).toEqual([]);
    expect(view.activity[0]).toMatchObject({ id: `p:${String(paymentId)}`, storeId: 'bergen', terminalId: 'D-1' });
  });

  it('stops sending a store taken off an operator, to a stream already open', async () => {
    const abort = new AbortController();
    const response = await fetch(`${url}/v1/dashboard/stream`, { headers: bearer(west.key), signal: abort.signal });
    const events = serverSentEvents(response);
    expect(((await events.next()).value as ServerSentEvent).type).toBe('stores');
    // West keeps its key and loses stavanger.
    writeOperatorsFile(operatorsFile, [headOffice, { ...west, stores: ['bergen'] }, leaving]);
    expect(engine.projections!.get(OperatorsReloader).reload('test')).toBe(true);
    const hidden = await engine.start('stavanger', 'S-1', 3_000);
    await engine.sim.control('POST', '/terminals/S-1/present', {});
    await engine.waitForPayment(String(hidden.paymentId), (state) => state.status === 'captured', 'captured');
    const { paymentId } = await engine.start('bergen', 'D-2', 2_000);
    await engine.sim.control('POST', '/terminals/D-2/present', {});
    const seen = await storesSeenUntilOutcome(events, String(paymentId));
    abort.abort();
    expect(seen).toEqual(['bergen']);
    writeOperatorsFile(operatorsFile, [headOffice, west, leaving]);
    expect(engine.projections!.get(OperatorsReloader).reload('test')).toBe(true);
  });

  it('ends a session whose key is removed from the file: its open stream stops and it gets 401', async () => {
    const { cookie } = await signIn(leaving.key);
    const response = await fetch(`${url}/v1/dashboard/stream`, { headers: { cookie } });
    const events = serverSentEvents(response);
    expect(((await events.next()).value as ServerSentEvent).type).toBe('stores');

    writeOperatorsFile(operatorsFile, [headOffice, west]);
    expect(engine.projections!.get(OperatorsReloader).reload('test')).toBe(true);
    expect((await fetch(`${url}/v1/dashboard/stores`, { headers: { cookie } })).status).toBe(401);
    // The stream ends at its next batch of changes.
    const { paymentId } = await engine.start('bergen', 'D-2', 1_000);
    await engine.sim.control('POST', '/terminals/D-2/present', {});
    await engine.waitForPayment(String(paymentId), (state) => state.status === 'captured', 'captured');
    const rest: ServerSentEvent[] = [];
    for await (const event of events) rest.push(event);
    expect(rest.every((event) => event.type === 'changes')).toBe(true);
  });

  it('ends a signed-out session on every instance: a copy of its cookie gets 401, its open stream stops at a change', async () => {
    const shared = {
      EVENT_STORE_URL: `sqlite:${engine.eventStoreFile}`,
      NATS_PREFIX: engine.prefix,
      OPERATORS_FILE: operatorsFile,
      DASHBOARD_SESSION_SECRET: 'd'.repeat(32),
    };
    const first = await startProjections(shared);
    const second = await startProjections(shared);
    try {
      const [firstUrl, secondUrl] = [await first.getUrl(), await second.getUrl()];
      const { cookie } = await signIn(west.key, firstUrl);
      // A copy of the cookie, on the other instance: signed in there too, its stream open.
      expect((await fetch(`${secondUrl}/v1/dashboard/stores`, { headers: { cookie } })).status).toBe(200);
      const events = serverSentEvents(await fetch(`${secondUrl}/v1/dashboard/stream`, { headers: { cookie } }));
      expect(((await events.next()).value as ServerSentEvent).type).toBe('stores');

      const signedOut = await fetch(`${firstUrl}/v1/dashboard/session`, { method: 'DELETE', headers: { cookie } });
      expect(signedOut.status).toBe(204);
      expect(signedOut.headers.get('set-cookie')).toMatch(/^dashboard_session=; Max-Age=0/);
      expect(await fetch(`${firstUrl}/v1/dashboard/stores`, { headers: { cookie } })).toMatchObject({ status: 401 });
      await waitUntil(
        async () => (await fetch(`${secondUrl}/v1/dashboard/stores`, { headers: { cookie } })).status === 401,
        5_000,
        'the sign-out seen by the other instance',
      );
      const refused = await fetch(`${secondUrl}/v1/dashboard/stores`, { headers: { cookie } });
      expect(((await refused.json()) as { detail: string }).detail).toBe('The session was signed out: sign in again');
      // The open stream ends at its next batch of changes.
      const { paymentId } = await engine.start('bergen', 'D-1', 1_200);
      await engine.sim.control('POST', '/terminals/D-1/present', {});
      await engine.waitForPayment(String(paymentId), (state) => state.status === 'captured', 'captured');
      const rest: ServerSentEvent[] = [];
      for await (const event of events) rest.push(event);
      expect(rest.every((event) => event.type === 'changes')).toBe(true);
      // A new sign-in with the same key is a new session.
      const { cookie: fresh } = await signIn(west.key, secondUrl);
      expect((await fetch(`${firstUrl}/v1/dashboard/stores`, { headers: { cookie: fresh } })).status).toBe(200);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('ends its event streams when the app stops, so that an open tab never holds the stop', async () => {
    const second = await startProjections({
      EVENT_STORE_URL: `sqlite:${engine.eventStoreFile}`,
      NATS_PREFIX: engine.prefix,
      OPERATORS_FILE: operatorsFile,
    });
    const response = await fetch(`${await second.getUrl()}/v1/dashboard/stream`, { headers: bearer(headOffice.key) });
    const events = serverSentEvents(response);
    expect(((await events.next()).value as ServerSentEvent).type).toBe('stores');

    await second.close();
    const rest: ServerSentEvent[] = [];
    for await (const event of events) rest.push(event);
    expect(rest.every((event) => event.type === 'changes')).toBe(true);
  });
});

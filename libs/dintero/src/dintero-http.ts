import type { Dispatcher } from 'undici';
import { OriginPools } from './origin-pools';
import { DINTERO_SYSTEM_HEADERS } from './system-headers';
import { DinteroRejectedError, DinteroUnavailableError } from './dintero.errors';
import { Attempt, abandonable, describe, neverConnected } from './call-attempt';
import { errorFrom, headerOf, jsonOrNothing, parseAnswer, parseRetryAfter } from './dintero-answers';
import type { DinteroCallObservation, DinteroClientOptions } from './dintero-client.options';

/**
 * The token's audience: the account as Dintero names it (`https://api.dintero.com/v1/accounts/{aid}`, the
 * specification's example), whatever host the API is reached at: it identifies the grant, it is not an address.
 */
export const dinteroAudience = (accountId: string): string => `https://api.dintero.com/v1/accounts/${accountId}`;

export type Safety = 'safe' | 'unsafe';

/** A path on the API host rather than the checkout host (a plain string path is the checkout host's). */
export interface ApiPath {
  readonly host: 'api';
  readonly path: string;
}

/** One call of Dintero's API: what it is (for metrics), whether it is safe to repeat, and the request. */
export interface ApiCall {
  readonly operation: string;
  readonly safety: Safety;
  readonly method: string;
  readonly path: string | ApiPath;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /**
   * A 202 may come without a body (a refund, void or capture: the specification names only its `event-request-id`
   * header): its body is then undefined. Any other call needs its answer's body.
   */
  readonly acceptedWithoutBody?: boolean;
  readonly signal?: AbortSignal;
}

/** A successful answer: the body, and whether Dintero did it (200) or took it to do later (202). */
export interface Answer<T> {
  readonly body: T;
  readonly status: number;
  header(name: string): string | undefined;
}

interface Sent {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** The caller's (`CallOptions.signal`). */
  readonly signal?: AbortSignal;
}

interface CachedToken {
  readonly value: string;
  readonly renewAt: number;
}

/**
 * How a call of `DinteroClient`'s reaches Dintero: with a cached token, over kept-alive connections, each attempt
 * within the timeout, tried again only as its safety allows (the retries `DinteroClient` describes).
 */
export class DinteroHttp {
  private token: CachedToken | undefined;
  private tokenInFlight: Promise<string> | undefined;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly unsafeSendWindowMs: number;
  private readonly renewMarginMs: number;
  private readonly now: () => number;
  /** One pool of kept-alive connections per Dintero host (API and checkout). */
  private readonly pools = new OriginPools({ connections: 64, keepAliveTimeout: 30_000 });

  constructor(private readonly options: DinteroClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.retryBaseMs = options.retryBaseMs ?? 200;
    this.unsafeSendWindowMs = options.unsafeSendWindowMs ?? 45_000;
    this.renewMarginMs = options.tokenRenewMarginMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** A cached token, renewed before it runs out; one request in flight however many callers wait. */
  async accessToken(): Promise<string> {
    if (this.token && this.now() < this.token.renewAt) return this.token.value;
    this.tokenInFlight ??= this.fetchToken().finally(() => (this.tokenInFlight = undefined));
    return this.tokenInFlight;
  }

  private async fetchToken(): Promise<string> {
    const { accountId, clientId, clientSecret, apiUrl } = this.options;
    const { body } = await this.send<{ access_token: string; expires_in: number }>(
      'safe',
      `${apiUrl}/v1/accounts/${accountId}/auth/token`,
      {
        method: 'POST',
        headers: {
          ...DINTERO_SYSTEM_HEADERS,
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ grant_type: 'client_credentials', audience: dinteroAudience(accountId) }),
      } satisfies Sent,
    );
    if (typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') {
      throw new DinteroUnavailableError('Dintero returned a token response without access_token or expires_in');
    }
    // Trust `expires_in` (the sources disagree on the lifetime, §1); renew a margin before, or halfway for short tokens.
    const lifetimeMs = body.expires_in * 1000;
    const renewAt = this.now() + Math.max(lifetimeMs - this.renewMarginMs, lifetimeMs / 2);
    this.token = { value: body.access_token, renewAt };
    return body.access_token;
  }

  /** One call, its retries and a fresh token after a 401 included, told to `observe` once it has ended. */
  async call<T>(call: ApiCall): Promise<Answer<T>> {
    const { operation } = call;
    const started = performance.now();
    const observe = (outcome: DinteroCallObservation['outcome']) =>
      this.options.observe?.({ operation, outcome, seconds: (performance.now() - started) / 1000 });
    try {
      const result = await this.callOnce<T>(call);
      observe('ok');
      return result;
    } catch (error) {
      observe(error instanceof DinteroRejectedError ? 'rejected' : 'unavailable');
      throw error;
    }
  }

  private async callOnce<T>({
    safety,
    method,
    path,
    body,
    headers = {},
    acceptedWithoutBody = false,
    signal,
  }: ApiCall): Promise<Answer<T>> {
    const url = typeof path === 'string' ? `${this.options.checkoutUrl}${path}` : `${this.options.apiUrl}${path.path}`;
    const notAfter = safety === 'unsafe' ? performance.now() + this.unsafeSendWindowMs : undefined;
    const request = (token: string) =>
      this.send<T>(
        safety,
        url,
        {
          method,
          headers: {
            ...DINTERO_SYSTEM_HEADERS,
            ...headers,
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          ...(signal ? { signal } : {}),
        },
        notAfter,
        acceptedWithoutBody,
      );
    // The token fetch is shared by every call waiting for it: a caller that gives up stops waiting, it goes on.
    try {
      return await request(await abandonable(this.accessToken(), signal));
    } catch (error) {
      // A token revoked or expired early: nothing was done with a 401, so drop it and try once more.
      if (!(error instanceof DinteroRejectedError) || error.status !== 401) throw error;
      this.token = undefined;
      return request(await abandonable(this.accessToken(), signal));
    }
  }

  /** `DinteroClient.longestUnsafeCallMs`: the last attempt starts within `unsafeSendWindowMs`, ends within the timeout. */
  get longestUnsafeCallMs(): number {
    return this.unsafeSendWindowMs + this.timeoutMs;
  }

  private async send<T>(
    safety: Safety,
    url: string,
    sent: Sent,
    notAfter?: number,
    acceptedWithoutBody = false,
  ): Promise<Answer<T>> {
    const { origin, pathname, search } = new URL(url);
    for (let attempt = 1; ; attempt++) {
      // The caller gave up (before the first attempt, or during a backoff): nothing more is sent.
      sent.signal?.throwIfAborted();
      if (notAfter !== undefined && performance.now() > notAfter)
        throw new DinteroUnavailableError(
          `${sent.method} ${pathname} was not sent: the ${this.unsafeSendWindowMs} ms it may be sent within ran out`,
          undefined,
          { notSent: true },
        );
      let response: Dispatcher.ResponseData;
      // The whole call, answer and body, within the timeout: a timer of our own, since undici's own header
      // and body timeouts tick at a second's resolution. The caller's signal ends it too.
      const thisAttempt = new Attempt(this.timeoutMs, sent.signal);
      try {
        response = await this.pools.get(origin).request({
          path: `${pathname}${search}`,
          method: sent.method,
          headers: sent.headers,
          ...(sent.body === undefined ? {} : { body: sent.body }),
          signal: thisAttempt.signal,
        });
      } catch (error) {
        thisAttempt.end();
        sent.signal?.throwIfAborted();
        const notSent = neverConnected(error);
        if ((safety === 'safe' || notSent) && attempt < this.maxAttempts) {
          await this.backoff(attempt, undefined, sent.signal);
          continue;
        }
        throw new DinteroUnavailableError(
          `Dintero ${notSent ? 'could not be reached for' : 'did not answer'} ${sent.method} ${pathname}: ${describe(error)}`,
          undefined,
          { cause: error, notSent },
        );
      }
      const status = response.statusCode;
      const header = (name: string) => headerOf(response.headers, name);
      if (status >= 200 && status < 300) {
        // A body that does not arrive in time is no answer either: the outcome is unknown.
        const text = await response.body
          .text()
          .catch((error: unknown) => {
            sent.signal?.throwIfAborted();
            throw new DinteroUnavailableError(
              `Dintero's answer to ${sent.method} ${pathname} broke off: ${describe(error)}`,
              undefined,
              { cause: error },
            );
          })
          .finally(() => thisAttempt.end());
        // A refund's (void's, capture's) 202 says all it must in its status and its `event-request-id`: a body that
        // is not JSON (none at all, the specification shows none) leaves it accepted, not unanswered.
        if (status === 202 && acceptedWithoutBody) return { body: jsonOrNothing(text) as T, status, header };
        return { body: parseAnswer<T>(text, sent.method, pathname), status, header };
      }
      // An error answer's body is read within the same timeout: one that never ends (a proxy's half-sent page) is
      // cut off by it, as a success's is, where the pool's own body timeout (minutes) would have held the caller.
      const retryAfterMs = parseRetryAfter(header('retry-after') ?? null);
      const retriable = status === 429 || (safety === 'safe' && status >= 500);
      if (retriable && attempt < this.maxAttempts) {
        await response.body
          .dump()
          .catch(() => undefined)
          .finally(() => thisAttempt.end());
        await this.backoff(attempt, retryAfterMs, sent.signal);
        continue;
      }
      const text = await response.body
        .text()
        .catch(() => '')
        .finally(() => thisAttempt.end());
      throw errorFrom(status, text, sent.method, pathname, retryAfterMs);
    }
  }

  /** Closes the kept-alive connections: the app is stopping. */
  close(): Promise<void> {
    return this.pools.close();
  }

  /** The pause before another attempt; cut short when the caller gives up (the next attempt is then not made). */
  private backoff(attempt: number, retryAfterMs?: number, signal?: AbortSignal): Promise<void> {
    const delay = retryAfterMs ?? this.retryBaseMs * 2 ** (attempt - 1);
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(delay, 30_000));
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

import type { Dispatcher } from 'undici';
import { OriginPools } from './origin-pools';
import { DINTERO_SYSTEM_HEADERS } from './system-headers';
import { DinteroRejectedError, DinteroUnavailableError } from './dintero.errors';
import type {
  DinteroTerminalOperation,
  TerminalOperationRequest,
  DinteroStore,
  DinteroTerminal,
  StoreCreation,
  TerminalFilters,
  TerminalRegistration,
  DinteroSession,
  DinteroTransaction,
  RefundRequest,
  SessionCreated,
  TerminalSessionRequest,
  TransactionFilters,
} from './dintero.types';

export interface DinteroClientOptions {
  readonly accountId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** `https://api.dintero.com` in production (token endpoint, stores and terminals). */
  readonly apiUrl: string;
  /** `https://checkout.dintero.com` in production (sessions, transactions, terminal operations). */
  readonly checkoutUrl: string;
  readonly timeoutMs?: number;
  /** Attempts for calls that are safe to repeat, including the first. */
  readonly maxAttempts?: number;
  readonly retryBaseMs?: number;
  /**
   * How long after a call that is not safe to repeat began its attempts may still start (45 s by default). None
   * starts later, so such a call sends nothing after `longestUnsafeCallMs`.
   */
  readonly unsafeSendWindowMs?: number;
  /** Renew the token this long before `expires_in` runs out. */
  readonly tokenRenewMarginMs?: number;
  /** Injected clock, for token expiry. */
  readonly now?: () => number;
  /** Told of every API call once it has ended (after its retries): for latency and error metrics. */
  readonly observe?: (call: DinteroCallObservation) => void;
}

/** What a caller may add to a read of Dintero's. */
export interface CallOptions {
  /**
   * The caller's: aborted, the request under way is cut off (its connection closed), no attempt follows, and the
   * call fails with the signal's reason. The shared token fetch is not cut off: the call only stops waiting for it.
   */
  readonly signal?: AbortSignal;
}

export interface DinteroCallObservation {
  /** The operation, e.g. `createSession`, never an id. */
  readonly operation: string;
  /** `ok`, `rejected` (Dintero said no) or `unavailable` (no answer: outcome unknown). */
  readonly outcome: 'ok' | 'rejected' | 'unavailable';
  readonly seconds: number;
}

/**
 * The token's audience: the account as Dintero names it (`https://api.dintero.com/v1/accounts/{aid}`, the
 * specification's example), whatever host the API is reached at: it identifies the grant, it is not an address.
 */
export const dinteroAudience = (accountId: string): string => `https://api.dintero.com/v1/accounts/${accountId}`;

/**
 * Where the terminal goes in an in-person refund body: documented as required ("Refund in-person
 * payments", docs.dintero.com/docs/checkout/in-person), its position not shown there nor in the
 * specification. Top level until Dintero says otherwise; this constant is the one place to change.
 */
export const REFUND_TERMINAL_FIELD = 'terminal_id';

type Safety = 'safe' | 'unsafe';

/** A path on the API host rather than the checkout host (a plain string path is the checkout host's). */
interface ApiPath {
  readonly host: 'api';
  readonly path: string;
}

/** One call of Dintero's API: what it is (for metrics), whether it is safe to repeat, and the request. */
interface ApiCall {
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
interface Answer<T> {
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

/**
 * A refund, void or capture: `done` (200) with the transaction as it is after; or `accepted` (202): Dintero
 * will do it later and record the result as a transaction event whose `correlation_request_id` is
 * `requestId` (the `event-request-id` header). The transaction then shows the request, not its result.
 */
export type TransactionOperationResult =
  | { readonly kind: 'done'; readonly transaction: DinteroTransaction }
  | {
      readonly kind: 'accepted';
      /** The transaction as it is now, when Dintero's 202 carries it: the specification names only the header. */
      readonly transaction?: DinteroTransaction;
      readonly requestId?: string;
    };

interface CachedToken {
  readonly value: string;
  readonly renewAt: number;
}

/**
 * Dintero's Checkout API for terminal payments. No library is used: Dintero's own Node SDK is generated
 * types plus an untyped fetch wrapper, and what matters here (which calls may be retried, and the
 * difference between "refused" and "unknown") is this client's whole job.
 *
 * Retries: reads and session cancel are safe to repeat and are retried on 5xx, 429 and network errors.
 * Session creation, refund, capture and void are not (Dintero documents no idempotency key, §7): they
 * are retried only when the request cannot have taken effect (429, or no connection could be made); any
 * other failure is `DinteroUnavailableError`, outcome unknown (`notSent` when no connection was ever made).
 */
export class DinteroClient {
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

  /**
   * A session created: an answer without its id (a string) is an outcome unknown, as one that is not JSON. A
   * session may have been made, and nothing could cancel or look it up by an id taken as given.
   */
  async createTerminalSession(request: TerminalSessionRequest): Promise<SessionCreated> {
    const created = await this.body<Partial<SessionCreated> | null>(
      'createSession',
      'unsafe',
      'POST',
      '/v1/sessions-profile',
      {
        profile_id: request.profileId,
        url: { return_url: request.returnUrl, callback_url: request.callbackUrl },
        order: {
          amount: request.amount,
          currency: request.currency,
          merchant_reference: request.merchantReference,
          // Every Dintero transaction then names its payment (docs/design.md, Dintero mapping).
          merchant_reference_2: request.paymentId,
          store: {
            id: request.storeId,
            terminal_id: request.terminalId,
            payout_destination_id: request.payoutDestinationId,
          },
          ...(request.items ? { items: request.items } : {}),
        },
        expires_at: request.expiresAt,
        ...(request.metadata ? { metadata: request.metadata } : {}),
      },
    );
    if (typeof created?.id !== 'string' || created.id === '')
      throw new DinteroUnavailableError("Dintero's answer to POST /v1/sessions-profile has no session id");
    return created as SessionCreated;
  }

  getSession(sessionId: string, options: CallOptions = {}): Promise<DinteroSession> {
    return this.read('getSession', `/v1/sessions/${encodeURIComponent(sessionId)}`, options);
  }

  /** The session, or `undefined` when Dintero does not know it (then nothing can have been paid through it). */
  findSession(sessionId: string, options: CallOptions = {}): Promise<DinteroSession | undefined> {
    return this.orNone(this.getSession(sessionId, options));
  }

  /** Cancelling twice cancels once, so it is safe to repeat. */
  cancelSession(sessionId: string): Promise<DinteroSession> {
    return this.body('cancelSession', 'safe', 'POST', `/v1/sessions/${encodeURIComponent(sessionId)}/cancel`);
  }

  getTransaction(transactionId: string, options: CallOptions = {}): Promise<DinteroTransaction> {
    return this.read('getTransaction', `/v1/transactions/${encodeURIComponent(transactionId)}`, options);
  }

  async listTransactions(filters: TransactionFilters = {}): Promise<DinteroTransaction[]> {
    const query = new URLSearchParams();
    for (const status of filters.status ?? []) query.append('status', status);
    for (const id of filters.sessionId ?? []) query.append('session_id', id);
    for (const id of filters.storeId ?? []) query.append('store_id', id);
    for (const id of filters.terminalId ?? []) query.append('terminal_id', id);
    for (const type of filters.paymentProductType ?? []) query.append('payment_product_type', type);
    if (filters.createdAtGte !== undefined) query.set('created_at.gte', filters.createdAtGte);
    if (filters.merchantReference !== undefined) query.set('merchant_reference', filters.merchantReference);
    if (filters.merchantReference2 !== undefined) query.set('merchant_reference_2', filters.merchantReference2);
    if (filters.limit !== undefined) query.set('limit', String(filters.limit));
    if (filters.startingAfter !== undefined) query.set('starting_after', filters.startingAfter);
    const search = query.toString();
    const path = `/v1/transactions${search ? `?${search}` : ''}`;
    return listed(await this.body<DinteroTransaction[]>('listTransactions', 'safe', 'GET', path), `GET ${path}`);
  }

  /**
   * Refunds at the terminal where the cardholder is. The in-person refund needs `terminal_id`; Dintero's
   * in-person refund guide requires it without showing where in the body it goes, and the published
   * specification's refund body has no such field. It is sent at the top level: if Dintero places it
   * elsewhere, `REFUND_TERMINAL_FIELD` is the one place to change.
   */
  refund(transactionId: string, request: RefundRequest): Promise<TransactionOperationResult> {
    return this.operation('refund', `/v1/transactions/${encodeURIComponent(transactionId)}/refund`, {
      amount: request.amount,
      refund_reference: request.refundReference,
      [REFUND_TERMINAL_FIELD]: request.terminalId,
      ...(request.reason ? { reason: request.reason } : {}),
    });
  }

  void(transactionId: string): Promise<TransactionOperationResult> {
    return this.operation('void', `/v1/transactions/${encodeURIComponent(transactionId)}/void`);
  }

  capture(transactionId: string, amount: number): Promise<TransactionOperationResult> {
    return this.operation('capture', `/v1/transactions/${encodeURIComponent(transactionId)}/capture`, { amount });
  }

  /** The store at Dintero by the merchant's store id, or `undefined` when Dintero has none. */
  getStore(storeId: string): Promise<DinteroStore | undefined> {
    return this.orNone(this.body('getStore', 'safe', 'GET', this.account(`/stores/${encodeURIComponent(storeId)}`)));
  }

  /**
   * Creates the store at Dintero. Not safe to repeat as such (a second call is `409`): a caller that does not
   * know whether it was done looks with `getStore` first.
   */
  createStore(store: StoreCreation): Promise<DinteroStore> {
    return this.body('createStore', 'unsafe', 'POST', this.account('/stores'), {
      store_id: store.storeId,
      store_name: store.name,
      payout_destination: { payout_destination_id: store.payoutDestinationId },
      ...(store.organizationNumber ? { organization: { organization_number: store.organizationNumber } } : {}),
    });
  }

  getTerminal(terminalId: string): Promise<DinteroTerminal | undefined> {
    return this.orNone(
      this.body('getTerminal', 'safe', 'GET', this.account(`/terminals/${encodeURIComponent(terminalId)}`)),
    );
  }

  /** Every terminal that matches, page after page (`starting_after`). */
  async listTerminals(filters: TerminalFilters = {}): Promise<DinteroTerminal[]> {
    const terminals: DinteroTerminal[] = [];
    let startingAfter: string | undefined;
    do {
      const query = new URLSearchParams({ limit: '100' });
      if (filters.storeId !== undefined) query.set('store_id', filters.storeId);
      if (filters.deviceSerialNumber !== undefined) query.set('device_serial_number', filters.deviceSerialNumber);
      if (startingAfter !== undefined) query.set('starting_after', startingAfter);
      const page = await this.body<{ terminals: DinteroTerminal[]; starting_after?: string }>(
        'listTerminals',
        'safe',
        'GET',
        this.account(`/terminals?${query.toString()}`),
      );
      terminals.push(...listed(page?.terminals, `GET /v1/accounts/…/terminals`));
      startingAfter = page.terminals.length > 0 ? page.starting_after : undefined;
    } while (startingAfter);
    return terminals;
  }

  /**
   * Registers a device at Dintero, which gives it a `terminal_id`. Not safe to repeat as such: a caller that
   * does not know whether it was done looks for the serial with `listTerminals` first.
   */
  registerTerminal(terminal: TerminalRegistration): Promise<DinteroTerminal> {
    return this.body('registerTerminal', 'unsafe', 'POST', this.account('/terminals'), {
      device_serial_number: terminal.deviceSerialNumber,
      store_id: terminal.storeId,
    });
  }

  /**
   * Sends a terminal operation. Safe to repeat: Dintero runs one operation per `Idempotency-Key`, so the same
   * key after an unknown outcome gives the same operation. A terminal with an operation pending already is
   * `DinteroRejectedError` 409 with `retryAfterMs`.
   */
  sendTerminalOperation(request: TerminalOperationRequest): Promise<DinteroTerminalOperation> {
    return this.body(
      'sendTerminalOperation',
      'safe',
      'POST',
      '/v1/admin/terminals/operations',
      {
        terminal_id: request.terminalId,
        operation: request.operation,
        ...(request.operatorId ? { parameters: { operator_id: request.operatorId } } : {}),
      },
      { 'idempotency-key': request.idempotencyKey },
    );
  }

  /**
   * The operation as Dintero has it now, or `undefined` when it has none of that id. Asked by terminal and
   * operation, as Dintero's guide polls it: the list is the terminal's.
   */
  async getTerminalOperation(
    dinteroTerminalId: string,
    operationId: string,
  ): Promise<DinteroTerminalOperation | undefined> {
    const query = new URLSearchParams({ terminal_id: dinteroTerminalId, operation_id: operationId });
    const found = await this.body<DinteroTerminalOperation[]>(
      'getTerminalOperation',
      'safe',
      'GET',
      `/v1/admin/terminals/operations?${query.toString()}`,
    );
    return listed(found, 'GET /v1/admin/terminals/operations').find((operation) => operation.id === operationId);
  }

  /** A path of the account management API, on the API host (`https://api.dintero.com`). */
  private account(path: string): ApiPath {
    return { host: 'api', path: `/v1/accounts/${this.options.accountId}${path}` };
  }

  /** Dintero's `404`: there is no such thing. */
  private async orNone<T>(call: Promise<T>): Promise<T | undefined> {
    try {
      return await call;
    } catch (error) {
      if (error instanceof DinteroRejectedError && error.status === 404) return undefined;
      throw error;
    }
  }

  private async operation(operation: string, path: string, body?: unknown): Promise<TransactionOperationResult> {
    const answer = await this.call<DinteroTransaction | undefined>({
      operation,
      safety: 'unsafe',
      method: 'POST',
      path,
      body,
      acceptedWithoutBody: true,
    });
    if (answer.status !== 202) {
      if (answer.body === undefined)
        throw new DinteroUnavailableError(`Dintero's answer to POST ${path} holds no transaction`);
      return { kind: 'done', transaction: answer.body };
    }
    const requestId = answer.header('event-request-id');
    return {
      kind: 'accepted',
      ...(answer.body === undefined ? {} : { transaction: answer.body }),
      ...(requestId ? { requestId } : {}),
    };
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

  /** A GET of the checkout host, which the caller may abandon (`CallOptions.signal`). */
  private async read<T>(operation: string, path: string, { signal }: CallOptions): Promise<T> {
    return (await this.call<T>({ operation, safety: 'safe', method: 'GET', path, ...(signal ? { signal } : {}) })).body;
  }

  private async body<T>(
    operation: string,
    safety: Safety,
    method: string,
    path: string | ApiPath,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    return (await this.call<T>({ operation, safety, method, path, body, headers })).body;
  }

  private async call<T>(call: ApiCall): Promise<Answer<T>> {
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

  /**
   * The longest a call that is not safe to repeat (a refund, a capture, a session) can go on from its start: its
   * last attempt starts within `unsafeSendWindowMs` and ends within the timeout. What Dintero has no trace of
   * that long after such a call began was never sent (the reconciler waits this long before taking silence for
   * a no). The command and ingest services take it from the same settings (`DINTERO_TIMEOUT_MS`).
   */
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

  /** Nest calls it on the provider when the app stops. */
  onApplicationShutdown(): Promise<void> {
    return this.close();
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

/** A successful answer's JSON body; one that is not JSON tells nothing of what was done: the outcome is unknown. */
function jsonOrNothing(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function parseAnswer<T>(text: string, method: string, pathname: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new DinteroUnavailableError(`Dintero's answer to ${method} ${pathname} is not JSON`, undefined, {
      cause: error,
    });
  }
}

/**
 * An error answer as the engine keeps it: Dintero's `error.code`, `error.message` and `error.errors[].message`,
 * cut short and without credentials. Its messages reach logs, the event log (an outcome's reason) and the answer to
 * the caller, and an answer that echoes the request (a proxy's error page, a debugging upstream) would carry the
 * bearer token or the client's secret with it: a body that is not Dintero's error format is not kept at all.
 */
function errorFrom(status: number, text: string, method: string, pathname: string, retryAfterMs?: number): Error {
  let code = `HTTP_${status}`;
  let message = `HTTP ${status}, with a body that is not Dintero's error format`;
  let errors: unknown[] = [];
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; errors?: unknown } };
    if (typeof body?.error?.code === 'string') code = withoutCredentials(body.error.code).slice(0, 100);
    if (typeof body?.error?.message === 'string') message = withoutCredentials(body.error.message).slice(0, 500);
    if (Array.isArray(body?.error?.errors))
      errors = body.error.errors.slice(0, 20).map((each: unknown) => {
        const text = (each as { message?: unknown } | null)?.message;
        return { message: typeof text === 'string' ? withoutCredentials(text).slice(0, 500) : 'not given' };
      });
  } catch {
    // Not Dintero's JSON error body (a proxy's page, say): the status alone.
  }
  if (status >= 400 && status < 500 && status !== 429) {
    return new DinteroRejectedError(status, code, message, errors, retryAfterMs);
  }
  return new DinteroUnavailableError(`Dintero answered ${status} ${code} to ${method} ${pathname}: ${message}`, status);
}

/** The text with what follows `Bearer`, `Basic`, a token or a secret's name taken out. */
export function withoutCredentials(text: string): string {
  return text
    .replace(/\b(bearer|basic)(\s+|=|%20|\+)[A-Za-z0-9._~+/=%-]+/gi, '$1 [redacted]')
    .replace(
      /\b(authorization|access_token|client_secret|password|secret|token)("?\s*[:=]\s*"?)[^\s",;&}]+/gi,
      '$1$2[redacted]',
    );
}

function headerOf(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(date - Date.now(), 0);
}

/**
 * One attempt's signal: aborted when the client's timeout passes or the caller's signal is, whichever comes first.
 * `end` once the attempt is over (its body read), so that neither the timer nor the listener outlives it.
 */
class Attempt {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly abandon: (() => void) | undefined;

  constructor(
    timeoutMs: number,
    private readonly caller?: AbortSignal,
  ) {
    this.timer = setTimeout(() => this.controller.abort(new CallTimedOut()), timeoutMs);
    if (caller) {
      this.abandon = () => this.controller.abort(caller.reason);
      caller.addEventListener('abort', this.abandon, { once: true });
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  end(): void {
    clearTimeout(this.timer);
    if (this.abandon) this.caller?.removeEventListener('abort', this.abandon);
  }
}

/** `work`'s result, or the signal's reason as soon as it is aborted (`work` goes on, unwaited for). */
function abandonable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    // An abort without a reason has a DOMException (an Error) for one.
    const abandon = () => reject(signal.reason as Error);
    if (signal.aborted) abandon();
    else signal.addEventListener('abort', abandon, { once: true });
    // Subscribed whatever the signal: a failure of the work, unwaited for, is not an unhandled rejection.
    void work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abandon));
  });
}

/** Our deadline for a call passed: the reason the call was aborted with. */
class CallTimedOut extends Error {
  constructor() {
    super('timed out');
    this.name = 'TimeoutError';
  }
}

/**
 * The errors of making a connection, before any byte of a request is written: a request that failed with one never
 * reached Dintero. Not a reset, a close or a timeout of the whole call: those may come after the request was sent.
 */
const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function neverConnected(error: unknown): boolean {
  const { code, cause } = error as { code?: string; cause?: { code?: string } };
  return CONNECT_ERRORS.has(code ?? '') || CONNECT_ERRORS.has(cause?.code ?? '');
}

function describe(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  if (error instanceof CallTimedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return 'timed out';
  return code ?? message ?? String(error);
}

/**
 * A list Dintero answered, or `DinteroUnavailableError` for an answer that holds none: a shape this client does not
 * know tells nothing of what Dintero has, and is an outcome to find out again, not a `TypeError` in the caller.
 */
function listed<T>(answer: T[] | undefined, call: string): T[] {
  if (!Array.isArray(answer)) throw new DinteroUnavailableError(`Dintero's answer to ${call} holds no list`);
  return answer;
}

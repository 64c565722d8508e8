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
import type { CallOptions, DinteroClientOptions } from './dintero-client.options';
import { listed } from './dintero-answers';
import { DinteroHttp, type ApiPath, type Safety } from './dintero-http';
import {
  refundBody,
  sessionBody,
  storeBody,
  terminalOperationBody,
  terminalRegistrationBody,
  terminalsQuery,
  transactionsSearch,
} from './dintero-requests';

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
  /** The token, the connections and the retries: how each call below is sent. */
  private readonly http: DinteroHttp;

  constructor(private readonly options: DinteroClientOptions) {
    this.http = new DinteroHttp(options);
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
      sessionBody(request),
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
    const path = `/v1/transactions${transactionsSearch(filters)}`;
    return listed(await this.body<DinteroTransaction[]>('listTransactions', 'safe', 'GET', path), `GET ${path}`);
  }

  /**
   * Refunds at the terminal where the cardholder is. The in-person refund needs `terminal_id`; Dintero's
   * in-person refund guide requires it without showing where in the body it goes, and the published
   * specification's refund body has no such field. It is sent at the top level: if Dintero places it
   * elsewhere, `REFUND_TERMINAL_FIELD` is the one place to change.
   */
  refund(transactionId: string, request: RefundRequest): Promise<TransactionOperationResult> {
    return this.operation(
      'refund',
      `/v1/transactions/${encodeURIComponent(transactionId)}/refund`,
      refundBody(request),
    );
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
    return this.body('createStore', 'unsafe', 'POST', this.account('/stores'), storeBody(store));
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
      const page = await this.body<{ terminals: DinteroTerminal[]; starting_after?: string }>(
        'listTerminals',
        'safe',
        'GET',
        this.account(`/terminals?${terminalsQuery(filters, startingAfter)}`),
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
    return this.body(
      'registerTerminal',
      'unsafe',
      'POST',
      this.account('/terminals'),
      terminalRegistrationBody(terminal),
    );
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
      terminalOperationBody(request),
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
    const answer = await this.http.call<DinteroTransaction | undefined>({
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
  accessToken(): Promise<string> {
    return this.http.accessToken();
  }

  /** A GET of the checkout host, which the caller may abandon (`CallOptions.signal`). */
  private async read<T>(operation: string, path: string, { signal }: CallOptions): Promise<T> {
    return (await this.http.call<T>({ operation, safety: 'safe', method: 'GET', path, ...(signal ? { signal } : {}) }))
      .body;
  }

  private async body<T>(
    operation: string,
    safety: Safety,
    method: string,
    path: string | ApiPath,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    return (await this.http.call<T>({ operation, safety, method, path, body, headers })).body;
  }

  /**
   * The longest a call that is not safe to repeat (a refund, a capture, a session) can go on from its start: its
   * last attempt starts within `unsafeSendWindowMs` and ends within the timeout. What Dintero has no trace of
   * that long after such a call began was never sent (the reconciler waits this long before taking silence for
   * a no). The command and ingest services take it from the same settings (`DINTERO_TIMEOUT_MS`).
   */
  get longestUnsafeCallMs(): number {
    return this.http.longestUnsafeCallMs;
  }

  /** Closes the kept-alive connections: the app is stopping. */
  close(): Promise<void> {
    return this.http.close();
  }

  /** Nest calls it on the provider when the app stops. */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}

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

/**
 * One attempt of a call to Dintero and what its failure means: its own deadline, the caller's signal, and whether the
 * request can have reached Dintero at all.
 */

/**
 * One attempt's signal: aborted when the client's timeout passes or the caller's signal is, whichever comes first.
 * `end` once the attempt is over (its body read), so that neither the timer nor the listener outlives it.
 */
export class Attempt {
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
export function abandonable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
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

export function neverConnected(error: unknown): boolean {
  const { code, cause } = error as { code?: string; cause?: { code?: string } };
  return CONNECT_ERRORS.has(code ?? '') || CONNECT_ERRORS.has(cause?.code ?? '');
}

export function describe(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  if (error instanceof CallTimedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return 'timed out';
  return code ?? message ?? String(error);
}

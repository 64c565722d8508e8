/** The longest `delay_callback` Dintero honours: "The maximum delay is 60 seconds" (the spec's `CallbackUrl`). */
const MAX_DELAY_SECONDS = 60;

/** What a session's `callback_url` asks of its callbacks through its query (§4), besides `report_*` and `method`. */
export interface CallbackOptions {
  /** The query parameter that carries the session id: `sid` when the URL says `sid_parameter_name=sid`. */
  readonly sessionParameter: 'session_id' | 'sid';
  /** `delay_callback=<seconds>`: how long Dintero waits before its first attempt, at most 60 s. */
  readonly delayMs: number;
  /** `includes=session`: a POST callback's transaction carries the session it came from. */
  readonly includeSession: boolean;
}

/**
 * Reads the options of a callback URL. The specification says what each valid value does and nothing of other
 * values: Dintero's own WooCommerce plugin sends `delay_callback=120`, so a value past the maximum is taken as the
 * maximum rather than refused; one that is not a number of seconds, and a `sid_parameter_name` other than `sid`,
 * leave the default.
 */
export function callbackOptions(url: URL): CallbackOptions {
  const seconds = Number(url.searchParams.get('delay_callback') ?? 0);
  const delaySeconds = Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, MAX_DELAY_SECONDS) : 0;
  return {
    sessionParameter: url.searchParams.get('sid_parameter_name') === 'sid' ? 'sid' : 'session_id',
    delayMs: Math.round(delaySeconds * 1000),
    includeSession: url.searchParams.getAll('includes').some((value) => value.split(',').includes('session')),
  };
}

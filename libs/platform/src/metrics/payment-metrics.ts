import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const byRegistry = new WeakMap<Registry, ReturnType<typeof create>>();

function create(registry: Registry) {
  const registers = [registry];
  return {
    dinteroSeconds: new Histogram({
      name: 'payments_dintero_request_seconds',
      help: 'Dintero API calls by operation and outcome (ok, rejected: Dintero said no, unavailable: no answer)',
      labelNames: ['operation', 'outcome'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    deliveries: new Counter({
      name: 'payments_dintero_deliveries_total',
      help: 'Callbacks, webhooks and reconciler lookups by source and result (recorded, duplicate, ignored, refused, failed)',
      labelNames: ['source', 'result'] as const,
      registers,
    }),
    facts: new Counter({
      name: 'payments_facts_recorded_total',
      help: 'Payment events recorded from Dintero, by source and event type',
      labelNames: ['source', 'type'] as const,
      registers,
    }),
    reconciler: new Counter({
      name: 'payments_reconciler_payments_total',
      help: 'Due payments the reconciler took up, by result (settled, still_open, failed, leased_elsewhere: another running instance held it)',
      labelNames: ['result'] as const,
      registers,
    }),
    refundSweeps: new Counter({
      name: 'payments_reconciler_refund_sweeps_total',
      help: "The reconciler's sweeps of Dintero's refunded transactions, by result (completed; failed: a page could not be listed, taken up again at the next round; abandoned: another instance took the sweep over; leased_elsewhere: another running instance sweeps, or swept less than RECONCILER_REFUND_SWEEP_MINUTES ago; a stopped one's time of the next sweep is waited for and not counted)",
      labelNames: ['result'] as const,
      registers,
    }),
    refundSweepStarvedRounds: new Counter({
      name: 'payments_reconciler_refund_sweep_starved_rounds_total',
      help: "Reconciler rounds in which a refund sweep was due or under way and got no Dintero request of the round's budget (RECONCILER_MAX_PER_SECOND): due payments took it all. A sweep still gets its reserved share, a tenth of the budget over the rounds; rising for long, the sweep falls behind its schedule",
      registers,
    }),
    refundSweepTransactions: new Counter({
      name: 'payments_reconciler_refund_sweep_transactions_total',
      help: "Refunded transactions the reconciler's sweeps listed, by result (listed: every one; ours: of a payment this engine made; recorded: a refund the log did not have was recorded; not_in_log: ours by its callback URL, but the log has no such payment; failed: could not be recorded)",
      labelNames: ['result'] as const,
      registers,
    }),
    nightlyCloses: new Counter({
      name: 'payments_nightly_closes_total',
      help: "Terminals' nightly closes that came due, by what this instance did (started; recorded: the log had it already; busy: a payment or refund held the terminal; failed: could not start it; given_up: recorded the close as given up, of the due day or an earlier one, superseded or missed)",
      labelNames: ['result'] as const,
      registers,
    }),
    nightlyCloseTerminals: new Gauge({
      name: 'payments_nightly_close_terminals',
      help: "Terminals whose day's close is due now, by state (completed; running; waiting: to start, or to start again after a busy terminal or a failed attempt; failed: given up, its last attempt failed or it was refused); given_up_earlier: closes of the last three days before the due one given up (superseded by the next day's, or missed), as the log has them",
      labelNames: ['state'] as const,
      registers,
    }),
    callbackOriginMismatches: new Counter({
      name: 'payments_callback_origin_mismatches_total',
      help: "Transactions of payments in this engine's log whose callback URL has another origin than this ingest service's INGEST_PUBLIC_URL: the command service that made them was given another one (or it changed since), and webhooks and refund sweeps do not take such payments for this engine's",
      registers,
    }),
    webhooksAwaitingLog: new Gauge({
      name: 'payments_webhooks_awaiting_log',
      help: "Webhooks about a payment this engine made that wait for the log to show it (a read that lags behind the log's head)",
      registers,
    }),
    flaggedForReview: new Counter({
      name: 'payments_flagged_for_review_total',
      help: 'Payments whose outcome Dintero kept reporting as UNKNOWN past the deadline, handed to a person',
      registers,
    }),
    projectionPosition: new Gauge({
      name: 'payments_projection_position',
      help: 'Log position the read models reflect (durable and published)',
      registers,
    }),
    logHead: new Gauge({
      name: 'payments_log_head_position',
      help: 'Position of the last event in the log (its rate is the events appended per second)',
      registers,
    }),
    projectorLeader: new Gauge({
      name: 'payments_projector_leader',
      help: 'Whether this projections instance holds the lease and writes the read models (1), or stands by (0)',
      registers,
    }),
    readModelsOutdated: new Gauge({
      name: 'payments_read_models_outdated',
      help: 'Whether the read models in KV were folded by an older fold version than this one (1): run npm run projections:rebuild',
      registers,
    }),
    projectionLag: new Gauge({
      name: 'payments_projection_lag_positions',
      help: 'Log positions appended and not yet in the read models',
      registers,
    }),
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers,
    }),
    httpSeconds: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    closeMismatches: new Gauge({
      name: 'payments_close_mismatches',
      help: "Terminal end-of-day closes that disagree with the log, on each store's last 10 days (the days a projector keeps)",
      registers,
    }),
    terminalsBusy: new Gauge({
      name: 'payments_terminals_busy',
      help: 'Terminals busy with a payment or refund, over every store',
      registers,
    }),
  };
}

/**
 * The label values of each counter whose values are a small fixed set: every series is on `/metrics` at 0 from the
 * start (`countedFromZero`), so that an alert on one (`increase(...{result="failed"}[5m]) > 0`) sees 0 rather than no data until its
 * first count. Counters labelled by something open-ended (a route, an event type) are left to appear as they count.
 */
const RESULTS = {
  reconciler: ['settled', 'still_open', 'failed', 'leased_elsewhere'],
  refundSweeps: ['completed', 'failed', 'abandoned', 'leased_elsewhere'],
  refundSweepTransactions: ['listed', 'ours', 'recorded', 'not_in_log', 'failed'],
  nightlyCloses: ['started', 'recorded', 'busy', 'failed', 'given_up'],
} as const;
/** Deliveries by source: a callback or webhook may be refused (4xx) or fail (5xx); a reconciler lookup is not answered. */
const DELIVERY_RESULTS = {
  callback: ['recorded', 'duplicate', 'ignored', 'refused', 'failed'],
  webhook: ['recorded', 'duplicate', 'ignored', 'refused', 'failed'],
  reconciler: ['recorded', 'duplicate', 'ignored'],
} as const;

/** The counters `countedFromZero` can start at 0. */
export type CountedFromZero = keyof typeof RESULTS | 'deliveries';

/**
 * Puts every series of `counters` on `/metrics` at 0 (see `RESULTS`), called by the service that counts them: only
 * the app that runs it lists them, so a series at 0 says that service runs, not merely that the app registers the
 * engine's metrics (every app does).
 */
export function countedFromZero(registry: Registry, counters: readonly CountedFromZero[]): void {
  const metrics = paymentMetrics(registry);
  for (const counter of counters)
    if (counter === 'deliveries') {
      for (const [source, results] of Object.entries(DELIVERY_RESULTS))
        for (const result of results) metrics.deliveries.inc({ source, result }, 0);
    } else for (const result of RESULTS[counter]) metrics[counter].inc({ result }, 0);
}

/** The engine's own metrics, registered once per app registry (`GET /metrics`). */
export function paymentMetrics(registry: Registry) {
  let metrics = byRegistry.get(registry);
  if (!metrics) byRegistry.set(registry, (metrics = create(registry)));
  return metrics;
}

export type PaymentMetrics = ReturnType<typeof paymentMetrics>;

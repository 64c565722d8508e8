import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { OriginPools, signCallback, signWebhook } from '@app/dintero';
import { SIMULATOR_CONFIG, type DinteroSimulatorConfig } from '../dintero-simulator.config';
import { SimulatorRandom } from '../state/random';
import { SimulatorStateWrites } from '../state/state-writes';
import { callbackOptions } from './callback-options';
import { NO_CHAOS, type Chaos } from './chaos';

export interface DeliveryRecord {
  readonly id: string;
  readonly kind: 'callback' | 'webhook';
  readonly url: string;
  readonly terminalId?: string;
  readonly sessionId?: string;
  readonly transactionId?: string;
  readonly event?: string;
  attempts: number;
  /** `delivered` (2xx), `failed` (gave up, or 4xx), `dropped` (chaos), `pending`. */
  outcome: 'pending' | 'delivered' | 'failed' | 'dropped';
  lastStatus?: number;
  /** When the receiver answered 2xx (ISO time). */
  deliveredAt?: string;
  readonly duplicate: boolean;
}

/** The checkout events a webhook subscription may name (§5); a subscription gets only those it names. */
export const WEBHOOK_EVENTS = ['checkout_transaction', 'checkout_authorization'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface Webhook {
  /** The subscription's id, as Dintero gives one when it is created. */
  readonly id: string;
  readonly url: string;
  readonly secret: string;
  readonly events: readonly WebhookEvent[];
  readonly createdAt: string;
}

const CALLBACK_ATTEMPTS = 1 + 20; // Dintero retries a failed callback 20 times (§4).
const WEBHOOK_ATTEMPTS = 5; // "retries up to 5 times in total" (§5).

/**
 * Sends callbacks and webhooks as Dintero does (docs/dintero.md §4, §5): a retry only after a
 * failed attempt (5xx, 100-101, a timeout or a network error), never after a 4xx; with the chaos
 * configured for the terminal or globally.
 */
@Injectable()
export class DeliveryService implements OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryService.name);
  readonly deliveries: DeliveryRecord[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Kept-alive connections per receiver, as Dintero's senders keep theirs. */
  private readonly pools = new OriginPools({ connections: 64, keepAliveTimeout: 10_000 });
  private stopped = false;
  chaos: Chaos = NO_CHAOS;
  readonly terminalChaos = new Map<string, Chaos>();
  webhooks: Webhook[] = [];
  callbackSecret: string | undefined;

  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: DinteroSimulatorConfig,
    private readonly random: SimulatorRandom,
    private readonly writes: SimulatorStateWrites,
  ) {
    this.callbackSecret = config.callbackSecret || undefined;
  }

  chaosFor(terminalId: string | undefined): Chaos {
    return (terminalId && this.terminalChaos.get(terminalId)) || this.chaos;
  }

  /**
   * A callback to the session's `callback_url`, with Dintero's query parameters appended. One about an error (a
   * declined, failed or cancelled payment) only to a URL that asks for them with `report_error=true`, as the
   * specification says of `url.callback_url`; with the URL's other options (`callbackOptions`): the session id as
   * `sid`, a delay before the first attempt, the session in a POST's body.
   */
  callback(
    callbackUrl: string | undefined,
    params: Record<string, string | undefined>,
    terminalId: string,
    /** The transaction, the body of a callback the URL asks to be a POST (`method=POST`). */
    transaction?: Record<string, unknown>,
    /** The session as its read shows it now, for that body when the URL asks for it (`includes=session`). */
    session?: () => Record<string, unknown>,
  ): void {
    if (!callbackUrl) return;
    const url = new URL(callbackUrl);
    if (params.error !== undefined && url.searchParams.get('report_error') !== 'true') return;
    const options = callbackOptions(url);
    const { session_id: sessionId, ...rest } = params;
    const query = { ...rest, [options.sessionParameter]: sessionId };
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
    const post = url.searchParams.get('method') === 'POST';
    const body =
      transaction && options.includeSession && session ? { ...transaction, session: session() } : transaction;
    const delivery = randomUUID();
    this.schedule(
      {
        kind: 'callback',
        url: url.href,
        terminalId,
        sessionId,
        transactionId: params.transaction_id,
        event: params.event ?? params.error,
      },
      CALLBACK_ATTEMPTS,
      () => {
        // One id for the delivery, however many attempts it takes: the receiver de-duplicates on it.
        const headers: Record<string, string> = { 'event-delivery': delivery };
        if (this.callbackSecret) {
          const now = Math.floor(Date.now() / 1000);
          headers['dintero-signature'] = signCallback(
            { accountId: this.config.accountId, method: post ? 'POST' : 'GET', url },
            this.callbackSecret,
            now,
          );
        }
        // "invoked as a POST request with the transaction included in the request body" (the specification).
        if (post && body) {
          headers['content-type'] = 'application/json';
          return { method: 'POST', headers, body: JSON.stringify(body) };
        }
        return { method: post ? 'POST' : 'GET', headers };
      },
      options.delayMs,
    );
  }

  /** A webhook event to every subscription that names it. */
  webhook(event: WebhookEvent, payload: Record<string, unknown>, terminalId: string): void {
    for (const hook of this.webhooks) {
      if (!hook.events.includes(event)) continue;
      const eventDelivery = randomUUID();
      const body = JSON.stringify({
        account_id: this.config.accountId,
        event,
        event_delivery: eventDelivery,
        ...payload,
      });
      const transaction = payload.transaction as { id?: string } | undefined;
      this.schedule(
        { kind: 'webhook', url: hook.url, terminalId, transactionId: transaction?.id, event },
        WEBHOOK_ATTEMPTS,
        () => ({
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Dintero-Hook/simulator',
            event,
            'event-delivery': eventDelivery,
            'event-signature': signWebhook(body, hook.secret),
          },
          body,
        }),
      );
    }
  }

  /**
   * The `ping` Dintero sends to a subscription it has just created (§5): the event in the `event` header, and
   * the subscription itself as the body, with no `event` field in it; its secret is not sent.
   */
  ping(hook: Webhook): void {
    const eventDelivery = randomUUID();
    const body = JSON.stringify({
      created_at: hook.createdAt,
      created_by: this.config.accountId,
      id: hook.id,
      updated_at: hook.createdAt,
      active: true,
      config: { content_type: 'application/json', insecure_ssl: 0, secret: { type: 'HMAC-SHA1' }, url: hook.url },
      events: hook.events,
    });
    this.schedule({ kind: 'webhook', url: hook.url, event: 'ping' }, WEBHOOK_ATTEMPTS, () => ({
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Dintero-Hook/simulator',
        event: 'ping',
        'event-delivery': eventDelivery,
        'event-signature': signWebhook(body, hook.secret),
      },
      body,
    }));
  }

  /** Resolves once nothing is pending: for tests and for a clean stop. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops every pending delivery and retry: nothing is scheduled after the simulator stops. */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    // Deliveries in flight are cut off, as Dintero stopping would; the kept-alive connections close with them.
    await this.pools.close(false);
  }

  private schedule(
    target: Omit<DeliveryRecord, 'id' | 'attempts' | 'outcome' | 'duplicate'>,
    maxAttempts: number,
    request: () => { method: string; headers: Record<string, string>; body?: string },
    /** Before the first attempt (a callback's `delay_callback`); the chaos's delays come on top. */
    firstDelayMs = 0,
  ): void {
    // What a delivery reports is in the state file before it goes out: a receiver never learns of a transaction a
    // restarted simulator would not know. A write that fails holds the delivery until one succeeds.
    const durable = this.durable();
    const chaos = this.chaosFor(target.terminalId);
    const copies = this.random.chance(chaos.duplicateRate) ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      const record: DeliveryRecord = {
        ...target,
        id: randomUUID(),
        attempts: 0,
        outcome: 'pending',
        duplicate: copy > 0,
      };
      this.deliveries.push(record);
      if (this.random.chance(chaos.dropRate)) {
        record.outcome = 'dropped';
        continue;
      }
      const held = this.random.chance(chaos.reorderRate) ? chaos.reorderDelayMs : 0;
      this.later(firstDelayMs + chaos.deliveryDelayMs + held + copy, () =>
        durable.then((kept) => kept && this.attempt(record, maxAttempts, request)),
      );
    }
  }

  /**
   * True once the state file holds all the state holds now; a write that fails is tried again after the retry
   * schedule's delays (the disk full, say, until it is not). False if the simulator stops first.
   */
  private async durable(): Promise<boolean> {
    for (let failures = 0; !this.stopped; failures++) {
      try {
        await this.writes.settled();
        return true;
      } catch (error) {
        this.logger.error({ err: error }, 'could not write the state file: deliveries held until it can');
        const delay = Math.min(this.config.retryBaseMs * 2 ** failures, 60_000);
        await new Promise<void>((resolve) => (this.stopped ? resolve() : this.later(delay, resolve)));
      }
    }
    return false;
  }

  private attempt(
    record: DeliveryRecord,
    maxAttempts: number,
    request: () => { method: string; headers: Record<string, string>; body?: string },
  ): void {
    if (this.stopped) return;
    record.attempts += 1;
    const { method, headers, body } = request();
    const url = new URL(record.url);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.config.deliveryTimeoutMs);
    const sent = this.pools
      .get(url.origin)
      .request({
        path: `${url.pathname}${url.search}`,
        method: method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: deadline.signal,
      })
      .then(async (response) => {
        const status = response.statusCode;
        record.lastStatus = status;
        await response.body.dump().catch(() => undefined);
        if (status >= 200 && status < 300) {
          record.outcome = 'delivered';
          record.deliveredAt = new Date().toISOString();
        } else if (status >= 500 || status < 200 || record.kind === 'webhook') this.retry(record, maxAttempts, request);
        // A callback's 4xx is a permanent failure, never retried (§4); a webhook's is a failure like any other
        // answer but a 2xx, tried again up to its attempts (§5).
        else record.outcome = 'failed';
      })
      .finally(() => clearTimeout(timer))
      .catch((error: unknown) => {
        this.logger.debug(`${record.kind} to ${record.url} failed: ${String(error)}`);
        this.retry(record, maxAttempts, request);
      });
    const tracked = sent.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private retry(
    record: DeliveryRecord,
    maxAttempts: number,
    request: () => { method: string; headers: Record<string, string>; body?: string },
  ): void {
    if (record.attempts >= maxAttempts) {
      record.outcome = 'failed';
      return;
    }
    // Dintero does not document its schedule; exponential from the configured base, capped at a minute.
    const delay = Math.min(this.config.retryBaseMs * 2 ** (record.attempts - 1), 60_000);
    this.later(delay, () => this.attempt(record, maxAttempts, request));
  }

  private later(delayMs: number, action: () => unknown): void {
    if (this.stopped) return;
    const tracked = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        Promise.resolve(action()).then(
          () => resolve(),
          () => resolve(),
        );
      }, delayMs);
      this.timers.add(timer);
    });
    const done = tracked.finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }
}

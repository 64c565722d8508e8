import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { jetstream, DeliverPolicy } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';

export const NATS = Symbol('NATS');
export const PAYMENTS_PREFIX = Symbol('PAYMENTS_PREFIX');

/** The parts of the read models this consumer reads (the full shapes are in docs/consuming.md). */
export interface TerminalDoc {
  storeId: string;
  terminalId: string;
  status: string;
  lastOutcome?: { paymentId: string; status: string; amount: number; currency: string; at: string };
  position: string;
}
export interface StoreDayDoc {
  storeId: string;
  date: string;
  currencies: Record<string, { capturedCount: number; capturedAmount: number; refundedAmount: number; net: number }>;
  lateCaptures: { paymentId: string; transactionId: string; amount: number; currency: string }[];
}
/** A query's answer other than 200: its code and what it says. */
export interface QueryError {
  code?: string;
  detail?: string;
}
export interface FeedEvent {
  id: string;
  type: string;
  streamName: string;
  position: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/**
 * The engine's 503 `READ_MODELS_NOT_READY` to a query: its read models are being folded again from the log's start (a
 * replaced log) and cannot tell yet. Not an answer: ask again.
 */
export class ReadModelsNotReadyError extends Error {
  constructor(readonly detail: string) {
    super(`the engine's read models are not ready: ${detail}`);
    this.name = 'ReadModelsNotReadyError';
  }
}

/**
 * Another team's service consuming the payments engine over NATS only: it watches a terminal's document
 * in KV, asks for a store's day by request/reply, and reads the event feed from JetStream.
 */
@Injectable()
export class PaymentsConsumer implements OnModuleDestroy {
  private readonly stops: (() => void)[] = [];

  constructor(
    @Inject(NATS) private readonly nats: NatsConnection,
    @Inject(PAYMENTS_PREFIX) private readonly prefix: string,
  ) {}

  /** Calls `onChange` with the terminal's document now and after every change (KV watch). */
  async watchTerminal(storeId: string, terminalId: string, onChange: (doc: TerminalDoc) => void): Promise<void> {
    const kv = await new Kvm(this.nats).open(`${this.prefix}_terminals`);
    const watch = await kv.watch({ key: `${storeId}.${terminalId}` });
    this.stops.push(() => watch.stop());
    void (async () => {
      for await (const entry of watch) if (entry.operation === 'PUT') onChange(entry.json<TerminalDoc>());
    })();
  }

  /**
   * A store's totals for one local day (request/reply): zeros for a day with nothing on it, undefined for a store
   * the engine does not know; `ReadModelsNotReadyError` while the engine cannot tell yet.
   */
  async storeDay(storeId: string, date: string): Promise<StoreDayDoc | undefined> {
    const reply = await this.nats.request(`${this.prefix}.v1.query.store-day`, JSON.stringify({ storeId, date }), {
      timeout: 5_000,
    });
    // 200 and the document; any other status `{ code, detail }` (docs/consuming.md).
    const { status, body } = reply.json<{ status: number; body: unknown }>();
    if (status === 200) return body as StoreDayDoc;
    if (status === 404) return undefined;
    const error = body as QueryError;
    if (status === 503 && error.code === 'READ_MODELS_NOT_READY')
      throw new ReadModelsNotReadyError(error.detail ?? 'ask again');
    throw new Error(`store-day query answered ${status}: ${JSON.stringify(error)}`);
  }

  /**
   * Every event of a store from the feed's start, then live (an ordered consumer: no state on the server).
   * The event id is the message id: a consumer that must not act twice keeps the ids it has handled.
   */
  async followStoreEvents(storeId: string, onEvent: (event: FeedEvent) => void): Promise<void> {
    const stream = `${this.prefix.toUpperCase().replace(/-/g, '_')}_EVENTS`;
    const consumer = await jetstream(this.nats).consumers.get(stream, {
      filter_subjects: `${this.prefix}.v1.events.${storeId}.>`,
      deliver_policy: DeliverPolicy.All,
    });
    const messages = await consumer.consume();
    this.stops.push(() => void messages.close());
    void (async () => {
      for await (const message of messages) onEvent(message.json<FeedEvent>());
    })();
  }

  onModuleDestroy(): void {
    for (const stop of this.stops) stop();
  }
}

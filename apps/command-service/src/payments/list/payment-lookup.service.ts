import { HttpException, Inject, Injectable, Logger } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { EVENT_STORE, readState, type EventStore } from '@app/event-store';
import {
  bucketKeys,
  NATS_CONNECTION,
  natsDoesNotAnswer,
  natsNames,
  parsePaymentIndexKey,
  referenceToken,
  replicatedBucket,
  type PaymentIndexKey,
} from '@app/messaging';
import { paymentDecider, paymentStream } from '@app/payment-domain';
import { RequestValidationError } from '@app/platform';
import type { PosClient } from '../../auth/pos-client';
import { COMMAND_CONFIG, type CommandServiceConfig } from '../../command-service.config';
import { PaymentView, paymentView } from '../payment.view';
import type { ListPaymentsQuery } from './list-payments.query';

const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_WINDOW_MS = 7 * DAY_MS;
const MAX_WINDOW_MS = 92 * DAY_MS;

export class PaymentPage {
  @ApiProperty({ type: [PaymentView], description: 'Newest first' })
  payments!: PaymentView[];
  @ApiPropertyOptional({ description: 'Pass as `cursor` for the next page; absent on the last page' })
  nextCursor?: string;
}

interface Cursor {
  readonly t: number;
  readonly p: string;
}

/** The payment index (a NATS KV bucket) could not be read: NATS away or restarting. Nothing changed. */
export class PaymentIndexUnavailable extends HttpException {
  constructor() {
    super(
      {
        code: 'PAYMENT_INDEX_UNAVAILABLE',
        detail: 'The payment index cannot be read now (NATS does not answer); nothing changed, send the lookup again',
        retryAfterSeconds: 5,
      },
      503,
    );
  }
}

/**
 * Finds a store's payments by the POS's reference, terminal and time, for a POS that lost a payment's id.
 * Answered from the `payment_index` read model (written by the projector, one entry per payment, keyed so
 * that each filter is a key filter and the keys alone order the payments), never by scanning the log; each
 * payment found is then read from its own stream, so its status is the log's.
 */
@Injectable()
export class PaymentLookup {
  private readonly logger = new Logger(PaymentLookup.name);

  private index: Promise<KV> | undefined;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(COMMAND_CONFIG) private readonly config: CommandServiceConfig,
  ) {}

  async list(query: ListPaymentsQuery, client: PosClient): Promise<PaymentPage> {
    client.assertStore(query.storeId);
    const { from, to } = window(query);
    const cursor = query.cursor === undefined ? undefined : parseCursor(query.cursor);
    const limit = query.limit ?? 20;
    const reference = query.merchantReference === undefined ? '*' : referenceToken(query.merchantReference);
    // Newest day first, from the cursor's day, each day's entries newest first: listing stops at the first payment
    // past a full page. (A lookup by reference over any time is one filter: a reference names few payments.)
    const newest = cursor ? Math.min(cursor.t + 1, to) : to;
    const days = from === undefined ? ['*'] : utcDays(from, newest).reverse();

    const bucket = await this.fromIndex(query, () => this.bucket());
    const payments: PaymentView[] = [];
    let last: PaymentIndexKey | undefined;
    // One filter at a time: several in one listing need NATS 2.10, and 2.9 is still supported.
    for (const day of days) {
      const entries: PaymentIndexKey[] = [];
      const filter = `${query.storeId}.${day}.${query.terminalId ?? '*'}.${reference}.*`;
      for (const key of await this.fromIndex(query, () => bucketKeys(bucket, filter))) {
        const parsed = parsePaymentIndexKey(key);
        if (!parsed || parsed.requestedAtMs >= to || (from !== undefined && parsed.requestedAtMs < from)) continue;
        if (cursor && !before(parsed, cursor)) continue;
        entries.push(parsed);
      }
      entries.sort((a, b) => (before(a, { t: b.requestedAtMs, p: b.paymentId }) ? 1 : -1));
      for (const entry of entries) {
        // Entries the log does not bear out are passed over, however many: the page is filled with payments.
        const payment = await this.payment(entry, query);
        if (!payment) continue;
        if (payments.length === limit)
          return { payments, nextCursor: formatCursor({ t: last!.requestedAtMs, p: last!.paymentId }) };
        payments.push(payment);
        last = entry;
      }
    }
    return { payments };
  }

  /** The payment an index entry names, as its stream has it; undefined when the log does not bear the entry out. */
  private async payment(entry: PaymentIndexKey, query: ListPaymentsQuery): Promise<PaymentView | undefined> {
    const { state } = await readState(this.store, paymentStream(entry.paymentId), paymentDecider);
    // An entry of another log (the log was replaced), or another reference with the same token.
    if (state.status === 'none' || state.storeId !== query.storeId) return undefined;
    if (query.merchantReference !== undefined && state.merchantReference !== query.merchantReference) return undefined;
    return paymentView(state);
  }

  /**
   * A read of the index, its failure for want of NATS (a timeout, a connection closed or draining, no responders,
   * JetStream answering 503) told as `503 PAYMENT_INDEX_UNAVAILABLE` rather than an unexpected 500. Any other error
   * (a permission refused, a bug) stays what it is: answered again, it would fail again.
   */
  private async fromIndex<T>(query: ListPaymentsQuery, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (!natsDoesNotAnswer(error)) throw error;
      this.logger.warn(
        { storeId: query.storeId, terminalId: query.terminalId, error: (error as Error).message },
        'the payment index could not be read',
      );
      throw new PaymentIndexUnavailable();
    }
  }

  private bucket(): Promise<KV> {
    // Created if the projector has not yet: the same settings, so whichever comes first makes it. A failure
    // (NATS restarting) is not kept: the next lookup tries again.
    const { natsPrefix, natsReplicas } = this.config;
    this.index ??= replicatedBucket(
      this.nats,
      natsNames(natsPrefix).buckets.paymentIndex,
      { history: 1 },
      natsReplicas,
    ).catch((error: unknown) => {
      this.index = undefined;
      throw error;
    });
    return this.index;
  }
}

/** `[from, to)` in epoch ms; `from` undefined: any time (a lookup by reference). Refused whole when malformed. */
function window(query: ListPaymentsQuery): { from: number | undefined; to: number } {
  const instant = (text: string, name: string) => {
    const time = Date.parse(text);
    if (!Number.isFinite(time))
      throw new RequestValidationError([
        { field: name, message: `${name} must be a date and time such as 2026-12-01T10:00:00Z` },
      ]);
    return time;
  };
  const to = query.to === undefined ? Date.now() + 1 : instant(query.to, 'to');
  const from =
    query.from !== undefined
      ? instant(query.from, 'from')
      : query.merchantReference === undefined
        ? to - DEFAULT_WINDOW_MS
        : undefined;
  if (from !== undefined && from >= to)
    throw new RequestValidationError([{ field: 'from', message: 'from must be before to' }]);
  if (from !== undefined && to - from > MAX_WINDOW_MS)
    throw new RequestValidationError([{ field: 'from', message: 'from and to may be at most 92 days apart' }]);
  return { from, to };
}

/** The UTC dates from `from` to `to`, as the index's keys name them. */
function utcDays(from: number, to: number): string[] {
  const days: string[] = [];
  for (let day = Math.floor(from / DAY_MS) * DAY_MS; day < to; day += DAY_MS)
    days.push(new Date(day).toISOString().slice(0, 10));
  return days;
}

/** Newest first: `a` comes after the cursor's payment. */
function before(a: PaymentIndexKey, cursor: Cursor): boolean {
  return a.requestedAtMs < cursor.t || (a.requestedAtMs === cursor.t && a.paymentId < cursor.p);
}

function formatCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function parseCursor(text: string): Cursor {
  try {
    const cursor = JSON.parse(Buffer.from(text, 'base64url').toString()) as Partial<Cursor>;
    if (Number.isSafeInteger(cursor.t) && typeof cursor.p === 'string' && cursor.p.length <= 64)
      return cursor as Cursor;
  } catch {
    // falls through to the refusal
  }
  throw new RequestValidationError([{ field: 'cursor', message: 'cursor must be a nextCursor this API gave' }]);
}

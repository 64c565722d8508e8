import type { NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { natsNames, paymentIndexEntry, replicatedBucket, writeEntries } from '@app/messaging';
import type { RecordedEvent } from '@app/event-store';

/**
 * `payment_index`: one immutable entry per payment, written by the projector with the batch that holds its
 * `PaymentRequested`, before the checkpoint moves. Writing one twice writes the same thing, so a replay
 * from the checkpoint needs nothing more; and since no entry ever changes, a rebuild of the other read
 * models leaves this bucket as it is.
 */
export class PaymentIndexBucket {
  private constructor(
    private readonly nats: NatsConnection,
    private readonly bucket: KV,
    private readonly prefix: string,
  ) {}

  /** `replicas`: on how many servers of the NATS cluster the bucket is kept (`NATS_REPLICAS`). */
  static async open(nats: NatsConnection, prefix: string, replicas: number | undefined): Promise<PaymentIndexBucket> {
    const bucket = await replicatedBucket(nats, natsNames(prefix).buckets.paymentIndex, { history: 1 }, replicas);
    return new PaymentIndexBucket(nats, bucket, prefix);
  }

  /** How many entries the index holds: one a payment, none ever deleted. */
  async entries(): Promise<number> {
    return (await this.bucket.status()).values;
  }

  /** Whether the event starts a payment, and so has an entry. */
  static starts(event: RecordedEvent): boolean {
    return event.type === 'PaymentRequested' && event.streamName.startsWith('payment-');
  }

  /** The entries of the payments these events start. */
  async put(events: readonly RecordedEvent[]): Promise<void> {
    const entries = events.flatMap((event) => paymentIndexEntry(this.prefix, event) ?? []);
    const outcomes = await writeEntries(
      this.nats,
      entries.map(({ key, entry }) => ({ kv: this.bucket, key, value: JSON.stringify(entry) })),
    );
    const failed = outcomes.find((outcome) => outcome instanceof Error);
    if (failed) throw failed;
  }
}

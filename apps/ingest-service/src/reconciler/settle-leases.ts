import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { isRevisionConflict, natsNames } from '@app/messaging';

/**
 * Which reconciler instance asks Dintero about a due payment: a lease per payment in NATS KV. Taking one is
 * a compare-and-set (create when absent, or update at the revision read when it is this instance's own), and
 * the bucket's TTL lets a lease lapse when its holder dies, so another instance takes the payment over.
 *
 * Why a KV lease and not a JetStream work queue: what is due is decided by each instance from the log it
 * follows, and a payment is due again and again (a retry, a refund) on each instance's own clock. A lease
 * asks only "is someone on this payment now?", with no queue to keep in step with the log.
 *
 * Correctness does not depend on it: what two instances record twice is absorbed by the payment decider
 * and the log's expected revisions. It only keeps N instances from making N times the Dintero calls.
 */
export class SettleLeases {
  /** This instance, as written in the leases it holds. */
  readonly holder = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;

  private constructor(private readonly kv: KV) {}

  static async open(
    nats: NatsConnection,
    prefix: string,
    leaseMs: number,
    onWarning: (message: string, error: unknown) => void = () => undefined,
  ): Promise<SettleLeases> {
    // `ttl` is the bucket's max age: a lease not renewed within it is gone. `create` leaves an existing
    // bucket as it is, so a changed RECONCILER_LEASE_SECONDS is applied to its stream here.
    const bucket = natsNames(prefix).buckets.reconcilerLeases;
    const kv = await new Kvm(nats).create(bucket, { history: 1, ttl: leaseMs });
    const { ttl, streamInfo } = await kv.status();
    if (ttl !== leaseMs) {
      // JetStream refuses a duplicate window longer than the max age: it shrinks with the lease. A refused
      // update leaves the old lease length, which is only a matter of how soon a dead holder's lease lapses.
      const maxAge = leaseMs * 1e6;
      try {
        await (
          await jetstreamManager(nats)
        ).streams.update(streamInfo.config.name, {
          max_age: maxAge,
          duplicate_window: Math.min(streamInfo.config.duplicate_window, maxAge),
        });
      } catch (error) {
        onWarning(`could not change the lease length of ${bucket} from ${ttl} ms to ${leaseMs} ms`, error);
      }
    }
    return new SettleLeases(kv);
  }

  /**
   * Takes (or renews) the lease on `paymentId` for this instance. False when another instance holds it, or
   * took it in the same moment.
   */
  async take(paymentId: string): Promise<boolean> {
    const entry = await this.kv.get(paymentId);
    try {
      if (!entry || entry.operation !== 'PUT') {
        await this.kv.create(paymentId, this.holder);
        return true;
      }
      if (entry.string() !== this.holder) return false;
      await this.kv.update(paymentId, this.holder, entry.revision);
      return true;
    } catch (error) {
      // Created or updated by another instance between the read and the write: theirs.
      if (isRevisionConflict(error)) return false;
      throw error;
    }
  }
}

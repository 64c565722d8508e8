import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import {
  isRevisionConflict,
  leaseHeldForAnotherLog,
  leaseHolder,
  natsNames,
  PROJECTOR_LEADER_KEY,
  replicatedBucket,
} from '@app/messaging';

/**
 * Which projections instance writes the read models: the holder of one lease in NATS KV (`{prefix}_projector_lease`,
 * key `leader`). Taking it is a create (only when nobody holds it), renewing it an update at the revision this
 * instance last wrote, and the bucket's TTL ends the lease of a holder that died or stopped answering. The
 * others fold the log too (they answer queries and serve the dashboard) and take over when it lapses.
 *
 * A lease alone does not make one writer: a holder paused for longer than the lease (a long GC, SIGSTOP, a
 * VM migration) wakes up still believing it holds it. So the writes are fenced as well: every document and
 * the checkpoint are written at the KV revision they were read at, and never over a newer position, and each
 * takeover claims the checkpoint before its first write, which stops a writer from before wherever positions
 * cannot tell (`ReadModelBuckets.claim`). The lease keeps the work to one instance; the fencing keeps the data
 * right.
 */
export class ProjectorLease {
  /** This instance's name in the lease: with the identity of the log it projects, when `open` is given one. */
  readonly holder: string;
  private revision: number | undefined;
  /** When this instance last took or renewed the lease (its own clock). */
  private renewedAt = 0;

  private constructor(
    private readonly kv: KV,
    readonly leaseMs: number,
    private readonly key: string,
    logId: string | undefined,
  ) {
    const name = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.holder = leaseHolder(name, logId);
  }

  /**
   * `key`: `leader` for the writer of the read models; another names another lease with the same TTL. `logId`: the
   * log the holder projects, named in the lease so that an engine of another log under the same prefix is told.
   */
  static async open(
    nats: NatsConnection,
    prefix: string,
    leaseMs: number,
    key = PROJECTOR_LEADER_KEY,
    logId?: string,
    /** On how many servers of the NATS cluster the bucket is kept (`NATS_REPLICAS`). */
    replicas?: number,
  ): Promise<ProjectorLease> {
    // A bucket made with another TTL keeps it: the lease length is whatever the bucket says.
    const name = natsNames(prefix).buckets.projectorLease;
    const kv = await replicatedBucket(nats, name, { history: 1, ttl: leaseMs }, replicas);
    const { ttl } = await kv.status();
    return new ProjectorLease(kv, ttl > 0 ? ttl : leaseMs, key, logId);
  }

  /**
   * The holder of the lease when it projects another log than `logId` (an engine of another event log on the same
   * NATS prefix: its read models, commands and feed would be mixed with this one's); undefined otherwise, or when
   * nobody holds it, or a holder of a version before logs were named in the lease.
   */
  heldForAnotherLog(logId: string): Promise<string | undefined> {
    return leaseHeldForAnotherLog(this.kv, this.key, logId);
  }

  /**
   * Whether this instance may write now: it took or renewed the lease less than a lease ago by its own clock.
   * A process that was paused finds its clock moved on and stops writing before it even asks NATS.
   */
  holds(now = Date.now()): boolean {
    return this.revision !== undefined && now - this.renewedAt < this.leaseMs;
  }

  /** Takes the lease when nobody holds it, or renews it when this instance does; false when another does. */
  async acquire(): Promise<boolean> {
    const now = Date.now();
    try {
      this.revision =
        this.revision === undefined
          ? await this.kv.create(this.key, this.holder)
          : await this.kv.update(this.key, this.holder, this.revision);
      this.renewedAt = now;
      return true;
    } catch (error) {
      if (!isRevisionConflict(error)) throw error;
      return this.renewOwnWrite(now);
    }
  }

  /**
   * The key is not at the revision this instance expected. Either another instance holds it (or took it after this
   * one's lapsed), or this instance's own last write landed but its answer was lost (a timeout): then the key
   * still names this instance, whose name no other takes, and the lease is renewed at the revision the key is at,
   * rather than given up for a lease for nothing. A key that lapsed meanwhile is gone from KV, and is not this
   * instance's any more.
   */
  private async renewOwnWrite(now: number): Promise<boolean> {
    this.revision = undefined;
    const entry = await this.kv.get(this.key);
    if (entry?.operation !== 'PUT' || entry.string() !== this.holder) return false;
    try {
      this.revision = await this.kv.update(this.key, this.holder, entry.revision);
      this.renewedAt = now;
      return true;
    } catch (error) {
      if (!isRevisionConflict(error)) throw error;
      return false;
    }
  }

  /** Gives the lease up (on shutdown), so that a standby takes over at once instead of after the TTL. */
  async release(): Promise<void> {
    const revision = this.revision;
    this.revision = undefined;
    if (revision === undefined) return;
    await this.kv.delete(this.key, { previousSeq: revision }).catch(() => undefined);
  }
}

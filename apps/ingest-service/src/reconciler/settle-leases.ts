import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { conformStream, isRevisionConflict, natsNames, replicatedBucket } from '@app/messaging';

/** The bucket's age when no lease is longer: the same for every service, so that their creates agree. */
const BUCKET_AGE_FLOOR_MS = 3_600_000;

/**
 * Which instance works on a due item (a payment, an operation, a terminal to poll): a lease per item in NATS KV.
 * Taking one is a compare-and-set (create when absent, or update at the revision read when it is this instance's
 * own or has run out), so of two instances at once one wins.
 *
 * Each lease says until when it holds (`holder|untilMs`): the reconciler, the operations reconciler and the nightly
 * close hold theirs for RECONCILER_LEASE_SECONDS, the terminal-status follower for TERMINAL_STATUS_POLL_SECONDS,
 * all in one bucket. When the bucket's age was the lease, each service set it to its own length at start and the
 * last one won: a long poll length kept a dead holder's payments from the others for minutes, a short one let every
 * instance poll every terminal. The bucket's age is now at least an hour, longer only for a longer lease, and only
 * clears out leases nobody renews: services that start together ask for the same bucket, and none shortens it. A
 * lease written before leases said their length holds for this service's lease from when it was written.
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
  /** The leases this instance wrote, and until when (`release`). Those run out are dropped as new ones come. */
  private readonly held = new Map<string, number>();

  private constructor(
    private readonly kv: KV,
    private readonly leaseMs: number,
    /** The longest this instance holds a lease (`holdUntil`): the bucket keeps entries at least that long. */
    private readonly longestHoldMs: number,
  ) {}

  static async open(
    nats: NatsConnection,
    prefix: string,
    leaseMs: number,
    onWarning: (message: string, error: unknown) => void = () => undefined,
    longestHoldMs = leaseMs,
    /** On how many servers of the NATS cluster the bucket is kept (`NATS_REPLICAS`). */
    replicas?: number,
  ): Promise<SettleLeases> {
    // `ttl` is the bucket's max age. `create` leaves an existing bucket as it is: a longer lease than any before
    // lengthens it here, so that a lease is never cleared out before it runs out. Services that start together
    // (the reconciler, the status follower, the operations and the nightly close) create it in the same moment, each
    // with its own age (`replicatedBucket` opens the one that came first).
    const bucket = natsNames(prefix).buckets.reconcilerLeases;
    const holdMs = Math.max(leaseMs, longestHoldMs);
    const ageMs = Math.max(holdMs, BUCKET_AGE_FLOOR_MS);
    const kv = await replicatedBucket(nats, bucket, { history: 1, ttl: ageMs }, replicas);
    // Lengthened, never shortened (an age of 0 keeps leases for ever), and read back: another instance raising the
    // bucket at the same moment sends back the age it read, which may be the short one (`conformStream`).
    const ageNs = ageMs * 1e6;
    try {
      await conformStream(nats, `KV_${bucket}`, {
        replicas,
        settings: ({ max_age }) => (max_age !== 0 && max_age < ageNs ? { max_age: ageNs } : {}),
      });
    } catch (error) {
      onWarning(`could not lengthen the leases' age in ${bucket} to ${ageMs} ms`, error);
    }
    return new SettleLeases(kv, leaseMs, holdMs);
  }

  /**
   * Keeps this instance's lease on `key` until `untilMs` (at most `longestHoldMs` from now): the holder that will
   * look at the item again then says so, and the others leave it to it meanwhile. False when the lease is not this
   * instance's any more.
   */
  async holdUntil(key: string, untilMs: number): Promise<boolean> {
    const entry = await this.kv.get(key);
    if (!entry || entry.operation !== 'PUT' || leaseOf(entry.string(), 0).holder !== this.holder) return false;
    const until = Math.min(untilMs, Date.now() + this.longestHoldMs);
    try {
      await this.kv.update(key, `${this.holder}|${until}`, entry.revision);
      this.hold(key, until);
      return true;
    } catch (error) {
      if (isRevisionConflict(error)) return false;
      throw error;
    }
  }

  /**
   * Takes (or renews) the lease on `key` for this instance. False when another instance holds it, or
   * took it in the same moment.
   */
  async take(key: string): Promise<boolean> {
    const entry = await this.kv.get(key);
    const until = Date.now() + this.leaseMs;
    const lease = `${this.holder}|${until}`;
    try {
      if (!entry || entry.operation !== 'PUT') {
        await this.kv.create(key, lease);
        this.hold(key, until);
        return true;
      }
      const { holder, untilMs } = leaseOf(entry.string(), entry.created.getTime() + this.leaseMs);
      if (holder !== this.holder && Date.now() < untilMs) return false;
      await this.kv.update(key, lease, entry.revision);
      this.hold(key, until);
      return true;
    } catch (error) {
      // Created or updated by another instance between the read and the write: theirs.
      if (isRevisionConflict(error)) return false;
      throw error;
    }
  }

  /**
   * Until when the lease on `key` is kept by an instance that stopped (`release`, the time it named kept), or
   * undefined: the lease is free, or held by a running instance, or the time has passed.
   */
  async releasedUntil(key: string): Promise<number | undefined> {
    const entry = await this.kv.get(key);
    if (!entry || entry.operation !== 'PUT') return undefined;
    const { holder, untilMs } = leaseOf(entry.string(), 0);
    return holder === RELEASED && Date.now() < untilMs ? untilMs : undefined;
  }

  /**
   * At a stop: gives up the leases this instance still holds, so that no instance (another, or this one started
   * again, with a holder of its own) waits for them to run out, nor counts them as another's. Those in
   * `keepUntil` keep the time they named, with no holder, as a time before which the work is not due (the next
   * refund sweep: `releasedUntil`). A lease another instance has taken since is left to it. Returns within
   * `withinMs` (3 s) whatever NATS does.
   */
  async release(keepUntil: readonly string[] = [], withinMs = RELEASE_WITHIN_MS): Promise<void> {
    const now = Date.now();
    const running = [...this.held].filter(([, until]) => until > now);
    this.held.clear();
    // Many at a time, within a bound: after a Dintero outage thousands may be held, and two round trips each, one
    // after another, would take the stop past an orchestrator's grace period. Those not given up by then run out.
    const deadline = now + withinMs;
    const givingUp = (async () => {
      for (let from = 0; from < running.length && Date.now() < deadline; from += RELEASE_AT_ONCE)
        await Promise.all(
          running
            .slice(from, from + RELEASE_AT_ONCE)
            .map(([key, until]) => this.giveUp(key, keepUntil.includes(key), until)),
        );
    })();
    // The bound holds for the requests under way too: one NATS leaves unanswered (JetStream without its quorum, the
    // connection up) waits for its timeout. What ends after the bound is of no more use, its failure included.
    givingUp.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))));
    try {
      await Promise.race([givingUp, bound]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Gives up one lease, unless another instance has taken it since; `keep`: its time kept, with no holder. */
  private async giveUp(key: string, keep: boolean, until: number): Promise<void> {
    const entry = await this.kv.get(key);
    if (!entry || entry.operation !== 'PUT' || leaseOf(entry.string(), 0).holder !== this.holder) return;
    await this.kv.update(key, `${RELEASED}|${keep ? until : 0}`, entry.revision).catch((error: unknown) => {
      if (!isRevisionConflict(error)) throw error;
    });
  }

  private hold(key: string, untilMs: number): void {
    this.held.set(key, untilMs);
    // Only the ones still running are worth giving up at a stop: the rest are dropped now and then.
    if (this.held.size % HELD_PRUNE_EVERY !== 0) return;
    const now = Date.now();
    for (const [held, until] of this.held) if (until <= now) this.held.delete(held);
  }
}

/** The holder of a lease given up at a stop (`release`): nobody's. */
const RELEASED = '';
/** How many leases a stop gives up at once, and for how long at most (`release`). */
const RELEASE_AT_ONCE = 64;
const RELEASE_WITHIN_MS = 3_000;
/** How many leases this instance remembers holding between two prunes of those run out. */
const HELD_PRUNE_EVERY = 1_000;

/** A lease's holder and until when it holds; one written before leases said so holds until `oldFormatUntilMs`. */
function leaseOf(value: string, oldFormatUntilMs: number): { holder: string; untilMs: number } {
  const bar = value.lastIndexOf('|');
  const untilMs = bar < 0 ? Number.NaN : Number(value.slice(bar + 1));
  return Number.isFinite(untilMs)
    ? { holder: value.slice(0, bar), untilMs }
    : { holder: value, untilMs: oldFormatUntilMs };
}

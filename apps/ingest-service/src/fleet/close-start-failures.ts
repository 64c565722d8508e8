import type { NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { isRevisionConflict, natsNames, replicatedBucket } from '@app/messaging';

/** How many times a close's attempt could not be started, the last reason why, and whether a busy terminal held it up. */
export interface FailedStarts {
  readonly count: number;
  readonly reason: string;
  /** A payment or refund held the terminal when the attempt was to start (not a failed start: not counted). */
  readonly busy?: boolean;
}

/** How often a count is read and written again when another instance wrote it in the same moment. */
const CONFLICT_RETRIES = 5;

/**
 * What the nightly close keeps in a NATS KV bucket beside the log, for restarts and other instances to know:
 *
 * - An attempt's failed starts (the log out of reach, say), by its operation id: the bound `NIGHTLY_CLOSE_MAX_ATTEMPTS`
 *   holds across restarts and instances, where a count in memory began again at zero with each, and a close that could
 *   never start was tried for ever. Not in the log, which is what failed. Also that a busy terminal held the attempt
 *   up, which the log never hears of: a close left so when the next day's close falls due is given up for that
 *   reason after a restart too, where it was known only in memory and dropped.
 *
 * The bucket keeps an entry for `keepMs` after its last write (the days the nightly close remembers closes), no longer.
 */
export class CloseStartFailures {
  private constructor(private readonly kv: KV) {}

  /** `replicas`: on how many servers of the NATS cluster the bucket is kept (`NATS_REPLICAS`). */
  static async open(
    nats: NatsConnection,
    prefix: string,
    keepMs: number,
    replicas: number | undefined,
  ): Promise<CloseStartFailures> {
    const bucket = natsNames(prefix).buckets.nightlyCloseStarts;
    // Two instances starting together both create it: the server refuses the second, which opens the first's
    // (`replicatedBucket`).
    const kv = await replicatedBucket(nats, bucket, { history: 1, ttl: keepMs }, replicas);
    return new CloseStartFailures(kv);
  }

  /** The attempt's failed starts so far (none: count 0). */
  async of(operationId: string): Promise<FailedStarts> {
    const entry = await this.kv.get(operationId);
    return entry && entry.operation === 'PUT' ? parse(entry.string()) : { count: 0, reason: '' };
  }

  /** Counts one more failed start of the attempt, for `reason`, and returns the count now. */
  async add(operationId: string, reason: string): Promise<number> {
    const next = await this.change(operationId, (held) => ({ ...held, count: held.count + 1, reason }));
    return next.count;
  }

  /** Notes that a busy terminal held the attempt up (once: a note there already is left as it is). */
  async noteBusy(operationId: string): Promise<void> {
    await this.change(operationId, (held) => (held.busy ? undefined : { ...held, busy: true }));
  }

  /** Writes the attempt's entry as `next` makes it of the one held (nothing when it gives undefined), by compare-and-set. */
  private async change(
    operationId: string,
    next: (held: FailedStarts) => FailedStarts | undefined,
  ): Promise<FailedStarts> {
    for (let tries = 0; ; tries++) {
      const entry = await this.kv.get(operationId);
      const held = entry && entry.operation === 'PUT' ? parse(entry.string()) : { count: 0, reason: '' };
      const value = next(held);
      if (value === undefined) return held;
      try {
        if (entry) await this.kv.update(operationId, JSON.stringify(value), entry.revision);
        else await this.kv.create(operationId, JSON.stringify(value));
        return value;
      } catch (error) {
        // Another instance wrote it in the same moment: written again on top of theirs.
        if (!isRevisionConflict(error) || tries >= CONFLICT_RETRIES) throw error;
      }
    }
  }
}

function parse(value: string): FailedStarts {
  try {
    const { count, reason, busy } = JSON.parse(value) as Partial<FailedStarts>;
    return {
      count: typeof count === 'number' ? count : 0,
      reason: typeof reason === 'string' ? reason : '',
      ...(busy === true ? { busy } : {}),
    };
  } catch {
    return { count: 0, reason: '' };
  }
}

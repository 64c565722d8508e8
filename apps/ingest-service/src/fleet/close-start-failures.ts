import type { NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { isRevisionConflict, natsNames, replicatedBucket } from '@app/messaging';

/** How many times a close's attempt could not be started, and the last reason why. */
export interface FailedStarts {
  readonly count: number;
  readonly reason: string;
}

/** How often a count is read and written again when another instance wrote it in the same moment. */
const CONFLICT_RETRIES = 5;

/**
 * The nightly close's failed starts (the log out of reach, say), by the attempt's operation id, in a NATS KV bucket:
 * the bound `NIGHTLY_CLOSE_MAX_ATTEMPTS` holds across restarts and instances, where a count in memory began again at
 * zero with each, and a close that could never start was tried for ever. Not in the log, which is what failed. The
 * bucket keeps a count for `keepMs` after its last failure (the days the nightly close remembers closes), no longer.
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
    for (let tries = 0; ; tries++) {
      const entry = await this.kv.get(operationId);
      const held = entry && entry.operation === 'PUT' ? parse(entry.string()) : undefined;
      const next = JSON.stringify({ count: (held?.count ?? 0) + 1, reason });
      try {
        if (entry && held) await this.kv.update(operationId, next, entry.revision);
        else await this.kv.create(operationId, next);
        return (held?.count ?? 0) + 1;
      } catch (error) {
        // Another instance counted one in the same moment: counted again on top of theirs.
        if (!isRevisionConflict(error) || tries >= CONFLICT_RETRIES) throw error;
      }
    }
  }
}

function parse(value: string): FailedStarts {
  try {
    const { count, reason } = JSON.parse(value) as Partial<FailedStarts>;
    return { count: typeof count === 'number' ? count : 0, reason: typeof reason === 'string' ? reason : '' };
  } catch {
    return { count: 0, reason: '' };
  }
}

import type { NatsConnection } from '@nats-io/transport-node';
import { ProjectorLease } from '../projector/projector-lease';

/** The lock's key in the projector lease bucket, whose TTL it shares. */
const KEY = 'rebuild';
/** How often a taker waiting for the lock asks again. */
const RETRY_MS = 100;

/** A rebuild asked for while another runs, or while the live projector adopts one. */
export class RebuildRefusedError extends Error {
  constructor() {
    super('Another rebuild is running, or the live projector is adopting one: run it again once that has finished');
    this.name = 'RebuildRefusedError';
  }
}

/**
 * One rebuild at a time, and none while the live projector adopts one: both hold this lock, so that a rebuild
 * never empties the buckets of one offered while it is being copied, nor two rebuilds write the same buckets. It
 * is a lease (a key of the projector lease bucket): renewed every third of the bucket's TTL while held, it lapses
 * when its holder dies.
 */
export class RebuildLock {
  private lost = false;
  private readonly renewal: NodeJS.Timeout;

  private constructor(private readonly lease: ProjectorLease) {
    this.renewal = setInterval(
      () =>
        void lease.acquire().then(
          (held) => {
            if (!held) this.lost = true;
          },
          // NATS out of reach: the holder's own clock (`stillHeld`) ends the lock once a lease has passed.
          () => undefined,
        ),
      Math.max(200, Math.floor(lease.leaseMs / 3)),
    );
    this.renewal.unref();
  }

  /** Takes the lock, waiting up to `waitMs` for its holder to let it go; undefined when it is still held then. */
  static async take(
    nats: NatsConnection,
    prefix: string,
    leaseMs: number,
    {
      waitMs = 0,
      givingUp = () => false,
      replicas,
    }: {
      waitMs?: number;
      givingUp?: () => boolean;
      /** `NATS_REPLICAS`: the lease bucket is the projector's, brought to this count as the projector brings it. */
      replicas?: number;
    } = {},
  ): Promise<RebuildLock | undefined> {
    const lease = await ProjectorLease.open(nats, prefix, leaseMs, KEY, undefined, replicas);
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (await lease.acquire()) return new RebuildLock(lease);
      if (Date.now() >= deadline || givingUp()) return undefined;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  /** Whether the lock is still this holder's: renewed within a lease by its own clock, and no renewal refused. */
  stillHeld(): boolean {
    return !this.lost && this.lease.holds();
  }

  async release(): Promise<void> {
    clearInterval(this.renewal);
    await this.lease.release();
  }
}

import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { KvWatchInclude, type KV, type KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { conformStream, NATS_CONNECTION, natsNames, replicatedBucket } from '@app/messaging';
import { PROJECTIONS_CONFIG, type ProjectionsConfig } from '../projections.config';

/** What a signed-out session's entry holds: when the session would have ended, in ms since the epoch. */
interface SignedOut {
  readonly expiresAt: number;
}

/**
 * Dashboard sessions signed out before their time, on every instance. A session is a signed token stored nowhere
 * (`OperatorSessions`), so signing out cleared only the browser's cookie: a copy of it taken before (another tab, a
 * shared till, a proxy's log) still signed in until the session's end. Signing out now records the token's hash in a
 * NATS KV bucket that every instance watches, and a session whose token is in it no longer signs in, nor keeps its
 * live stream. The bucket keeps an entry for a session's whole life (its TTL) and no longer: past that, the session
 * has ended anyway.
 */
@Injectable()
export class SignedOutSessions implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SignedOutSessions.name);
  /** Token hash → when its session would have ended. */
  private readonly signedOut = new Map<string, number>();
  private bucket: KV | undefined;
  private watching: { stop(): void } | undefined;
  private stopped = false;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(PROJECTIONS_CONFIG) private readonly config: ProjectionsConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const name = natsNames(this.config.natsPrefix).buckets.dashboardSignOuts;
    const ttl = this.config.dashboardSessionHours * 3_600_000;
    const bucket = await replicatedBucket(this.nats, name, { history: 1, ttl }, this.config.natsReplicas);
    // `create` leaves a bucket that exists as it is: one made while sessions lasted less would forget sign-outs of
    // sessions that last longer now, and a copied cookie would sign in again. Lengthened, never shortened (a longer
    // age only keeps a sign-out past its session's end), and read back: another instance raising the bucket at the
    // same moment sends back the age it read, which may be the short one (`conformStream`); instances with
    // different session lengths would otherwise shorten and lengthen it in turn.
    const maxAge = ttl * 1e6; // nanoseconds
    await conformStream(this.nats, `KV_${name}`, {
      replicas: this.config.natsReplicas,
      settings: ({ max_age }) => (max_age !== 0 && max_age < maxAge ? { max_age: maxAge } : {}),
    });
    this.bucket = bucket;
    await this.follow(bucket);
  }

  /** Follows sign-outs made on other instances from now on, then takes those already there. */
  private async follow(bucket: KV): Promise<void> {
    // Updates first, then what is there: a sign-out between the two is seen by one or the other.
    await this.watch(bucket);
    for await (const key of await bucket.keys()) this.take(key, await bucket.get(key));
  }

  /**
   * The watch of sign-outs made on other instances; one that ends (NATS gone for good, the bucket removed) is
   * started again, and every sign-out read anew (`follow`).
   */
  private async watch(bucket: KV): Promise<void> {
    const updates = await bucket.watch({ include: KvWatchInclude.UpdatesOnly });
    this.watching = updates;
    void (async () => {
      for await (const entry of updates) this.take(entry.key, entry);
    })()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'the watch of dashboard sign-outs failed'))
      .finally(() => {
        if (this.stopped) return;
        this.logger.warn('the watch of dashboard sign-outs ended: started again');
        void this.rewatch(bucket);
      });
  }

  private async rewatch(bucket: KV): Promise<void> {
    try {
      await this.follow(bucket);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not watch dashboard sign-outs again: tried again shortly');
      if (!this.stopped) setTimeout(() => void this.rewatch(bucket), 1_000).unref();
    }
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.watching?.stop();
  }

  /** Ends the session whose token has this key (`signOutKey`) everywhere, for the rest of its life. */
  async signOut(key: string, expiresAt: number): Promise<void> {
    if (!this.bucket) throw new Error('dashboard sign-outs are not open yet');
    await this.bucket.put(key, JSON.stringify({ expiresAt } satisfies SignedOut));
    this.signedOut.set(key, expiresAt);
  }

  /** Whether the session whose token has this key was signed out (and has not ended since). */
  has(key: string, now = Date.now()): boolean {
    const until = this.signedOut.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.signedOut.delete(key); // each is kept only for its session's life
    return false;
  }

  /** A sign-out as KV holds it; an entry that is not one is said and left out, never a stop. */
  private take(key: string, entry: KvEntry | null): void {
    if (entry?.operation !== 'PUT') return;
    let expiresAt: unknown;
    try {
      ({ expiresAt } = entry.json<SignedOut>());
    } catch {
      expiresAt = undefined;
    }
    if (typeof expiresAt !== 'number') {
      this.logger.warn({ key }, 'a dashboard sign-out that is not one: left out');
      return;
    }
    if (expiresAt > Date.now()) this.signedOut.set(key, expiresAt);
  }
}

/** A session token's key here: its SHA-256, so that the bucket holds no token anyone could sign in with. */
export function signOutKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

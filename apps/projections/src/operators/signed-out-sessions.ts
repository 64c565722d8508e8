import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Kvm, KvWatchInclude, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { NATS_CONNECTION, natsNames } from '@app/messaging';
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

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(PROJECTIONS_CONFIG) private readonly config: ProjectionsConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const name = natsNames(this.config.natsPrefix).buckets.dashboardSignOuts;
    const bucket = await new Kvm(this.nats).create(name, {
      history: 1,
      ttl: this.config.dashboardSessionHours * 3_600_000,
    });
    // Updates first, then what is there: a sign-out between the two is seen by one or the other.
    const updates = await bucket.watch({ include: KvWatchInclude.UpdatesOnly });
    this.watching = updates;
    void (async () => {
      for await (const entry of updates) if (entry.operation === 'PUT') this.take(entry.key, entry.json<SignedOut>());
    })().catch((error: unknown) => this.logger.warn({ err: error }, 'the watch of dashboard sign-outs ended'));
    for await (const key of await bucket.keys()) {
      const entry = await bucket.get(key);
      if (entry?.operation === 'PUT') this.take(key, entry.json<SignedOut>());
    }
    this.bucket = bucket;
  }

  onModuleDestroy(): void {
    this.watching?.stop();
  }

  /** Ends the session whose token has this key (`signOutKey`) everywhere, for the rest of its life. */
  async signOut(key: string, expiresAt: number): Promise<void> {
    if (!this.bucket) throw new Error('dashboard sign-outs are not open yet');
    await this.bucket.put(key, JSON.stringify({ expiresAt } satisfies SignedOut));
    this.take(key, { expiresAt });
  }

  /** Whether the session whose token has this key was signed out. */
  has(key: string): boolean {
    return this.signedOut.has(key);
  }

  private take(key: string, { expiresAt }: SignedOut): void {
    if (typeof expiresAt !== 'number' || expiresAt <= Date.now()) return;
    this.signedOut.set(key, expiresAt);
    // Each sign-out is kept only for its session's life: the map does not grow with the days.
    for (const [other, until] of this.signedOut) if (until <= Date.now()) this.signedOut.delete(other);
  }
}

/** A session token's key here: its SHA-256, so that the bucket holds no token anyone could sign in with. */
export function signOutKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

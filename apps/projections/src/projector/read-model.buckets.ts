import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, KvWatchInclude, type KV } from '@nats-io/kv';
import { natsNames } from '@app/messaging';
import type { Change } from '../read-models/read-model.types';

const CHECKPOINT = 'checkpoint';
const HAND_OVER = 'rebuild';

/** A rebuild, caught up to `position` in the buckets named with `suffix`, for the live projector to adopt. */
export interface HandOver {
  readonly suffix: string;
  readonly position: string;
}
export interface Checkpoint {
  readonly position: bigint;
  readonly logId?: string;
}

/** KV writes in flight at once: pipelined, but a large batch is not all in memory at once. */
const PUT_WINDOW = 1_000;

/**
 * The read models' NATS KV buckets (docs/design.md: `payments_terminals`, `payments_stores`,
 * `payments_store_days`) and the projector's checkpoint (`payments_projections`, key `checkpoint`).
 * `suffix` names another generation of buckets, for a rebuild beside the live ones.
 */
export class ReadModelBuckets {
  private constructor(
    private readonly buckets: Readonly<Record<Change['model'], KV>>,
    private readonly state: KV,
  ) {}

  static async open(nats: NatsConnection, prefix: string, suffix = ''): Promise<ReadModelBuckets> {
    const kvm = new Kvm(nats);
    const { buckets } = natsNames(prefix);
    // history 1: consumers want the latest document; the log is the history.
    const open = (name: string) => kvm.create(name, { history: 1 });
    const [terminal, store, storeDay, state] = await Promise.all([
      open(`${buckets.terminals}${suffix}`),
      open(`${buckets.stores}${suffix}`),
      open(`${buckets.storeDays}${suffix}`),
      // One state bucket for every generation: it holds the live checkpoint and the rebuild's hand-over.
      open(`${prefix}_projections`),
    ]);
    return new ReadModelBuckets({ terminal, store, 'store-day': storeDay }, state);
  }

  /** Deletes this generation's document buckets (not the shared state bucket). */
  async destroy(): Promise<void> {
    await Promise.all(Object.values(this.buckets).map((bucket) => bucket.destroy()));
  }

  /** Replaces every document with these: written, and any key they do not have deleted. */
  async replaceAll(changes: readonly Change[]): Promise<void> {
    await this.put(changes);
    const kept = new Set(changes.map((change) => `${change.model}:${change.key}`));
    for (const model of ['store', 'terminal', 'store-day'] as const) {
      const stale: string[] = [];
      for await (const key of await this.buckets[model].keys()) if (!kept.has(`${model}:${key}`)) stale.push(key);
      for (const key of stale) await this.buckets[model].delete(key);
    }
  }

  /** A finished rebuild waiting to be adopted by the live projector, if any. */
  async handOver(): Promise<HandOver | undefined> {
    const entry = await this.state.get(HAND_OVER);
    return entry && entry.operation === 'PUT' ? entry.json<HandOver>() : undefined;
  }

  async offerHandOver(handOver: HandOver): Promise<void> {
    await this.state.put(HAND_OVER, JSON.stringify(handOver));
  }

  async clearHandOver(): Promise<void> {
    await this.state.delete(HAND_OVER);
  }

  /** Calls `onOffer` whenever a rebuild offers a hand-over. */
  async watchHandOver(onOffer: (handOver: HandOver) => void): Promise<() => void> {
    const watcher = await this.state.watch({ key: HAND_OVER, include: KvWatchInclude.UpdatesOnly });
    void (async () => {
      for await (const entry of watcher) if (entry.operation === 'PUT') onOffer(entry.json<HandOver>());
    })();
    return () => watcher.stop();
  }

  /** Every document, to resume from (a projector holds the read models in memory). */
  async *loadAll(): AsyncGenerator<Change> {
    for (const model of ['store', 'terminal', 'store-day'] as const) {
      const bucket = this.buckets[model];
      const keys: string[] = [];
      for await (const key of await bucket.keys()) keys.push(key);
      for (const key of keys) {
        const entry = await bucket.get(key);
        if (entry && entry.operation === 'PUT') yield { model, key, doc: entry.json() } as Change;
      }
    }
  }

  async get(model: Change['model'], key: string): Promise<unknown> {
    const entry = await this.buckets[model].get(key);
    return entry && entry.operation === 'PUT' ? entry.json() : undefined;
  }

  async put(changes: Iterable<Change>): Promise<void> {
    const all = [...changes];
    for (let start = 0; start < all.length; start += PUT_WINDOW) {
      await Promise.all(
        all
          .slice(start, start + PUT_WINDOW)
          .map((change) => this.buckets[change.model].put(change.key, JSON.stringify(change.doc))),
      );
    }
  }

  /**
   * The position of the last event whose documents and publications are all done (0 before any), and the
   * identity of the log it is a position in (see `logIdentity`). A checkpoint from before identities were
   * kept has none.
   */
  async checkpoint(): Promise<Checkpoint> {
    const entry = await this.state.get(CHECKPOINT);
    if (!entry || entry.operation !== 'PUT') return { position: 0n };
    const text = entry.string();
    if (/^\d+$/.test(text)) return { position: BigInt(text) };
    const { position, logId } = JSON.parse(text) as { position: string; logId: string };
    return { position: BigInt(position), logId };
  }

  async saveCheckpoint(position: bigint, logId: string): Promise<void> {
    await this.state.put(CHECKPOINT, JSON.stringify({ position: position.toString(), logId }));
  }
}

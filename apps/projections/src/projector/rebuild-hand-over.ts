import { KvWatchInclude, type KV } from '@nats-io/kv';
import { isRevisionConflict } from '@app/messaging';
import { offerOf, type HandOver } from './read-model.entries';

const HAND_OVER = 'rebuild';

/**
 * A finished rebuild's offer to the live projector (`HandOver`), kept in the state bucket every generation shares,
 * key `rebuild`: offered by the rebuild, watched and withdrawn by the adopter (`ReadModelBuckets` asks it).
 */
export class RebuildHandOver {
  constructor(private readonly state: KV) {}

  /** A finished rebuild waiting to be adopted by the live projector, if any. */
  async handOver(): Promise<HandOver | undefined> {
    return (await this.handOverAt())?.offer;
  }

  async offerHandOver(handOver: HandOver): Promise<void> {
    await this.state.put(HAND_OVER, JSON.stringify(handOver));
  }

  /** The offer waiting, with its KV revision: what `clearHandOver` withdraws, and nothing offered after it. */
  async handOverAt(): Promise<{ readonly offer: HandOver; readonly revision: number } | undefined> {
    const entry = await this.state.get(HAND_OVER);
    const offer = entry?.operation === 'PUT' ? offerOf(entry) : undefined;
    return offer && entry ? { offer, revision: entry.revision } : undefined;
  }

  /**
   * Withdraws the offer waiting; with `revision` (see `handOverAt`), only that offer: false when a later one has
   * taken its place, which stays.
   */
  async clearHandOver(revision?: number): Promise<boolean> {
    try {
      await this.state.delete(HAND_OVER, revision === undefined ? undefined : { previousSeq: revision });
      return true;
    } catch (error) {
      if (revision !== undefined && isRevisionConflict(error)) return false;
      throw error;
    }
  }

  /** Calls `onOffer` whenever a rebuild offers a hand-over. */
  async watchHandOver(onOffer: (handOver: HandOver) => void): Promise<() => void> {
    const watcher = await this.state.watch({ key: HAND_OVER, include: KvWatchInclude.UpdatesOnly });
    void (async () => {
      for await (const entry of watcher) {
        const offer = entry.operation === 'PUT' ? offerOf(entry) : undefined;
        if (offer) onOffer(offer);
      }
    })();
    return () => watcher.stop();
  }
}

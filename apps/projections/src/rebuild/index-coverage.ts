import { logIdentity, type EventStore, type RecordedEvent } from '@app/event-store';
import { PaymentIndexBucket } from '../projector/payment-index.bucket';
import type { ReadModelBuckets } from '../projector/read-model.buckets';

/**
 * What of the payment index a rebuild must write. The live projector writes a batch's entries before it
 * moves its checkpoint, so the payments up to the live checkpoint have theirs already, and a rebuild writes
 * only the later ones: a third of a rebuild's time when it wrote them all again. That holds while the index
 * has at least as many entries as the log has payments up to that checkpoint, which the rebuild counts as it
 * folds. An index from before the index existed, or one lost, has fewer: the rebuild then writes every
 * entry up to the checkpoint too (`complete`). A checkpoint of another log covers nothing.
 */
export class IndexCoverage {
  private paymentsCovered = 0;

  private constructor(
    private readonly index: PaymentIndexBucket,
    /** The live checkpoint: every payment at or before it is taken as indexed. */
    private readonly upTo: bigint,
    /** The entries the index held when the rebuild began. */
    private readonly held: number,
  ) {}

  static async start(store: EventStore, buckets: ReadModelBuckets, index: PaymentIndexBucket): Promise<IndexCoverage> {
    const [checkpoint, logId, held] = await Promise.all([buckets.checkpoint(), logIdentity(store), index.entries()]);
    return new IndexCoverage(index, checkpoint.logId === logId ? checkpoint.position : 0n, held);
  }

  /** The events of a page whose entries the rebuild writes; counts the payments taken as indexed. */
  toWrite(page: readonly RecordedEvent[]): readonly RecordedEvent[] {
    if (this.upTo === 0n) return page;
    let from = 0;
    for (; from < page.length && page[from]!.position <= this.upTo; from++)
      if (PaymentIndexBucket.starts(page[from]!)) this.paymentsCovered += 1;
    return from === 0 ? page : page.slice(from);
  }

  /**
   * Writes the entries up to the live checkpoint when the index turned out to hold fewer than the log has
   * payments there, reading the log's payment streams up to it again.
   */
  async complete(store: EventStore, pageSize: number): Promise<number> {
    if (this.paymentsCovered <= this.held) return 0;
    let written = 0;
    for (let after = 0n; after < this.upTo;) {
      const page = (await store.readAll({ after, limit: pageSize, streamPrefixes: ['payment-'] })).filter(
        (event) => event.position <= this.upTo,
      );
      if (page.length === 0) break;
      await this.index.put(page);
      written += page.filter((event) => PaymentIndexBucket.starts(event)).length;
      after = page[page.length - 1]!.position;
    }
    return written;
  }
}

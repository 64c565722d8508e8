import { createHash } from 'node:crypto';

/** What this process last fetched of a transaction from Dintero, and the log's revision once it was recorded. */
export interface Heard {
  readonly paymentId: string;
  /** Of the transaction exactly as Dintero's API answered it (`sameTransaction`). */
  readonly digest: string;
  /** The payment stream's revision the recording ended on: the log held these facts then. */
  readonly revision: number;
}

/**
 * How many transactions are remembered: the deliveries of one transaction come together (a payment's callback
 * and its two webhooks within a second), so the newest few thousand cover them; an older one is fetched as before.
 */
const REMEMBERED = 10_000;

/**
 * The transactions this process fetched from Dintero and recorded, and those it is fetching and recording now.
 * A payment is reported by three deliveries at once (the callback and two webhooks), and each used to fetch the
 * transaction again. A webhook's body claims the transaction; when that claim is, to the byte of its JSON, what
 * was fetched and recorded last and nothing was written to the payment since, the delivery carries no news and is
 * answered without a fetch (`PaymentFacts.alreadyRecorded`). In-process and forgotten at a restart: a miss fetches.
 */
export class HeardTransactions {
  private readonly heard = new Map<string, Heard>();

  /** Per transaction, what every fetch-and-record of it under way settles with. */
  private readonly underWay = new Map<string, Promise<void>>();

  /**
   * Runs `work` (a fetch of the transaction and its recording) as under way: a delivery that claims the
   * transaction meanwhile waits for it and then compares its claim with what it recorded.
   */
  fetching<T>(transactionId: string, work: () => Promise<T>): Promise<T> {
    const before = this.underWay.get(transactionId);
    const running = work();
    const settled = Promise.allSettled(before ? [before, running] : [running]).then(() => undefined);
    this.underWay.set(transactionId, settled);
    void settled.then(() => {
      if (this.underWay.get(transactionId) === settled) this.underWay.delete(transactionId);
    });
    return running;
  }

  /** Settles once every fetch of the transaction under way now has; nothing when none is. */
  settled(transactionId: string): Promise<void> | undefined {
    return this.underWay.get(transactionId);
  }

  /** Whether a claim of this transaction can be compared with anything: one known, or one under way. */
  knows(transactionId: string): boolean {
    return this.heard.has(transactionId) || this.underWay.has(transactionId);
  }

  get(transactionId: string): Heard | undefined {
    return this.heard.get(transactionId);
  }

  /** After a fetched transaction was recorded (and its claims released): the newest is kept, the oldest let go. */
  remember(transactionId: string, heard: Heard): void {
    this.heard.delete(transactionId);
    this.heard.set(transactionId, heard);
    if (this.heard.size > REMEMBERED) this.heard.delete(this.heard.keys().next().value!);
  }

  /**
   * The digest two transactions compare by: of their JSON as parsed, keys in the order they came. Every value counts,
   * fields this engine does not read too (a field Dintero adds that the fetch has and the claim has not, or the
   * reverse, is a difference); so does the keys' order, which a claim and a fetch serialised alike share: a claim
   * whose keys come in another order is fetched, as before, never answered on a guess. (A canonical form, keys
   * sorted at every level, cost more CPU in the profile than the JSON and its hash together.)
   */
  static digest(transaction: unknown): string {
    return createHash('sha256')
      .update(JSON.stringify(transaction) ?? '')
      .digest('base64');
  }
}

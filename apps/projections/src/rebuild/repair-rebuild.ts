import type { Logger } from '@nestjs/common';
import type { RebuildResult } from './rebuild';
import { RebuildRefusedError } from './rebuild-lock';

/** The pause before trying a failed repair again, doubling after each failure up to `mostMs`. */
export interface RepairRetry {
  readonly firstMs: number;
  readonly mostMs: number;
}

const RETRY: RepairRetry = { firstMs: 5_000, mostMs: 5 * 60_000 };

/** What a repair's log lines say it rebuilds for. */
export interface RepairReason {
  readonly starting: string;
  readonly done: string;
  readonly leftToAnother: string;
  readonly failed: string;
}

/** A document in KV that cannot be read (`ProjectorService.unreadable`). */
export const UNREADABLE_DOCUMENT: RepairReason = {
  starting: 'rebuilding the read models from the log, to write again a document that cannot be read',
  done: 'the read models were rebuilt to repair an unreadable document: the leader adopts them',
  leftToAnother: 'another rebuild runs: its read models write the unreadable document again',
  failed: 'the rebuild to repair an unreadable document failed: it is tried again after the pause',
};

/**
 * A rebuild the projector starts itself when it finds a read-model document in KV it cannot read (a bug wrote
 * it, or a person): that document is left out of the fold, so its next event would be folded onto nothing and
 * a store's totals would start again from 0. A rebuild folds every document again from the log, and the leader
 * adopts it as it adopts `npm run projections:rebuild`'s, writing over the unreadable one.
 *
 * One at a time in a process: a document found while one runs is written by it too, since a rebuild reads
 * nothing of the live buckets. Refused because another rebuild runs (another process's), that one writes it.
 * A rebuild that fails (NATS or the log out of reach) is tried again after a pause, doubling, until one ends:
 * the document it repairs has been written over by the fold meanwhile, and nothing else would find it again.
 */
export class RepairRebuild {
  private running: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private pauseMs: number;
  private readonly stopping = new AbortController();

  constructor(
    private readonly rebuild: (signal: AbortSignal) => Promise<RebuildResult>,
    private readonly logger: Logger,
    private readonly retryAfter: RepairRetry = RETRY,
    private readonly reason: RepairReason = UNREADABLE_DOCUMENT,
  ) {
    this.pauseMs = retryAfter.firstMs;
  }

  /** Starts a rebuild unless one of this process's runs, or the process stops; at once, if one waits to retry. */
  request(): void {
    if (this.running || this.stopping.signal.aborted) return;
    clearTimeout(this.retry);
    this.retry = undefined;
    this.logger.warn(this.reason.starting);
    this.running = this.rebuild(this.stopping.signal)
      .then(
        (result) => {
          this.pauseMs = this.retryAfter.firstMs;
          this.logger.log(
            { position: result.position.toString(), events: result.events, documents: result.documents },
            this.reason.done,
          );
        },
        (error: unknown) => {
          if (this.stopping.signal.aborted) return;
          if (error instanceof RebuildRefusedError) {
            this.logger.warn(this.reason.leftToAnother);
            return;
          }
          const pauseMs = this.pauseMs;
          this.pauseMs = Math.min(pauseMs * 2, this.retryAfter.mostMs);
          this.logger.error({ err: error, retryInMs: pauseMs }, this.reason.failed);
          this.retry = setTimeout(() => this.request(), pauseMs);
          this.retry.unref();
        },
      )
      .finally(() => (this.running = undefined));
  }

  /** Stops a rebuild under way at its next page, and any retry, and waits for it to end. */
  async stop(): Promise<void> {
    this.stopping.abort();
    clearTimeout(this.retry);
    await this.running;
  }
}

import type { Logger } from '@nestjs/common';
import type { RebuildResult } from './rebuild';
import { RebuildRefusedError } from './rebuild-lock';

/**
 * A rebuild the projector starts itself when it finds a read-model document in KV it cannot read (a bug wrote
 * it, or a person): that document is left out of the fold, so its next event would be folded onto nothing and
 * a store's totals would start again from 0. A rebuild folds every document again from the log, and the leader
 * adopts it as it adopts `npm run projections:rebuild`'s, writing over the unreadable one.
 *
 * One at a time in a process: a document found while one runs is written by it too, since a rebuild reads
 * nothing of the live buckets. Refused because another rebuild runs (another process's), that one writes it.
 */
export class RepairRebuild {
  private running: Promise<void> | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly rebuild: (signal: AbortSignal) => Promise<RebuildResult>,
    private readonly logger: Logger,
  ) {}

  /** Whether a rebuild of this process's runs now. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Starts a rebuild unless one of this process's runs, or the process stops. */
  request(): void {
    if (this.running || this.stopping.signal.aborted) return;
    this.logger.warn('rebuilding the read models from the log, to write again a document that cannot be read');
    this.running = this.rebuild(this.stopping.signal)
      .then(
        (result) =>
          this.logger.log(
            { position: result.position.toString(), events: result.events, documents: result.documents },
            'the read models were rebuilt to repair an unreadable document: the leader adopts them',
          ),
        (error: unknown) => {
          if (this.stopping.signal.aborted) return;
          if (error instanceof RebuildRefusedError)
            this.logger.warn('another rebuild runs: its read models write the unreadable document again');
          else
            this.logger.error(
              { err: error },
              'the rebuild to repair an unreadable document failed: run `npm run projections:rebuild`',
            );
        },
      )
      .finally(() => (this.running = undefined));
  }

  /** Stops a rebuild under way at its next page, and waits for it to end. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }
}

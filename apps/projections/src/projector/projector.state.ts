import type { LogMark, RecordedEvent } from '@app/event-store';
import { ReadModelProjector } from '../read-models/read-model.projector';
import type { ActivityItem } from '../read-models/activity';
import type { Change } from '../read-models/read-model.types';
import type { PaymentIndexBucket } from './payment-index.bucket';
import type { ProjectorLease } from './projector-lease';
import type { ReadModelBuckets } from './read-model.buckets';
import type { ReadModelPublisher } from './read-model.publisher';

/**
 * What the projector's roles share (`ProjectorService` composes them): the fold in memory and the batch not yet
 * written, how far it went and what KV holds as far as this instance knows, and whether it writes. Plain fields
 * that the roles read and set, as the service's own fields were, but for a checkpoint saved, which moves the
 * positions with it (`saveCheckpoint`); the buckets, lease, index and publisher are opened at start
 * (`ProjectorService.onApplicationBootstrap`).
 */
export class ProjectorState {
  /** The read models as this instance folds them (`ProjectorService.tellingEnds` hooks it up). */
  projector = new ReadModelProjector();
  buckets: ReadModelBuckets | undefined;
  lease: ProjectorLease | undefined;
  index: PaymentIndexBucket | undefined;
  /** The ends, change subjects and feed of what this instance writes (opened at start). */
  publisher: ReadModelPublisher | undefined;
  /**
   * Whether the start has read the checkpoint and the documents (or begun a fold from 0): until then the fold holds
   * nothing of KV's: the dashboard is answered not ready, and the NATS queries are not subscribed. Once set, never
   * unset.
   */
  loaded = false;
  /** Whether this instance writes the read models (it holds the lease and has taken over). */
  leader = false;
  stopped = false;
  /** The checkpoint in KV was of another log at start: this instance folds from 0 and, leading, replaces them. */
  replacedAtBoot = false;
  /** Whether KV holds this log's documents: not while they are another log's (until this instance replaces them). */
  kvOfThisLog = true;
  /**
   * While this instance folds the log from position 0 (the read models were another log's): how far the log went
   * when that fold began. Until the fold has applied every projected event up to it, a document it does not hold
   * may only not be folded yet (`StoreDayQueries.mayLackFolded`); even once it has replaced KV, which it may do
   * before its first event.
   */
  foldingFrom0To: bigint | undefined;
  /**
   * The checkpoint up to which this instance, writing, dropped past store days from memory (0: none). KV going
   * back below it (another instance adopted a rebuild meanwhile) means the documents dropped may be older in KV
   * than in this fold: `ProjectorLeadership.lead` then folds again from KV before writing anything.
   */
  droppedUpTo = 0n;
  /** Position of the last event applied in memory (written or not). */
  folded = 0n;
  /** That event, while it is the one at `folded` (its mark goes with a checkpoint at its position). */
  foldedEvent: RecordedEvent | undefined;
  /**
   * The mark of the checkpoint found at boot on an event this log no longer has (it was restored from a backup):
   * that checkpoint, still in KV, is of the log as it was, and the takeover replaces it and its documents.
   */
  staleMark: LogMark | undefined;
  /** The identity of the log the checkpoint is a position in (see `logIdentity`). */
  logId = '';
  /** The log's head when this instance started: fault points fire only once it has caught up to it. */
  bootHead = 0n;
  pending = new Map<string, Change>();
  pendingEvents: RecordedEvent[] = [];
  /** The ends the fold told of since the last flush (`ReadModelProjector.onEnds`), for the dashboard. */
  pendingEnds: ActivityItem[] = [];
  /** The adoptions the documents this instance folded on from had been through (`Checkpoint.adoptions`). */
  adoptions = 0;
  /** The chain of flushes: a takeover and a standby's retiring of days go in it too, one at a time. */
  flushing: Promise<void> = Promise.resolve();
  /** Whether a rebuild's documents are being copied into the live buckets now. */
  copying = false;
  /** Position of the last event whose effects are all durable and published (a standby: folded). */
  checkpoint = 0n;
  /**
   * The checkpoint of this log last read from KV or written there by this instance: the position the read models
   * in KV reflect, as far as this instance knows, for the gauges. Unlike `checkpoint` it never moves on a fold that
   * was not written (a standby's, or a leader's whose lease ran out while NATS was away).
   */
  stored = 0n;
  /** An event is being applied (its past days maybe read back, awaiting others): no standby retires days meanwhile. */
  applying = false;
  /** Who waits for the checkpoint to be published again (`checkpointMoved`). */
  private readonly waiting = new Set<() => void>();

  /**
   * Saves the checkpoint at `position` (this log's, with the adoptions this instance folded on from), and then holds
   * it as published and in KV: what a flush does once the documents and the feed are written, and a takeover.
   */
  async saveCheckpoint(position: bigint, mark: LogMark | undefined, foldVersion: number | undefined): Promise<void> {
    await this.buckets!.saveCheckpoint(position, this.logId, this.adoptions, mark, foldVersion);
    this.published(position);
  }

  /** The checkpoint in KV is at `position` now, every event up to it published: told to whoever waits for it. */
  published(position: bigint): void {
    this.checkpoint = position;
    this.stored = position;
    for (const wake of this.waiting) wake();
  }

  /**
   * Settles once the checkpoint is published again (`published`), or after `ms`, whichever comes first: a wait that
   * also looks again at what only changes in place (`leader`, `stopped`) every `ms`.
   */
  checkpointMoved(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiting.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.waiting.add(wake);
    });
  }
}

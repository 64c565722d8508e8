import type { Logger } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { markGone, type EventStore, type LogMark } from '@app/event-store';
import { natsAway } from '@app/messaging';
import { OutageWarnings } from '@app/platform';
import { CheckpointVersionError, LogCheckpoints, type CheckpointKind, type LogCheckpoint } from './log-checkpoints';

export interface CheckpointKeeperOptions<State extends object> {
  readonly kind: CheckpointKind;
  readonly natsPrefix: string;
  /** On how many servers of the NATS cluster the object store is kept (`NATS_REPLICAS`). */
  readonly natsReplicas?: number;
  /** How often it is saved (`RECONCILER_CHECKPOINT_SECONDS`, `NIGHTLY_CLOSE_CHECKPOINT_SECONDS`). */
  readonly everyMs: number;
  /** The worker's state now, taken in one synchronous step with the follower's position. */
  readonly snapshot: () => State;
  /** Puts a snapshot's state in place of the worker's (empty: nothing folded yet). */
  readonly restore: (state: State) => void;
  /** What the line logged at start says of the worker's state, restored or not (the reconciler's due payments). */
  readonly described?: () => Record<string, unknown>;
  /**
   * Why this instance cannot take a checkpoint's state, or `undefined` when it can: the state lacks what this
   * instance's own settings need (the nightly close's, pruned to fewer days back than it looks). The log is then
   * followed from its start.
   */
  readonly refuses?: (state: State) => string | undefined;
  /** The clock of the pauses between warnings of saves that failed (`OutageWarnings`). */
  readonly now?: () => number;
}

/** What the keeper reads of the worker's follower: where it is, and the event there. */
export interface FollowedTo {
  readonly position: bigint;
  readonly mark: LogMark | undefined;
}

/**
 * Keeps a worker's checkpoint (`LogCheckpoints`), for a worker that folds the log into memory: at start, the state of
 * the latest checkpoint of this log and the position to follow the log from after it; then a save every `everyMs`, and
 * one at stop. The log is followed from its start, as at a first start, when the checkpoint is missing, cannot be read
 * in time, is of another version (`CheckpointKind.version`), was made on a log since restored from a backup (it
 * names an event the log no longer has), or holds less than this instance's settings need (`refuses`). A save that fails is only logged: the next one, or a replay from an older
 * checkpoint, covers it.
 */
export class CheckpointKeeper<State extends object> {
  /** The position of the last checkpoint this instance saved, or read. */
  private savedPosition = -1n;
  /**
   * The checkpoint found was of another version, of the log as it was before a restore from a backup, or one this
   * instance cannot take (`refuses`): the first save replaces it, however far it was.
   */
  private replacing = false;
  private saving: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private followed: FollowedTo | undefined;
  /** The saves that failed, said backing off (`save`). */
  private readonly saveWarnings: OutageWarnings;

  private constructor(
    private readonly options: CheckpointKeeperOptions<State>,
    private readonly checkpoints: LogCheckpoints<State>,
    private readonly logId: string,
    private readonly store: EventStore,
    private readonly nats: NatsConnection,
    private readonly logger: Logger,
  ) {
    const { kind, now } = options;
    this.saveWarnings = new OutageWarnings(logger, `the ${kind.name} checkpoint saved again: NATS answers again`, now);
  }

  /**
   * The keeper of the checkpoints of the log `logId` names (`logIdentity`, read by the caller: the log away is not
   * NATS away). Rejects when the object store cannot be had (NATS out of reach).
   */
  static async open<State extends object>(
    options: CheckpointKeeperOptions<State>,
    logId: string,
    store: EventStore,
    nats: NatsConnection,
    logger: Logger,
  ): Promise<CheckpointKeeper<State>> {
    const checkpoints = await LogCheckpoints.open<State>(nats, options.natsPrefix, options.kind, options.natsReplicas);
    return new CheckpointKeeper(options, checkpoints, logId, store, nats, logger);
  }

  /** The checkpoint's state restored, if one is to be: the position to follow the log from (0 without one). */
  async resume(): Promise<bigint> {
    const { name } = this.options.kind;
    const loaded = await this.checkpoints.load(this.logId).catch((error: unknown) => {
      if (error instanceof CheckpointVersionError) this.replacing = true;
      this.logger.warn(
        { err: error },
        error instanceof CheckpointVersionError
          ? `the ${name} checkpoint was saved by another version: following the log from its start`
          : `could not read the ${name} checkpoint: following the log from its start`,
      );
      return undefined;
    });
    const saved = loaded && (await this.ofThisLog(loaded)) && this.taken(loaded) ? loaded : undefined;
    if (saved) this.options.restore(saved.state);
    this.savedPosition = saved?.position ?? -1n;
    this.logger.log(
      { position: (saved?.position ?? 0n).toString(), ...this.options.described?.() },
      saved ? `${name} resuming from its checkpoint` : `${name} following the log from its start`,
    );
    return saved?.position ?? 0n;
  }

  /**
   * Whether the log still has the event the checkpoint was made at. A log restored from a backup keeps its identity
   * but writes new events at the positions the lost ones had: resuming after the checkpoint would pass them by. The
   * log is then followed from its start. A read that may only lag is not taken as a loss (`markGone`).
   */
  private async ofThisLog(checkpoint: LogCheckpoint<State>): Promise<boolean> {
    if (!checkpoint.mark) return true;
    const gone = await markGone(this.store, checkpoint.mark);
    if (!gone) return true;
    // Its position is one the restored log has not reached again: a save not as far would be passed over as behind it.
    this.replacing = true;
    this.logger.warn(
      { checkpoint: checkpoint.position.toString(), stream: checkpoint.mark.streamName, gone },
      `the log does not have the event the ${this.options.kind.name} checkpoint was made at (restored from a backup?): following it from its start`,
    );
    return false;
  }

  /** Whether this instance can take the checkpoint's state (`refuses`); logged when it cannot. */
  private taken(checkpoint: LogCheckpoint<State>): boolean {
    const refused = this.options.refuses?.(checkpoint.state);
    if (refused === undefined) return true;
    this.replacing = true;
    this.logger.warn(
      { checkpoint: checkpoint.position.toString() },
      `the ${this.options.kind.name} checkpoint ${refused}: following the log from its start`,
    );
    return false;
  }

  /** Saves the state as of where `followed` is, every `everyMs` from now. */
  keep(followed: FollowedTo): void {
    this.followed = followed;
    this.timer = setInterval(() => void this.save(), this.options.everyMs);
    this.timer.unref();
  }

  /**
   * Stops the saves, after one more (once the worker has stopped following and working). With NATS away the save
   * would only wait for its timeout and fail: the next start replays from the last one saved.
   */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (natsAway(this.nats))
      this.logger.warn(
        `NATS is away: the ${this.options.kind.name} checkpoint is not saved at stop; the next start replays from the last one saved`,
      );
    else await this.save();
  }

  /**
   * Saves the state as of the last event followed, when that moved since the last save. Taken in one synchronous step,
   * so the snapshot and its position agree. A save that fails is said backing off (`OutageWarnings`): while NATS was
   * gone and the log moved, each save (every `everyMs`, a second at the shortest) was a warning for as long as the
   * outage lasted. The first save after it is said once.
   */
  save(): Promise<void> {
    this.saving = this.saving.then(async () => {
      if (!this.followed) return;
      const { position, mark } = this.followed;
      if (position <= this.savedPosition) return;
      try {
        const state = this.options.snapshot();
        await this.checkpoints.save(this.logId, { position, ...(mark ? { mark } : {}), state }, this.replacing);
        this.savedPosition = position;
        this.replacing = false;
      } catch (error) {
        this.saveWarnings.failed(error, `could not save the ${this.options.kind.name} checkpoint`);
        return;
      }
      this.saveWarnings.answered({ position: position.toString() });
    });
    return this.saving;
  }
}

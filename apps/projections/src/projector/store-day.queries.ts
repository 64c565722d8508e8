import type { EventStore } from '@app/event-store';
import type { StoreDayReader } from '../read-models/apply-from-log';
import type { StoreDayDoc } from '../read-models/read-model.types';
import type { ProjectorState } from './projector.state';
import { PROJECTED_STREAMS } from './projected-streams';
import { UnreadableDocumentError } from './read-model.buckets';

/**
 * The store days this instance does not hold in memory (a day out of its window): read back for the fold, or
 * answered to queries, from the batch not yet written or from KV, and never from KV of another log.
 */
export class StoreDayQueries {
  constructor(
    private readonly state: ProjectorState,
    private readonly store: EventStore,
    /** A document in KV this version cannot read (`ProjectorService.unreadable`): left out, and a rebuild asked for. */
    private readonly unreadable: (error: UnreadableDocumentError) => void,
  ) {}

  /** A store day out of memory: from the batch not yet written, or from KV. */
  readonly readDay: StoreDayReader = async (key) => {
    // KV of another log holds nothing of this one: a fold from 0 keeps every day it made until it writes.
    if (!this.state.kvOfThisLog) return undefined;
    const pending = this.state.pending.get(`store-day:${key}`);
    if (pending?.model === 'store-day') return pending.doc;
    try {
      return (await this.state.buckets!.get('store-day', key)) as StoreDayDoc | undefined;
    } catch (error) {
      if (!(error instanceof UnreadableDocumentError)) throw error;
      this.unreadable(error);
      return undefined;
    }
  };

  /**
   * A store's day, for queries: from memory, or, for a day out of its window, from KV; `none` when there is no such
   * document, `unknown` when KV cannot say (it holds another log's, being folded again from 0, or the document
   * cannot be read), so that a day with takings is never answered as one without.
   */
  async storeDay(storeId: string, date: string): Promise<StoreDayDoc | 'none' | 'unknown'> {
    const held = this.state.projector.storeDay(storeId, date);
    if (held) return held;
    const key = `${storeId}.${date}`;
    if (!this.state.kvOfThisLog) return 'unknown';
    const pending = this.state.pending.get(`store-day:${key}`);
    if (pending?.model === 'store-day') return pending.doc;
    try {
      return ((await this.state.buckets!.get('store-day', key)) as StoreDayDoc | undefined) ?? 'none';
    } catch (error) {
      if (!(error instanceof UnreadableDocumentError)) throw error;
      this.unreadable(error);
      return 'unknown';
    }
  }

  /**
   * Whether a document this instance does not hold may yet be in the log, for queries to answer "not ready" rather
   * than "not found": while it folds the log from position 0 and has not applied every projected event the log had
   * when that fold began (`foldingFrom0To`). The next such event after the fold is read to tell (one read per query
   * of something not held, during that fold only): the log's head alone may be an event of a stream not projected.
   */
  async mayLackFolded(): Promise<boolean> {
    const until = this.state.foldingFrom0To;
    if (until === undefined) return false;
    const folded = this.state.folded;
    if (folded < until) {
      const [next] = await this.store.readAll({ after: folded, limit: 1, streamPrefixes: PROJECTED_STREAMS });
      if (next !== undefined && next.position <= until) return true;
    }
    // Every projected event up to it is applied: from now on what is not held is not in the log (or not yet read).
    if (this.state.foldingFrom0To === until) this.state.foldingFrom0To = undefined;
    return false;
  }
}

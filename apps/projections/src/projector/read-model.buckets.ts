import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import type { Republish } from '@nats-io/jetstream';
import type { LogMark } from '@app/event-store';
import { bucketKeys, isRevisionConflict, natsNames, replicatedBucket, writeEntries } from '@app/messaging';
import type { Change } from '../read-models/read-model.types';
import { publishOnChangeSubjects } from './bucket-republish';
import { RebuildHandOver } from './rebuild-hand-over';
import { daysFirst, entriesOf, liveDaysInWindow, PUT_WINDOW } from './bucket-windows';
import { knownIn, writeAfterConflict } from './fenced-write';
import { ProjectorCheckpoint } from './projector-checkpoint';
import {
  documentOf,
  fenced,
  FenceLostError,
  positionOf,
  UnreadableDocumentError,
  type Checkpoint,
  type Entry,
  type FencedPut,
  type HandOver,
} from './read-model.entries';

export { daysFirst, FenceLostError, UnreadableDocumentError, type Checkpoint, type FencedPut, type HandOver };

const MODELS = ['store', 'terminal', 'store-day'] as const;

/**
 * The read models' NATS KV buckets (docs/design.md: `payments_terminals`, `payments_stores`,
 * `payments_store_days`) and the projector's checkpoint (`payments_projections`, key `checkpoint`).
 * `suffix` names another generation of buckets, for a rebuild beside the live ones.
 */
export class ReadModelBuckets {
  /** The KV revision of each document (`model:key`), as this instance last read or wrote it. */
  private readonly revisions = new Map<string, number>();
  /** The checkpoint, and this instance's claim on it as the writer of the live documents. */
  private readonly checkpoints: ProjectorCheckpoint;
  /** The rebuild's offer in the state bucket. */
  private readonly handOvers: RebuildHandOver;

  private constructor(
    private readonly nats: NatsConnection,
    private readonly buckets: Readonly<Record<Change['model'], KV>>,
    state: KV,
    /**
     * The state bucket again, read from its stream's leader (JetStream's message get), never by direct get:
     * with `allow_direct` (which `kvm.create` sets) a replica of a clustered bucket may answer a read from its
     * own copy, behind the leader, and the fence's read of the checkpoint (`assertStillWriter`) would then miss
     * a later takeover's claim, and a projector starting from the checkpoint would skip what it has not seen.
     * The document buckets are bound the same way (`openGeneration`).
     */
    stateAtLeader: KV,
    /** Whether NATS publishes each document written here on its change subject (see `open`). */
    readonly publishedByNats: boolean,
    /** The document buckets' names without a suffix, and this generation's suffix ('' for the live one). */
    private readonly generation: { readonly names: readonly string[]; readonly suffix: string },
  ) {
    this.handOvers = new RebuildHandOver(state);
    this.checkpoints = new ProjectorCheckpoint(state, stateAtLeader);
  }

  /**
   * The live generation (no `suffix`) publishes every document on its change subject from NATS itself: each
   * bucket's stream republishes what it stores (`republish`), so that a document goes out only once KV took it,
   * in the order KV took it. A writer that was paused and wakes up with publications still in its socket
   * buffer can then not send an older document after a newer one, and no write is left unpublished by a crash
   * between the two. A rebuild's generation publishes nothing.
   *
   * Buckets an earlier version made are given `republish` by a stream update. A server that refuses it (before
   * nats-server 2.9.12 a stream's `republish` cannot change) leaves them as they are, and `publishedByNats` is
   * false: the projector then publishes the change subjects itself, as earlier versions did.
   *
   * `replicas`: on how many servers of the NATS cluster each bucket is kept (`NATS_REPLICAS`; `replicatedBucket`).
   */
  static open(nats: NatsConnection, prefix: string, suffix = '', replicas?: number): Promise<ReadModelBuckets> {
    return ReadModelBuckets.openGeneration(nats, prefix, suffix, { replicas });
  }

  /**
   * A rebuild's generation as it stands, making no bucket: one a later rebuild removed fails at its first use
   * (`count`), where `open` would make it again, empty, for an adopter to copy over the live documents.
   */
  static existing(nats: NatsConnection, prefix: string, suffix: string): Promise<ReadModelBuckets> {
    return ReadModelBuckets.openGeneration(nats, prefix, suffix, false);
  }

  private static async openGeneration(
    nats: NatsConnection,
    prefix: string,
    suffix: string,
    /** The buckets are made (with this many replicas), or false: opened as they are, none made. */
    make: false | { readonly replicas: number | undefined },
  ): Promise<ReadModelBuckets> {
    const kvm = new Kvm(nats);
    const { buckets } = natsNames(prefix);
    // history 1: consumers want the latest document; the log is the history.
    const bucket = (name: string, options: { republish?: Republish } = {}) =>
      make ? replicatedBucket(nats, name, { history: 1, ...options }, make.replicas) : kvm.open(name);
    // One state bucket for every generation: it holds the live checkpoint and the rebuild's hand-over.
    const state = await bucket(`${prefix}_projections`);
    // Bound without `allow_direct`: nats.js then reads by the stream's message get, which its leader answers.
    const stateAtLeader = await kvm.open(`${prefix}_projections`);
    const models = [
      ['terminal', buckets.terminals],
      ['store', buckets.stores],
      ['store-day', buckets.storeDays],
    ] as const;
    const live = suffix === '';
    const published = models.map(([model, bucket]) => ({
      bucket,
      republish: { src: `$KV.${bucket}.>`, dest: `${prefix}.v1.${model}.>` },
    }));
    await Promise.all(
      published.map(({ bucket: name, republish }) => bucket(`${name}${suffix}`, live ? { republish } : {})),
    );
    // The documents, made or found above, bound again to be read from each stream's leader, as the checkpoint is:
    // a fold that began from a replica's copy one write behind (a current checkpoint, an older document) never
    // applied that write, and its next write of the document, at a later position, put it back over KV's.
    const [terminal, store, storeDay] = await Promise.all(
      published.map(({ bucket: name }) => kvm.open(`${name}${suffix}`)),
    );
    const publishedByNats = make && live && (await publishOnChangeSubjects(nats, published));
    return new ReadModelBuckets(
      nats,
      { terminal: terminal!, store: store!, 'store-day': storeDay! },
      state,
      stateAtLeader,
      publishedByNats,
      { names: models.map(([, bucket]) => bucket), suffix },
    );
  }

  /** Deletes this generation's document buckets (not the shared state bucket). */
  async destroy(): Promise<void> {
    await Promise.all(Object.values(this.buckets).map((bucket) => bucket.destroy()));
  }

  /**
   * Deletes the document buckets of every other generation whose suffix begins with `stem`: the live ones (no
   * suffix) never, this one's never.
   */
  async destroyOtherGenerations(stem: string): Promise<void> {
    const own = new Set(this.generation.names.map((name) => `${name}${this.generation.suffix}`));
    const stems = this.generation.names.map((name) => `${name}${stem}`);
    const kvm = new Kvm(this.nats);
    const others: string[] = [];
    for await (const { bucket } of kvm.list())
      if (!own.has(bucket) && stems.some((named) => bucket.startsWith(named))) others.push(bucket);
    for (const name of others) await (await kvm.open(name)).destroy();
  }

  /**
   * Replaces every document with these (another log's go): written, and any key they do not have deleted.
   * Fenced like `copyFrom`.
   */
  async replaceAll(changes: readonly Change[]): Promise<void> {
    await this.learnRevisions();
    await this.putOver(changes);
    const kept = new Set(changes.map((change) => `${change.model}:${change.key}`));
    for (const model of MODELS) await this.deleteKeys(model, (key) => !kept.has(`${model}:${key}`));
  }

  /**
   * Deletes the keys `stale` names, each at the revision this instance knows for it (fenced as `putOver`), and
   * only while no later takeover has claimed the checkpoint, read after the keys: a key listed that this
   * instance knows no revision of was written since it read the documents, by a writer whose claim came first.
   */
  private async deleteKeys(model: Change['model'], stale: (key: string) => boolean): Promise<void> {
    // Deleted keys are listed too (their markers): their revision is not known, and they are read and skipped.
    const keys = (await bucketKeys(this.buckets[model])).filter(stale);
    if (keys.length > 0) await this.assertStillWriter();
    for (const key of keys) {
      const known = `${model}:${key}`;
      let revision = this.revisions.get(known);
      if (revision === undefined) {
        // Written since the keys were listed, or before by a writer since gone: its claim, if any, is read after it.
        const entry = await this.buckets[model].get(key);
        if (entry?.operation !== 'PUT') continue;
        await this.assertStillWriter();
        revision = entry.revision;
      }
      const previousSeq = revision;
      await fenced(`${model} ${key}`, () => this.buckets[model].delete(key, { previousSeq }));
      this.revisions.delete(known);
    }
  }

  /**
   * Reads the revision of every document these buckets hold, and of the checkpoint, as KV has them now: what
   * a wholesale replacement (`copyFrom`, `replaceAll`) then writes over, and only that. A paused instance that
   * wakes up in the middle of one finds the documents the writer since wrote at other revisions, and stops.
   */
  private async learnRevisions(): Promise<void> {
    // The documents' revisions known before are forgotten first: a key deleted since has no document to learn
    // a revision from, and the revision this instance once wrote it at would fence it out of that key for good.
    this.revisions.clear();
    for (const model of MODELS) {
      const bucket = this.buckets[model];
      for await (const entries of entriesOf(bucket, await bucketKeys(bucket)))
        for (const [key, entry] of entries)
          if (entry?.operation === 'PUT') this.revisions.set(`${model}:${key}`, entry.revision);
    }
    // After the documents: had another writer claimed the checkpoint before this read them, it is seen here.
    await this.assertStillWriter();
  }

  /**
   * Writes these documents over what KV holds, whatever their positions (a rebuild's adoption, a replaced
   * log), each at the revision this instance knows for it: a document written by another instance since
   * stops the writing with `FenceLostError`.
   */
  private async putOver(changes: readonly Change[]): Promise<void> {
    await this.writeInWindows(changes, true, async (change, outcome) => {
      if (!(outcome instanceof Error)) return;
      const known = `${change.model}:${change.key}`;
      // A key this instance knows no revision of may hold a delete marker, which `kv.create` writes over.
      const entry = isRevisionConflict(outcome) && !this.revisions.has(known) ? await this.entry(change) : null;
      if (entry?.operation !== 'DEL' && entry?.operation !== 'PURGE')
        throw isRevisionConflict(outcome) ? new FenceLostError(`${change.model} ${change.key}`) : outcome;
      await this.assertStillWriter();
      const next = await fenced(`${change.model} ${change.key}`, () =>
        this.buckets[change.model].update(change.key, JSON.stringify(change.doc), entry.revision),
      );
      this.revisions.set(known, next);
    });
  }

  /**
   * Writes the documents `PUT_WINDOW` at a time, a window's all at once (through `writeEntries`): when
   * `fenced`, each at the revision this instance knows for it (only where the key has no entry, if it knows
   * none). Keeps the revisions written, then settles each document with its new revision or the error that
   * refused it (a revision conflict: `isRevisionConflict`), a window's all at once. A fenced window is written
   * only while no later takeover has claimed the checkpoint: a writer from before that wakes up would otherwise
   * create every key the next one has not written yet before it met a revision of the next one's.
   */
  private async writeInWindows(
    changes: readonly Change[],
    fenced: boolean,
    settle: (change: Change, outcome: number | Error) => Promise<void> | void,
  ): Promise<void> {
    for (let start = 0; start < changes.length; start += PUT_WINDOW) {
      const window = changes.slice(start, start + PUT_WINDOW);
      if (fenced) await this.assertStillWriter();
      const outcomes = await writeEntries(
        this.nats,
        window.map((change) => ({
          kv: this.buckets[change.model],
          key: change.key,
          value: JSON.stringify(change.doc),
          revision: fenced ? (this.revisions.get(`${change.model}:${change.key}`) ?? 0) : undefined,
        })),
      );
      window.forEach((change, index) => {
        const outcome = outcomes[index]!;
        if (!(outcome instanceof Error)) this.revisions.set(`${change.model}:${change.key}`, outcome);
      });
      await Promise.all(window.map(async (change, index) => settle(change, outcomes[index]!)));
    }
  }

  private async entry(change: Change): Promise<Entry | null> {
    return this.buckets[change.model].get(change.key);
  }

  /** A finished rebuild waiting to be adopted by the live projector, if any (`RebuildHandOver.handOver`). */
  handOver(): Promise<HandOver | undefined> {
    return this.handOvers.handOver();
  }

  offerHandOver(handOver: HandOver): Promise<void> {
    return this.handOvers.offerHandOver(handOver);
  }

  /** The offer waiting, with its KV revision (`RebuildHandOver.handOverAt`). */
  handOverAt(): Promise<{ readonly offer: HandOver; readonly revision: number } | undefined> {
    return this.handOvers.handOverAt();
  }

  /** Withdraws the offer waiting; with `revision`, only that offer (`RebuildHandOver.clearHandOver`). */
  clearHandOver(revision?: number): Promise<boolean> {
    return this.handOvers.clearHandOver(revision);
  }

  /** Calls `onOffer` whenever a rebuild offers a hand-over. */
  watchHandOver(onOffer: (handOver: HandOver) => void): Promise<() => void> {
    return this.handOvers.watchHandOver(onOffer);
  }

  /**
   * Every document a projector holds in memory, to resume from: every store and terminal, and each store's
   * days within the window it keeps (`StoreDays`); older days stay in KV until an event needs one. A document
   * that cannot be read (`documentOf`) is handed to `onUnreadable` and left out; its revision is kept, so that
   * the fold's next document for its key is written over it.
   */
  async *loadAll(onUnreadable: (error: UnreadableDocumentError) => void): AsyncGenerator<Change> {
    for (const model of MODELS) {
      const bucket = this.buckets[model];
      const keys = await bucketKeys(bucket);
      const batches = model === 'store-day' ? [await liveDaysInWindow(bucket, keys)] : entriesOf(bucket, keys);
      for await (const entries of batches)
        for (const [key, entry] of entries) {
          if (entry?.operation !== 'PUT') continue;
          this.revisions.set(`${model}:${key}`, entry.revision);
          let doc: unknown;
          try {
            doc = documentOf(model, key, entry);
          } catch (error) {
            if (!(error instanceof UnreadableDocumentError)) throw error;
            onUnreadable(error);
            continue;
          }
          yield { model, key, doc } as Change;
        }
    }
  }

  /** How many documents the buckets hold. */
  async count(): Promise<number> {
    const counts = await Promise.all(Object.values(this.buckets).map(async (bucket) => (await bucket.status()).values));
    return counts.reduce((sum, count) => sum + count, 0);
  }

  /**
   * Makes these buckets hold what `source`'s hold (a rebuild's), document by document, without holding them
   * all in memory (only their keys): each written, then every key `source` has not deleted. `onCopied` sees
   * each document copied. `sourceHeld` says whether `source` is still as it was offered (no later rebuild emptied
   * it): asked before each bucket's keys are read, since an empty source would delete every document here.
   */
  async copyFrom(
    source: ReadModelBuckets,
    onCopied: (change: Change) => void,
    sourceHeld: () => boolean = () => true,
  ): Promise<void> {
    await this.learnRevisions();
    for (const model of MODELS) {
      if (!sourceHeld()) throw new Error('the rebuilt buckets may have been emptied since the copy began: stopped');
      const kept = new Set<string>();
      for await (const entries of entriesOf(source.buckets[model], await bucketKeys(source.buckets[model]))) {
        const changes = entries.flatMap(([key, entry]) =>
          entry?.operation === 'PUT' ? [{ model, key, doc: entry.json() } as Change] : [],
        );
        await this.putOver(changes);
        changes.forEach(onCopied);
        for (const { key } of changes) kept.add(key);
      }
      await this.deleteKeys(model, (key) => !kept.has(key));
    }
  }

  /** A document, or undefined when there is none; `UnreadableDocumentError` when it cannot be read (`documentOf`). */
  async get(model: Change['model'], key: string): Promise<unknown> {
    const entry = await this.buckets[model].get(key);
    return entry && entry.operation === 'PUT' ? documentOf(model, key, entry) : undefined;
  }

  /** Writes these documents whatever KV holds: a rebuild into its own generation, which nothing else writes. */
  async put(changes: Iterable<Change>): Promise<void> {
    await this.writeInWindows([...changes], false, (_change, outcome) => {
      if (outcome instanceof Error) throw outcome;
    });
  }

  /**
   * Writes each document at the KV revision this instance knows for it, so that a document is never
   * written over a newer one: when KV moved on meanwhile (another instance wrote it), the entry is read
   * again; a document there at a later position than this one is left as it is and returned in `newer`,
   * one at an earlier position is written over at its revision. Positions in KV only ever go forward,
   * however many instances write and whichever of them was paused. The store days are written first, all at once,
   * those KV refused then one at a time; then the other documents the same way (`daysFirst`).
   */
  async putFenced(changes: Iterable<Change>): Promise<FencedPut> {
    const written: Change[] = [];
    const newer: Change[] = [];
    const settle = async (change: Change, outcome: number | Error) => {
      if (!(outcome instanceof Error)) {
        written.push(change);
        return;
      }
      if (!isRevisionConflict(outcome)) throw outcome;
      const kept = await writeAfterConflict(
        this.buckets[change.model],
        knownIn(this.revisions, `${change.model}:${change.key}`),
        change.key,
        JSON.stringify(change.doc),
        (entry) => positionOf(entry) >= BigInt(change.doc.position),
        // A document another writer moved: written over only while no later takeover claimed the checkpoint, read
        // after the document (its claim comes before its first write, so that write's revision would refuse ours).
        () => this.assertStillWriter(),
      );
      if (kept) newer.push({ model: change.model, key: change.key, doc: kept.json() } as Change);
      else written.push(change);
    };
    // Every store day first, each retried after a conflict, before any other document is sent (`daysFirst`).
    const [days, others] = daysFirst(changes);
    await this.writeInWindows(days, true, settle);
    await this.writeInWindows(others, true, settle);
    return { written, newer };
  }

  /** Makes this instance the writer of the live documents, before it writes any (`ProjectorCheckpoint.claim`). */
  claim(takeover: string): Promise<Checkpoint> {
    return this.checkpoints.claim(takeover);
  }

  /** `FenceLostError` when another takeover than this instance's claimed the checkpoint (see `claim`). */
  private assertStillWriter(): Promise<void> {
    return this.checkpoints.assertStillWriter();
  }

  /** The checkpoint as KV holds it, 0 before any (`ProjectorCheckpoint.read`). */
  checkpoint(): Promise<Checkpoint> {
    return this.checkpoints.read();
  }

  /** Sets the checkpoint whatever position KV holds, for adopting a rebuild (`ProjectorCheckpoint.reset`). */
  resetCheckpoint(
    position: bigint,
    logId: string,
    adoptions: number,
    mark?: LogMark,
    foldVersion?: number,
  ): Promise<void> {
    return this.checkpoints.reset(position, logId, adoptions, mark, foldVersion);
  }

  /** Moves the checkpoint to `position`, never back over a further one (`ProjectorCheckpoint.save`). */
  saveCheckpoint(
    position: bigint,
    logId: string,
    adoptions = 0,
    mark?: LogMark,
    foldVersion?: number,
  ): Promise<boolean> {
    return this.checkpoints.save(position, logId, adoptions, mark, foldVersion);
  }
}

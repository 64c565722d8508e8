import { JetStreamApiError } from '@nats-io/jetstream';
import { Bucket, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { JetStreamBatchPublisher } from './jetstream-batch';

/** Writes in flight at once. */
const WINDOW = 1_000;

/** One entry to write to a KV bucket. */
export interface KvWrite {
  readonly kv: KV;
  readonly key: string;
  readonly value: string;
  /** Written only over this revision of the key (0: only where the key has no entry), as `kv.update`. */
  readonly revision?: number;
}

/**
 * Writes entries of KV buckets, a window of 1,000 at once, through the connection's `JetStreamBatchPublisher`,
 * and gives for each, in order, its new revision or why it was not written: a revision conflict is the server's
 * `JetStreamApiError`, as `kv.update` rejects with (`isRevisionConflict`). The messages are those `kv.put` and
 * `kv.update` send: the value on the key's subject, with `Nats-Expected-Last-Subject-Sequence` for a revision.
 * One difference from `kv.create`: a key whose last entry is a delete marker has a revision, so writing it at
 * revision 0 is a conflict too. Values go as they are, as nats.js's default codec (the engine's buckets'
 * codec) sends them.
 */
export async function writeEntries(nats: NatsConnection, writes: readonly KvWrite[]): Promise<Array<number | Error>> {
  const messages = writes.map(({ kv, key, value, revision }) => {
    // The subject of a key, as nats.js's own puts make it (the bucket's prefix, or its API prefix if it has one).
    if (!(kv instanceof Bucket)) throw new Error('writeEntries needs buckets opened through Kvm');
    const encoded = kv.encodeKey(key);
    kv.validateKey(encoded);
    return { subject: kv.subjectForKey(encoded, true), data: value, expectedLastSubjectSequence: revision };
  });
  const publisher = JetStreamBatchPublisher.of(nats);
  const revisions: Array<number | Error> = [];
  // A window at a time: pipelined, but a large set is not all in flight at once.
  for (let start = 0; start < messages.length; start += WINDOW) {
    const outcomes = await publisher.publishEach(messages.slice(start, start + WINDOW));
    for (const outcome of outcomes) revisions.push('seq' in outcome ? outcome.seq : outcome.error);
    // A write NATS did not answer (no stream, no ack in time, the connection closing), rather than a refusal of
    // the key's own: the rest is not sent, since each window would wait the same timeout.
    const unanswered = outcomes.find(
      (outcome): outcome is { error: Error } => 'error' in outcome && !(outcome.error instanceof JetStreamApiError),
    );
    if (unanswered) {
      const notSent = new Error(`not sent, after an earlier write failed: ${unanswered.error.message}`, {
        cause: unanswered.error,
      });
      while (revisions.length < messages.length) revisions.push(notSent);
      break;
    }
  }
  return revisions;
}

import { Bucket, type KV } from '@nats-io/kv';

/**
 * The keys of a KV bucket that match `filter` (a key, or a pattern with `*` and `>`) and have an entry now.
 * A deleted or purged key is among them while its marker is, as it is in the bucket: read the entry to tell.
 *
 * Not nats.js's `kv.keys()`, which follows a consumer of the bucket until it is sent a key with nothing pending
 * after it, or until the bucket has been quiet for five seconds. On nats-server 2.9.10 a consumer that began while
 * a projector wrote the bucket was sent every later key with one still pending, a key every 25 ms for as long as
 * the writes went on: a projections instance starting beside a busy writer listed keys for more than 30 s, and
 * never answered its health check. This asks for the subjects the bucket's stream holds: a point in time, in one
 * request or pages of one that nats.js joins (120,000 keys, all listed: 1.9 s, against 4.1 s for `kv.keys()` on
 * a quiet bucket, on 2.9.10).
 */
export async function bucketKeys(kv: KV, filter = '>'): Promise<string[]> {
  if (!(kv instanceof Bucket)) throw new Error('bucketKeys needs buckets opened through Kvm');
  kv.validateSearchKey(filter);
  const info = await kv.jsm.streams.info(kv.stream, { subjects_filter: kv.fullKeyName(kv.encodeKey(filter)) });
  return Object.keys(info.state.subjects ?? {}).map((subject) => kv.decodeKey(subject.substring(kv.prefixLen)));
}

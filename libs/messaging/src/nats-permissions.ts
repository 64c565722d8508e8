import { natsNames } from './nats-names';

export interface ConsumerGrant {
  /** The NATS user name. */
  readonly user: string;
  readonly stores: readonly string[];
  /**
   * Also the subjects a POS key is asked on (which stores they may name is the key's business): the commands,
   * and the reads of what they start (a payment, a refund, an operation, the payments list).
   */
  readonly commands?: boolean;
}

export interface Permissions {
  readonly publish: { readonly allow: readonly string[] };
  readonly subscribe: { readonly allow: readonly string[] };
}

/**
 * What a consumer of the read models may do on NATS, for its own stores only: subscribe to their change
 * subjects and their events, and read their KV documents by direct get (`$JS.API.DIRECT.GET.<stream>.<key
 * subject>`, where the key is in the subject, so that the server can check it). Not granted, because the
 * subject would not name the store: the read models' query subjects (the store is in the body), `$JS.API.STREAM.MSG.GET`
 * (the key is in the body), KV watches (consumer creation), and a bucket's stream info (asked with a subject
 * filter, it lists every key: every store, terminal and trading day). A consumer opens the buckets with
 * `{ allow_direct: true }`, which binds them without asking, and follows changes on the change subjects
 * (docs/consuming.md).
 *
 * Answers come to the consumer's own inboxes only (`consumerInboxPrefix`, nats.js's `inboxPrefix` option): with the
 * whole of `_INBOX.>` it could subscribe to every other connection's answers, other stores' documents among them.
 */
export function consumerPermissions(prefix: string, grant: ConsumerGrant): Permissions {
  const names = natsNames(prefix);
  for (const store of grant.stores) names.keys.store(store); // refuses an id that is not a subject token
  if (!/^[A-Za-z0-9_-]+$/.test(grant.user))
    throw new Error(`user ${JSON.stringify(grant.user)}: letters, digits, - and _ only`);
  const subscribe = grant.stores.flatMap((store) => [
    `${names.changes.store(store)}`,
    `${prefix}.v1.terminal.${names.keys.store(store)}.>`,
    `${prefix}.v1.store-day.${names.keys.store(store)}.>`,
    names.changes.activity(store),
    `${prefix}.v1.events.${names.keys.store(store)}.>`,
  ]);
  const directGets = grant.stores.flatMap((store) => [
    `$JS.API.DIRECT.GET.KV_${names.buckets.terminals}.$KV.${names.buckets.terminals}.${store}.>`,
    `$JS.API.DIRECT.GET.KV_${names.buckets.stores}.$KV.${names.buckets.stores}.${store}`,
    `$JS.API.DIRECT.GET.KV_${names.buckets.storeDays}.$KV.${names.buckets.storeDays}.${store}.>`,
  ]);
  return {
    publish: {
      allow: ['$JS.API.INFO', ...directGets, ...(grant.commands ? posSubjects(names) : [])],
    },
    subscribe: { allow: [...subscribe, `${consumerInboxPrefix(grant.user)}.>`] },
  };
}

/** The subjects the command service answers with a POS key: the commands and the reads that go with them. */
function posSubjects(names: ReturnType<typeof natsNames>): string[] {
  const { payments, payment, refund, operation } = names.queries;
  return [...Object.values(names.commands), payments, payment, refund, operation];
}

/** The inbox prefix a consumer connects with (`connect({ ..., inboxPrefix })`): the only answers it may receive. */
export function consumerInboxPrefix(user: string): string {
  return `_INBOX_${user}`;
}

/** A `users` entry of nats-server's configuration; the password comes from the environment variable named. */
export function consumerUserConfig(prefix: string, grant: ConsumerGrant, passwordVariable: string): string {
  const quote = (subjects: readonly string[]) => subjects.map((subject) => JSON.stringify(subject)).join(', ');
  const permissions = consumerPermissions(prefix, grant);
  return [
    `{ user: ${JSON.stringify(grant.user)}, password: $${passwordVariable}, permissions: {`,
    `    publish: { allow: [${quote(permissions.publish.allow)}] }`,
    `    subscribe: { allow: [${quote(permissions.subscribe.allow)}] }`,
    `} }`,
  ].join('\n');
}

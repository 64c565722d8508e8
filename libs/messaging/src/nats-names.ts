import { createHash } from 'node:crypto';
import { isSubjectToken } from './subject-token';

/**
 * A merchant reference as a key token: any text the POS sent, as 22 base64url characters of its SHA-256
 * (collisions are told apart by reading each payment's reference).
 */
export const referenceToken = (merchantReference: string): string =>
  createHash('sha256').update(merchantReference).digest('base64url').slice(0, 22);

/**
 * Every subject and bucket name of the NATS contract (docs/design.md), built from the configured prefix
 * (`payments` by default) in one place so that publishers and consumers cannot drift apart.
 */
/** What `NATS_PREFIX` may be: a first token of every subject, and the start of every bucket and stream name. */
export const NATS_PREFIX_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
export const NATS_PREFIX_RULE = 'NATS_PREFIX must be 1-32 lower-case letters, digits, _ or -';

export function natsNames(prefix: string) {
  const token = (value: string, what: string): string => {
    if (!isSubjectToken(value)) throw new Error(`${what} ${JSON.stringify(value)} is not a valid subject token`);
    return value;
  };
  return {
    buckets: {
      terminals: `${prefix}_terminals`,
      stores: `${prefix}_stores`,
      storeDays: `${prefix}_store_days`,
      paymentIndex: `${prefix}_payment_index`,
      /** The reconciler's leases on due payments, one key per payment, expiring after the lease. */
      reconcilerLeases: `${prefix}_reconciler_leases`,
      /** The nightly close's failed starts, by the attempt's operation id: its bound holds across restarts. */
      nightlyCloseStarts: `${prefix}_nightly_close_starts`,
      /** Which projections instance writes the read models: one key, `leader`, with the bucket's TTL. */
      projectorLease: `${prefix}_projector_lease`,
      /** Dashboard sessions signed out before their time, by the hash of their token, kept for a session's life. */
      dashboardSignOuts: `${prefix}_dashboard_signouts`,
    },
    objectStores: {
      /** The reconciler's checkpoint: what is due, as of a position in the log, one object per log. */
      reconciler: `${prefix}_reconciler`,
      /** The nightly close's checkpoint: its index, as of a position in the log, one object per log. */
      nightlyClose: `${prefix}_nightly_close`,
    },
    keys: {
      terminal: (storeId: string, terminalId: string) =>
        `${token(storeId, 'storeId')}.${token(terminalId, 'terminalId')}`,
      store: (storeId: string) => token(storeId, 'storeId'),
      storeDay: (storeId: string, date: string) => `${token(storeId, 'storeId')}.${date}`,
      /**
       * `{storeId}.{UTC yyyy-mm-dd}.{terminalId}.{reference token}.{epoch ms, 13 digits}-{paymentId}` in
       * `payment_index`: every part a subject token, so that a lookup by store, day, terminal or reference is
       * a key filter (`*` for any), and the keys alone sort the payments by time.
       */
      paymentIndex: (storeId: string, requestedAt: string, terminalId: string, reference: string, paymentId: string) =>
        `${token(storeId, 'storeId')}.${requestedAt.slice(0, 10)}.${token(terminalId, 'terminalId')}.${reference}.` +
        `${String(Date.parse(requestedAt)).padStart(13, '0')}-${paymentId}`,
    },
    changes: {
      terminal: (storeId: string, terminalId: string) =>
        `${prefix}.v1.terminal.${token(storeId, 'storeId')}.${token(terminalId, 'terminalId')}`,
      store: (storeId: string) => `${prefix}.v1.store.${token(storeId, 'storeId')}`,
      storeDay: (storeId: string, date: string) => `${prefix}.v1.store-day.${token(storeId, 'storeId')}.${date}`,
      /**
       * Each payment's or refund's end as the dashboard lists it, as the projector folds it (core NATS, not kept):
       * a terminal's document on its change subject shows only its last payment and refund of a flush.
       */
      activity: (storeId: string) => `${prefix}.v1.activity.${token(storeId, 'storeId')}`,
      activityOfAll: `${prefix}.v1.activity.*`,
    },
    queries: {
      terminal: `${prefix}.v1.query.terminal`,
      store: `${prefix}.v1.query.store`,
      storeDay: `${prefix}.v1.query.store-day`,
      storeTerminals: `${prefix}.v1.query.store-terminals`,
      /** Payments by the POS's reference, terminal and time: answered by the command service, with a POS key. */
      payments: `${prefix}.v1.query.payments`,
      /** One payment by its id, as `GET /v1/terminal-payments/{paymentId}`: the command service, with a POS key. */
      payment: `${prefix}.v1.query.payment`,
      /** One refund of a payment, as `GET …/{paymentId}/refunds/{refundId}`: the command service, with a POS key. */
      refund: `${prefix}.v1.query.refund`,
      /** One terminal operation, as `GET /v1/terminal-operations/{operationId}`: the command service, with a POS key. */
      operation: `${prefix}.v1.query.operation`,
    },
    commands: {
      start: `${prefix}.v1.cmd.start`,
      cancel: `${prefix}.v1.cmd.cancel`,
      refund: `${prefix}.v1.cmd.refund`,
      operate: `${prefix}.v1.cmd.operate`,
      /** A review dealt with, as `POST …/{paymentId}[/refunds/{refundId}]/review/resolve`: the refund's when named. */
      resolveReview: `${prefix}.v1.cmd.resolve-review`,
    },
    events: {
      stream: `${prefix.toUpperCase().replace(/-/g, '_')}_EVENTS`,
      subject: (storeId: string, terminalId: string, type: string) =>
        `${prefix}.v1.events.${token(storeId, 'storeId')}.${token(terminalId, 'terminalId')}.${type}`,
      all: `${prefix}.v1.events.>`,
    },
  } as const;
}

export type NatsNames = ReturnType<typeof natsNames>;

import { isSubjectToken } from './subject-token';

/**
 * Every subject and bucket name of the NATS contract (docs/design.md), built from the configured prefix
 * (`payments` by default) in one place so that publishers and consumers cannot drift apart.
 */
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
    },
    keys: {
      terminal: (storeId: string, terminalId: string) =>
        `${token(storeId, 'storeId')}.${token(terminalId, 'terminalId')}`,
      store: (storeId: string) => token(storeId, 'storeId'),
      storeDay: (storeId: string, date: string) => `${token(storeId, 'storeId')}.${date}`,
    },
    changes: {
      terminal: (storeId: string, terminalId: string) =>
        `${prefix}.v1.terminal.${token(storeId, 'storeId')}.${token(terminalId, 'terminalId')}`,
      store: (storeId: string) => `${prefix}.v1.store.${token(storeId, 'storeId')}`,
      storeDay: (storeId: string, date: string) => `${prefix}.v1.store-day.${token(storeId, 'storeId')}.${date}`,
    },
    queries: {
      terminal: `${prefix}.v1.query.terminal`,
      store: `${prefix}.v1.query.store`,
      storeDay: `${prefix}.v1.query.store-day`,
      storeTerminals: `${prefix}.v1.query.store-terminals`,
    },
    commands: {
      start: `${prefix}.v1.cmd.start`,
      cancel: `${prefix}.v1.cmd.cancel`,
      refund: `${prefix}.v1.cmd.refund`,
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

import { BaseAppConfig, ConfigError, loadConfig, withDintero, withEventStore, withNats } from '@app/platform';

class TestConfig extends withNats(withEventStore(BaseAppConfig)) {
  override readonly port: number = 4000;
}

describe('loadConfig', () => {
  it('gives every default on an empty environment', () => {
    const config = loadConfig(TestConfig, {});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 4000,
      logLevel: 'info',
      bodyLimit: 65_536,
      eventStoreUrl: 'sqlite:./data/events.db',
      natsUrl: 'nats://127.0.0.1:4222',
      natsPrefix: 'payments',
    });
    // Unset: new buckets get one replica, and those that exist keep theirs (one raised by hand is not lowered).
    expect(config.natsReplicas).toBeUndefined();
  });

  it('takes NATS_REPLICAS from 1 to 5, and refuses any other with what it may be', () => {
    expect(loadConfig(TestConfig, { NATS_REPLICAS: '3' }).natsReplicas).toBe(3);
    for (const bad of ['0', '6', '2.5', 'three', '0x3', '3e0']) {
      const attempt = () => loadConfig(TestConfig, { NATS_REPLICAS: bad });
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(/NATS_REPLICAS must be a whole number from 1 to 5/);
    }
  });

  it('takes NATS_SETTLE_TIMEOUT_SECONDS from 1 to 3600 (120 unset), and refuses any other', () => {
    expect(loadConfig(TestConfig, {}).natsSettleTimeoutSeconds).toBe(120);
    expect(loadConfig(TestConfig, { NATS_SETTLE_TIMEOUT_SECONDS: '600' }).natsSettleTimeoutSeconds).toBe(600);
    for (const bad of ['0', '3601', '1.5', 'long']) {
      const attempt = () => loadConfig(TestConfig, { NATS_SETTLE_TIMEOUT_SECONDS: bad });
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(/NATS_SETTLE_TIMEOUT_SECONDS/);
    }
  });

  it('reads and converts the environment, ignoring variables it does not know', () => {
    const config = loadConfig(TestConfig, {
      PORT: '8080',
      HTTP_BODY_LIMIT: '2048',
      EVENT_STORE_URL: 'kurrentdb://db:2113?tls=false',
      NATS_URL: 'nats://a:4222,nats://b:4222',
      LOG_LEVEL: 'debug',
      HOME: '/root',
    });
    expect(config).toMatchObject({
      port: 8080,
      bodyLimit: 2048,
      eventStoreUrl: 'kurrentdb://db:2113?tls=false',
      logLevel: 'debug',
    });
    expect(config).not.toHaveProperty('HOME');
  });

  it('refuses a bad environment with every problem named', () => {
    const attempt = () =>
      loadConfig(TestConfig, {
        PORT: '70000',
        LOG_LEVEL: 'loud',
        EVENT_STORE_URL: 'mysql://x',
        NATS_URL: 'http://x',
        NATS_PREFIX: 'Pay Ments',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      // Each problem names the variable the operator sets, not the property it becomes.
      expect(problems).toMatch(/^PORT must not be greater than 65535$/m);
      expect(problems).toMatch(/^LOG_LEVEL must be one of/m);
      expect(problems).toMatch(/EVENT_STORE_URL must be/);
      expect(problems).toMatch(/NATS_URL must be/);
      expect(problems).toMatch(/NATS_PREFIX must be/);
    }
  });
});

describe('loadConfig: EVENT_STORE_URL', () => {
  it.each([
    'sqlite:./data/events.db',
    'kurrentdb://node1:2113',
    'kurrentdb+discover://cluster:2113',
    'kurrent://node1:2113',
    'kurrent+discover://cluster:2113',
    'kdb://node1:2113',
    'esdb://node1:2113',
  ])('takes %s, a scheme the KurrentDB client takes (or the embedded log)', (url) => {
    expect(loadConfig(TestConfig, { EVENT_STORE_URL: url }).eventStoreUrl).toBe(url);
  });
});

describe('loadConfig: the event log without EVENT_STORE_URL', () => {
  it('is events.db in DATA_DIR, as npm start keeps it (./data unset or empty); EVENT_STORE_URL wins', () => {
    expect(loadConfig(TestConfig, { DATA_DIR: '/srv/chain' }).eventStoreUrl).toBe('sqlite:/srv/chain/events.db');
    expect(loadConfig(TestConfig, { DATA_DIR: '' }).eventStoreUrl).toBe('sqlite:./data/events.db');
    expect(
      loadConfig(TestConfig, { DATA_DIR: '/srv/chain', EVENT_STORE_URL: 'kurrentdb://db:2113' }).eventStoreUrl,
    ).toBe('kurrentdb://db:2113');
  });
});

describe('loadConfig: KURRENTDB_READ_ALL_TIMEOUT_MS', () => {
  it('gives a page of $all five minutes by default, or what is set', () => {
    expect(loadConfig(TestConfig, {}).kurrentDbReadAllTimeoutMs).toBe(300_000);
    expect(loadConfig(TestConfig, { KURRENTDB_READ_ALL_TIMEOUT_MS: '60000' }).kurrentDbReadAllTimeoutMs).toBe(60_000);
  });

  it.each([
    ['soon', /^KURRENTDB_READ_ALL_TIMEOUT_MS must be an integer number$/m],
    ['1.5', /^KURRENTDB_READ_ALL_TIMEOUT_MS must be an integer number$/m],
    ['0xEA60', /^KURRENTDB_READ_ALL_TIMEOUT_MS must be an integer number$/m],
    ['6e4', /^KURRENTDB_READ_ALL_TIMEOUT_MS must be an integer number$/m],
    ['0b1110101001100000', /^KURRENTDB_READ_ALL_TIMEOUT_MS must be an integer number$/m],
    ['60000ms', /^KURRENTDB_READ_ALL_TIMEOUT_MS must be an integer number$/m],
    ['0', /^KURRENTDB_READ_ALL_TIMEOUT_MS must not be less than 1000$/m],
    ['7200000', /^KURRENTDB_READ_ALL_TIMEOUT_MS must not be greater than 3600000$/m],
  ])('refuses %s, naming the variable', (value, problem) => {
    const attempt = () => loadConfig(TestConfig, { KURRENTDB_READ_ALL_TIMEOUT_MS: value });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      expect((error as ConfigError).problems.join('\n')).toMatch(problem);
    }
  });
});

describe("loadConfig: the callback URL, with Dintero's own Checkout", () => {
  class DinteroConfig extends withDintero(BaseAppConfig) {}
  const dintero = { DINTERO_API_URL: 'https://api.dintero.com', DINTERO_CHECKOUT_URL: 'https://checkout.dintero.com' };
  const problems = (env: Record<string, string>): string => {
    try {
      loadConfig(DinteroConfig, env);
      return '';
    } catch (error) {
      return (error as ConfigError).problems.join('\n');
    }
  };

  it('must be an https URL Dintero can reach: Dintero calls back nothing else', () => {
    for (const refused of [
      'http://payments.example.com',
      'https://localhost:3001',
      'https://127.0.0.1:3001',
      'https://10.0.4.2',
      'https://192.168.1.20:8443',
      'https://[::1]:3001',
      'https://[fd00::7]',
    ])
      expect({ refused, problems: problems({ ...dintero, INGEST_PUBLIC_URL: refused }) }).toEqual({
        refused,
        problems: expect.stringContaining('INGEST_PUBLIC_URL must be an https URL that Dintero can reach') as string,
      });
    expect(problems({ ...dintero, INGEST_PUBLIC_URL: 'https://payments.example.com' })).toBe('');
    expect(problems({ ...dintero, INGEST_PUBLIC_URL: 'https://51.105.10.20:8443/dintero' })).toBe('');
  });

  it('may be anything with the simulator, which runs beside the engine', () => {
    expect(problems({})).toBe('');
    expect(
      problems({
        DINTERO_CHECKOUT_URL: 'http://dintero-simulator:3003',
        INGEST_PUBLIC_URL: 'http://ingest-service:3001',
      }),
    ).toBe('');
  });
});

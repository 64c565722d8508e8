import { BaseAppConfig, ConfigError, loadConfig, withEventStore, withNats } from '@app/platform';

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
      expect(problems).toMatch(/PORT: PORT must not be greater than 65535/);
      expect(problems).toMatch(/LOG_LEVEL: LOG_LEVEL must be one of/);
      expect(problems).toMatch(/EVENT_STORE_URL must be/);
      expect(problems).toMatch(/NATS_URL must be/);
      expect(problems).toMatch(/NATS_PREFIX must be/);
    }
  });
});

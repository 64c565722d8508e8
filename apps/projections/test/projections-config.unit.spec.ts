import { ConfigError, loadConfig } from '@app/platform';
import { ProjectionsConfig } from '../src/projections.config';

const config = (env: Record<string, string>) =>
  loadConfig(ProjectionsConfig, { EVENT_STORE_URL: 'sqlite:./data/events.db', ...env });

describe('the projections app’s configuration', () => {
  it('refuses fault injection in production, where a variable left behind would make the projector kill itself', () => {
    expect(() => config({ NODE_ENV: 'production', PROJECTIONS_FAULT_RATE: '0.5' })).toThrow(ConfigError);
    expect(() => config({ NODE_ENV: 'production', PROJECTIONS_FAULT_RATE: '0.5' })).toThrow(
      /PROJECTIONS_FAULT_RATE is for tests and is refused with NODE_ENV=production/,
    );
    expect(config({ NODE_ENV: 'production', PROJECTIONS_FAULT_RATE: '0' }).faultRate).toBe(0);
    expect(config({ NODE_ENV: 'production' }).faultRate).toBe(0);
    expect(config({ PROJECTIONS_FAULT_RATE: '0.5' }).faultRate).toBe(0.5);
  });
});

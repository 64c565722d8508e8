import { ConfigError } from '@app/platform';
import { loadConfigs, startEngine } from '../src/engine';

describe('the engine’s configuration', () => {
  it('names every problem of the three apps at once, a bad port by the variable that was set, a shared one once', async () => {
    const started = startEngine({
      COMMAND_SERVICE_PORT: '99999',
      INGEST_SERVICE_PORT: 'three thousand',
      PROJECTIONS_PORT: '3002',
      LOG_LEVEL: 'loud',
    });
    await expect(started).rejects.toBeInstanceOf(ConfigError);
    const { problems } = (await started.catch((error: unknown) => error)) as ConfigError;
    expect(problems.filter((problem) => problem.startsWith('COMMAND_SERVICE_PORT '))).not.toEqual([]);
    expect(problems.filter((problem) => problem.startsWith('INGEST_SERVICE_PORT '))).not.toEqual([]);
    expect(problems.filter((problem) => /\bPORT\b/.test(problem))).toEqual([]);
    expect(problems.filter((problem) => problem.startsWith('LOG_LEVEL '))).toHaveLength(1);
  });
});

describe('the engine’s limits of ingest', () => {
  it('keeps ingest’s own body and rate limits when the POS API’s are set, and takes INGEST_-named ones', () => {
    const base = { POS_CLIENTS_FILE: 'pos-clients.json' };
    const posOnly = loadConfigs({ ...base, HTTP_BODY_LIMIT: '131072', HTTP_RATE_LIMIT_PER_MINUTE: '600' });
    expect(posOnly.command).toMatchObject({ bodyLimit: 131_072, rateLimitPerMinute: 600 });
    expect(posOnly.ingest).toMatchObject({ bodyLimit: 2_097_152, rateLimitPerMinute: 60_000 });
    const both = loadConfigs({
      ...base,
      HTTP_BODY_LIMIT: '131072',
      INGEST_HTTP_BODY_LIMIT: '4194304',
      INGEST_HTTP_RATE_LIMIT_PER_MINUTE: '120000',
    });
    expect(both.ingest).toMatchObject({ bodyLimit: 4_194_304, rateLimitPerMinute: 120_000 });
    expect(both.command).toMatchObject({ bodyLimit: 131_072, rateLimitPerMinute: 6_000 });
  });

  it('names a bad limit of ingest by the variable that was set', () => {
    const problems = (() => {
      try {
        loadConfigs({ INGEST_HTTP_BODY_LIMIT: 'tiny' });
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    })();
    expect(problems.filter((problem) => problem.startsWith('INGEST_HTTP_BODY_LIMIT '))).toHaveLength(1);
    expect(problems.filter((problem) => problem.startsWith('HTTP_BODY_LIMIT '))).toEqual([]);
  });
});

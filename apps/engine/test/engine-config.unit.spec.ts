import { ConfigError } from '@app/platform';
import { startEngine } from '../src/engine';

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

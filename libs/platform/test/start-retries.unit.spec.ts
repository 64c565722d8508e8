import { Registry } from 'prom-client';
import { TimeoutError } from '@nats-io/transport-node';
import { EventStoreUnavailableError } from '@app/event-store';
import { LogSubscriptions, StartRetries } from '@app/platform';

/** A line the worker's logger was given: its level, its fields and its message. */
interface Line {
  readonly level: 'log' | 'warn' | 'error';
  readonly fields: Record<string, unknown>;
  readonly msg: string;
}

/**
 * A background worker's start tried again while the log or NATS does not answer (`StartRetries`). Each failed try was
 * a warning: at the longest pause, 30 s, some 120 lines an hour for each worker (the reconciler, the nightly close,
 * the projector, the notifier, ...) for as long as the outage lasted. The first failure is said at once, with its
 * error, and the others back off as the other workers' outages do (`OutageWarnings`); the start, at last, is said
 * once. Jest's fake timers drive the pauses between tries and the clock of the warnings: an hour takes no time.
 */
describe('the warnings of a start tried again for long', () => {
  const tryAgain = 'worker could not start (the log or NATS did not answer): trying again';
  const started = 'worker started at last';
  /** A failure of neither the log nor NATS: said as what it is. */
  const bug = 'worker could not start: trying again';

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** The worker's retries, the lines they log, and `/health`'s answer. */
  const retries = () => {
    const lines: Line[] = [];
    const said = (level: Line['level']) => (fields: Record<string, unknown>, msg: string) =>
      void lines.push({ level, fields, msg });
    const subscriptions = new LogSubscriptions(new Registry());
    const starts = new StartRetries('worker', subscriptions, {
      log: said('log'),
      warn: said('warn'),
      error: said('error'),
    });
    const health = async () =>
      subscriptions
        .probe()
        .check()
        .then(
          () => 'up',
          (error: Error) => error.message,
        );
    return { starts, lines, health };
  };

  /** A start that fails with what `failure` gives for each try (1, 2, ...) until it gives nothing. */
  const failing = (failure: (attempt: number) => Error | undefined) => {
    const start = Object.assign(
      () => {
        start.tries += 1;
        const error = failure(start.tries);
        return error ? Promise.reject(error) : Promise.resolve();
      },
      { tries: 0 },
    );
    return start;
  };

  it('says the first failure, then fewer and fewer over an hour of the log away, and the start once', async () => {
    const { starts, lines, health } = retries();
    let away = true;
    const start = failing((attempt) =>
      away ? new EventStoreUnavailableError(`the log did not answer (try ${attempt})`) : undefined,
    );

    await starts.start(start);
    expect(await health()).toBe('not started yet, trying again: worker');
    await jest.advanceTimersByTimeAsync(3_600_000);
    // Tries at 0, 0.5, 1.5, 3.5 ... 31.5 s, then every 30 s: 125 in the hour, as before.
    expect(start.tries).toBe(125);
    expect(await health()).toBe('not started yet, trying again: worker');

    const warnings = lines.filter(({ level }) => level === 'warn');
    // Fifteen lines in the hour, six an hour from then on; one a try made 125.
    expect(warnings).toHaveLength(15);
    expect(warnings.every(({ msg }) => msg === tryAgain)).toBe(true);
    // The first at once; then after pauses doubling from a second, up to ten minutes, each at the first try due.
    expect(warnings.map(({ fields }) => (fields.failingForMs as number) / 1_000)).toEqual([
      0, 1.5, 3.5, 7.5, 15.5, 31.5, 91.5, 181.5, 331.5, 601.5, 1141.5, 1741.5, 2341.5, 2941.5, 3541.5,
    ]);
    expect(warnings.map(({ fields }) => fields.attempt)).toEqual([
      1, 3, 4, 5, 6, 7, 9, 12, 17, 26, 44, 64, 84, 104, 124,
    ]);
    expect(warnings.map(({ fields }) => fields.failedSinceLastLine)).toEqual([
      1, 2, 1, 1, 1, 1, 2, 3, 5, 9, 18, 20, 20, 20, 20,
    ]);
    for (const { fields } of warnings) {
      expect((fields.err as Error).message).toMatch(/^the log did not answer/);
      expect(fields.retryInMs).toBeGreaterThan(0);
    }
    expect(lines.filter(({ level }) => level !== 'warn')).toEqual([]);

    // The log answers: the next try starts the worker, said once with its try and the whole outage.
    away = false;
    await jest.advanceTimersByTimeAsync(30_000);
    expect(start.tries).toBe(126);
    expect(await health()).toBe('up');
    expect(lines.filter(({ level }) => level !== 'warn')).toEqual([
      {
        level: 'log',
        fields: { attempt: 126, failures: 125, failedSinceLastLine: 1, failingForMs: 3_601_500 },
        msg: started,
      },
    ]);
    await starts.stop();
  });

  it('backs off NATS not answering as the log away, in the same outage', async () => {
    const { starts, lines } = retries();
    const start = failing((attempt) =>
      attempt % 2 === 0 ? new TimeoutError() : new EventStoreUnavailableError('the log did not answer'),
    );
    await starts.start(start);
    await jest.advanceTimersByTimeAsync(600_000);
    const warnings = lines.filter(({ level }) => level === 'warn');
    // The first of each kind at once (NATS's at the second try), then one line a pause for both.
    expect(warnings.map(({ fields }) => fields.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 9, 12, 17]);
    await starts.stop();
  });

  it('says an outage that moves from NATS to the log at once, within the pause, and backs off as before', async () => {
    const { starts, lines } = retries();
    // NATS away for the first 20 tries (up to 421.5 s), then the log.
    const start = failing((attempt) =>
      attempt <= 20 ? new TimeoutError() : new EventStoreUnavailableError(`the log did not answer (try ${attempt})`),
    );
    await starts.start(start);
    await jest.advanceTimersByTimeAsync(1_200_000);
    const warnings = lines.filter(({ level }) => level === 'warn');
    // NATS’s lines as before; the log’s first at its first try (the 21st, 451.5 s), where the pause after the line
    // of 331.5 s ran to 601.5 s; then the pause goes on as it was.
    expect(warnings.map(({ fields }) => [fields.attempt, (fields.failingForMs as number) / 1_000])).toEqual([
      [1, 0],
      [3, 1.5],
      [4, 3.5],
      [5, 7.5],
      [6, 15.5],
      [7, 31.5],
      [9, 91.5],
      [12, 181.5],
      [17, 331.5],
      [21, 451.5],
      [26, 601.5],
      [44, 1141.5],
    ]);
    expect(warnings.map(({ fields }) => fields.failedSinceLastLine)).toEqual([1, 2, 1, 1, 1, 1, 2, 3, 5, 4, 5, 18]);
    expect(String((warnings[9]?.fields.err as Error).message)).toBe('the log did not answer (try 21)');
    expect(warnings.slice(0, 9).every(({ fields }) => fields.err instanceof TimeoutError)).toBe(true);
    await starts.stop();
  });

  it('says a failure that is neither the log nor NATS away at every try, even within an outage', async () => {
    const { starts, lines } = retries();
    // The log away for three tries, then a bug from the fourth try on.
    const start = failing((attempt) =>
      attempt <= 3 ? new EventStoreUnavailableError('the log did not answer') : new TypeError('a bug'),
    );
    await starts.start(start);
    await jest.advanceTimersByTimeAsync(60_000);
    // Tries at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s: the 1st and 3rd said of the log, each of the bug's.
    expect(start.tries).toBe(7);
    // Each said as what it is: the log away as the log or NATS, the bug as a failure alone.
    expect(lines.map(({ fields, msg }) => [fields.attempt, (fields.err as Error).message, msg])).toEqual([
      [1, 'the log did not answer', tryAgain],
      [3, 'the log did not answer', tryAgain],
      [4, 'a bug', bug],
      [5, 'a bug', bug],
      [6, 'a bug', bug],
      [7, 'a bug', bug],
    ]);
    await starts.stop();
  });

  it('says a start after failures that were each said, with its try', async () => {
    const { starts, lines } = retries();
    const start = failing((attempt) => (attempt === 1 ? new TypeError('a bug') : undefined));
    await starts.start(start);
    await jest.advanceTimersByTimeAsync(500);
    expect(lines.map(({ level, fields, msg }) => [level, fields.attempt, msg])).toEqual([
      ['warn', 1, bug],
      ['log', 2, started],
    ]);
  });

  it('says a failure as the app stops at once, within an outage’s pause', async () => {
    const { starts, lines } = retries();
    let stopping: Promise<void> | undefined;
    const start = failing((attempt) => {
      // The app stops while the second try is under way: the pause after the first line is not over.
      if (attempt === 2) stopping = starts.stop();
      return new EventStoreUnavailableError('the log did not answer');
    });
    await starts.start(start);
    await jest.advanceTimersByTimeAsync(500);
    await stopping;
    expect(lines.map(({ fields, msg }) => [fields.attempt, msg])).toEqual([
      [1, tryAgain],
      [2, 'worker could not start, and the app is stopping: not tried again'],
    ]);
  });
});

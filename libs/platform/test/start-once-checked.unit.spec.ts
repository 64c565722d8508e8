import { Registry } from 'prom-client';
import { AnotherLogCheck, LogSubscriptions, StartRetries } from '@app/platform';

/**
 * A background worker that writes the log or NATS starts only once the app has made sure that no engine of another
 * log runs on its NATS prefix (`StartRetries.startOnceChecked`), without holding the app's start up meanwhile (in
 * `apps/engine` the check is made by an app that starts after ingest), and a stop before the check starts nothing.
 */
/** A failure of the start that no try mends (as `EngineOfAnotherLogError`). */
class Refused extends Error {}

describe('a start once the check of another log’s engine is made', () => {
  const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
  const retries = (refused: unknown[] = []) =>
    new StartRetries('worker', new LogSubscriptions(new Registry()), quiet, {
      refused: (error) => error instanceof Refused,
      stop: (refusal) => refused.push(refusal),
    });
  /** A start that counts its tries and resolves (or rejects with `outcome`). */
  const counted = (outcome?: Error) => {
    const start = Object.assign(
      () => {
        start.tries += 1;
        return outcome === undefined ? Promise.resolve() : Promise.reject(outcome);
      },
      { tries: 0 },
    );
    return start;
  };
  /** Lets what a resolved promise set off run (microtasks and the callbacks queued behind them). */
  const settled = () => new Promise((resolve) => setImmediate(resolve));

  it('tries the start before it resolves when the check is made already', async () => {
    const start = counted();
    await retries().startOnceChecked(new AnotherLogCheck(true), start);
    expect(start.tries).toBe(1);
  });

  it('resolves at once, and tries the start only once the check is made', async () => {
    const check = new AnotherLogCheck();
    const start = counted();
    await retries().startOnceChecked(check, start);
    await settled();
    expect(start.tries).toBe(0);

    check.pass();
    await settled();
    expect(start.tries).toBe(1);
  });

  it('ends the wait at stop, and starts nothing when the check is made after it', async () => {
    const check = new AnotherLogCheck();
    const start = counted();
    const starts = retries();
    await starts.startOnceChecked(check, start);
    await starts.stop();
    check.pass();
    await settled();
    expect(start.tries).toBe(0);
  });

  it('stops the app on a refusal at the first try after the wait, the app running by then', async () => {
    const check = new AnotherLogCheck();
    const refused: unknown[] = [];
    const refusal = new Refused('an engine of another log');
    await retries(refused).startOnceChecked(check, counted(refusal));
    check.pass();
    await settled();
    expect(refused).toEqual([refusal]);
  });
});

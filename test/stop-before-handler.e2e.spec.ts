import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const built = (file: string) => JSON.stringify(path.join(root, 'dist/libs', file));

/**
 * Runs `script` in a process whose stop handler, as `closeAndExitOnStopRequest` sets it up once a slow start listens,
 * comes only at 1.5 s, and tells how the process ended.
 */
async function endOf(script: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  const withHandler = `${script}
    const running = setTimeout(() => process.exit(0), 10000);
    setTimeout(() => process.once('SIGTERM', () => {
      clearTimeout(running);
      console.log('closed');
      process.exit(process.exitCode ?? 0);
    }), 1500);
  `;
  const child = spawn(process.execPath, ['-e', withHandler], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { ...ended, output: output.trim() };
}

/**
 * A process that stops itself for a fault stops through the app's stop handler, which closes what it opened, with
 * exit code 1. Found while the app (or `apps/engine`'s next app) was still starting, before that handler was set up,
 * the SIGTERM it sent itself met no handler, and Node ended the process at once, killed by the signal. Run from dist/
 * (`node scripts/build.mjs`), as the apps are.
 */
describe('a process that stops itself before the app listens for its stop', () => {
  it('a start refused at a later try: stops through the app’s stop handler, exit code 1', async () => {
    // The first try fails as the log not answering; the second, 500 ms on, is refused.
    const ended = await endOf(`
      const { StartRetries } = require(${built('platform/src/log/start-retries.js')});
      const refusal = new Error('an engine of another log');
      const quiet = { log() {}, warn() {}, error() {} };
      const retries = new StartRetries('another-log-guard', { started() {}, notStarted() {} }, quiet, {
        refused: (error) => error === refusal,
      });
      let tries = 0;
      void retries.start(async () => {
        tries += 1;
        if (tries === 2) console.log('refused at try 2');
        throw tries === 1 ? new Error('the log did not answer') : refusal;
      });
    `);
    expect(ended).toEqual({ code: 1, signal: null, output: 'refused at try 2\nclosed' });
  }, 20_000);

  it('its NATS connection closed for good: stops through the app’s stop handler, exit code 1', async () => {
    // A connection as nats.js gives it once the server refused its credentials twice in a row, at once.
    const ended = await endOf(`
      const { stopOnNatsLoss } = require(${built('messaging/src/nats.module.js')});
      stopOnNatsLoss({ closed: () => Promise.resolve(new Error('Authorization Violation')) });
    `);
    expect(ended).toEqual({ code: 1, signal: null, output: 'closed' });
  }, 20_000);
});

import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

/**
 * A start refused at a later try (`StartRetries`: an engine of another log found once the log answers) stops the app
 * with exit code 1 through its stop handler, which closes what it opened. Found while the app (or `apps/engine`'s next
 * app) was still starting, before that handler was set up, the SIGTERM it sends itself met no handler, and Node ended
 * the process at once, killed by the signal. Run from dist/ (`node scripts/build.mjs`), as the apps are.
 */
describe('a start refused at a later try, before the app listens for its stop', () => {
  it('stops through the app’s stop handler, exit code 1', async () => {
    // The first try fails as the log not answering; the second, 500 ms on, is refused. The app's stop handler comes
    // only at 1.5 s, as `closeAndExitOnStopRequest` once a slow start listens.
    const script = `
      const { StartRetries } = require(${JSON.stringify(path.join(root, 'dist/libs/platform/src/log/start-retries.js'))});
      const refusal = new Error('an engine of another log');
      const quiet = { log() {}, warn() {}, error() {} };
      const retries = new StartRetries('another-log-guard', { started() {}, notStarted() {} }, quiet, {
        refused: (error) => error === refusal,
      });
      let tries = 0;
      void retries.start(async () => {
        tries += 1;
        throw tries === 1 ? new Error('the log did not answer') : refusal;
      });
      const running = setTimeout(() => process.exit(0), 10000);
      setTimeout(() => process.once('SIGTERM', () => {
        clearTimeout(running);
        console.log('closed after try ' + tries);
        process.exit(process.exitCode ?? 0);
      }), 1500);
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    expect({ ...ended, output: output.trim() }).toEqual({ code: 1, signal: null, output: 'closed after try 2' });
  }, 20_000);
});

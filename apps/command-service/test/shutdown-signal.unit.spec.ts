import { getMaxListeners } from 'node:events';
import { ShutdownSignal } from '../src/shutdown-signal';

describe('the command service’s shutdown signal', () => {
  it('takes thousands of waits before Node warns of a leak, and ends them all', () => {
    const shutdown = new ShutdownSignal();
    // Node's default for an AbortSignal is 10: the eleventh wait printed "Possible EventTarget memory leak detected".
    expect(getMaxListeners(shutdown.signal)).toBeGreaterThanOrEqual(10_000);
    let ended = 0;
    for (let i = 0; i < 50; i++) shutdown.signal.addEventListener('abort', () => (ended += 1), { once: true });
    shutdown.onModuleDestroy();
    expect(ended).toBe(50);
  });
});

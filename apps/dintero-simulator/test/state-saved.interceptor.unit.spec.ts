import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { firstValueFrom, of } from 'rxjs';
import { StateSavedInterceptor } from '../src/state/state-saved.interceptor';
import type { SimulatorStateWrites } from '../src/state/state-writes';

/** State writes whose `settled` resolves only when the test says: a write of changes under way. */
function writesUnderWay() {
  let release: () => void = () => undefined;
  const settled = new Promise<void>((resolve) => (release = resolve));
  const writes = { failing: () => false, settled: jest.fn(() => settled), saved: jest.fn(() => settled) };
  return { writes: writes as unknown as SimulatorStateWrites, settledCalls: writes.settled, release };
}

function request(method: string, url: string): ExecutionContext {
  return { switchToHttp: () => ({ getRequest: () => ({ method, url }) }) } as unknown as ExecutionContext;
}

const answering = (answer: unknown): CallHandler => ({ handle: () => of(answer) });

describe('StateSavedInterceptor', () => {
  it.each(['GET', 'POST'])(
    'answers a %s of the API only once the state it was answered from is in the file',
    async (method) => {
      const { writes, settledCalls, release } = writesUnderWay();
      const interceptor = new StateSavedInterceptor(writes);
      let answered: unknown;
      const answer = firstValueFrom(
        interceptor.intercept(request(method, '/v1/transactions/T1'), answering({ status: 'CAPTURED' })),
      ).then((value) => (answered = value));
      // A change shown by this answer is still being written: a kill now would lose what it showed.
      for (let turn = 0; settledCalls.mock.calls.length === 0; turn++) {
        expect(turn).toBeLessThan(100);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(answered).toBeUndefined();
      release();
      await answer;
      expect(answered).toEqual({ status: 'CAPTURED' });
    },
  );

  it('answers what shows no state (health) at once', async () => {
    const { writes, settledCalls } = writesUnderWay();
    const interceptor = new StateSavedInterceptor(writes);
    await expect(firstValueFrom(interceptor.intercept(request('GET', '/health'), answering('ok')))).resolves.toBe('ok');
    expect(settledCalls).not.toHaveBeenCalled();
  });
});

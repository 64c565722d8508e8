import type { Logger } from '@nestjs/common';
import { waitUntil } from '../../../test/support/app-process';
import type { RebuildResult } from '../src/rebuild/rebuild';
import { RebuildRefusedError } from '../src/rebuild/rebuild-lock';
import { RepairRebuild } from '../src/rebuild/repair-rebuild';

const RESULT: RebuildResult = { events: 10, documents: 3, position: 10n };

function logger() {
  return { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
}

/** A repair whose rebuilds answer in turn as `outcomes` say (the last one for every later call). */
function repairWith(outcomes: Array<() => Promise<RebuildResult>>, log = logger()) {
  const calls: AbortSignal[] = [];
  const repair = new RepairRebuild(
    (signal) => {
      calls.push(signal);
      return outcomes[Math.min(calls.length, outcomes.length) - 1]!();
    },
    log as unknown as Logger,
    { firstMs: 1, mostMs: 4 },
  );
  return { repair, calls, log };
}

describe('the rebuild that repairs an unreadable document', () => {
  it('is tried again after it fails, the pause doubling up to its most, until one ends', async () => {
    const failed = () => Promise.reject(new Error('NATS is out of reach'));
    const { repair, calls, log } = repairWith([failed, failed, failed, failed, () => Promise.resolve(RESULT)]);
    repair.request();
    await waitUntil(() => log.log.mock.calls.length === 1, 5_000, 'the rebuild that ends');
    expect(calls).toHaveLength(5);
    expect(log.error.mock.calls.map(([fields]) => (fields as { retryInMs: number }).retryInMs)).toEqual([1, 2, 4, 4]);
    expect(repair['retry']).toBeUndefined();
    await repair.stop();
  });

  it('runs one at a time, and leaves the repair to another rebuild that holds the lock', async () => {
    let refuse: (error: Error) => void = () => undefined;
    const { repair, calls, log } = repairWith([() => new Promise((_, reject) => (refuse = reject))]);
    repair.request();
    repair.request();
    expect(calls).toHaveLength(1);
    refuse(new RebuildRefusedError());
    await waitUntil(() => log.warn.mock.calls.length === 2, 5_000, 'the refusal said');
    expect(log.warn.mock.calls[1]![0]).toMatch(/another rebuild runs/);
    expect(log.error).not.toHaveBeenCalled();
    expect(repair['retry']).toBeUndefined();
    await repair.stop();
  });

  it('stops the rebuild under way when the projector stops, and tries nothing again', async () => {
    const log = logger();
    const calls: AbortSignal[] = [];
    const untilAborted = (signal: AbortSignal) => {
      calls.push(signal);
      return new Promise<RebuildResult>((_, reject) =>
        signal.addEventListener('abort', () => reject(new Error('stopped'))),
      );
    };
    const repair = new RepairRebuild(untilAborted, log as unknown as Logger, { firstMs: 1, mostMs: 4 });
    repair.request();
    await repair.stop();
    expect(calls[0]!.aborted).toBe(true);
    expect(log.error).not.toHaveBeenCalled();
    expect(repair['retry']).toBeUndefined();
    repair.request();
    expect(calls).toHaveLength(1);
  });
});

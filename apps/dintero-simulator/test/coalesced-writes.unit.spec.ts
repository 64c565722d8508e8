import { CoalescedWrites } from '../src/state/coalesced-writes';

/** A write that records what it saw of `source` when it began, and ends when the test lets it. */
function gatedWrites(source: { value: number }) {
  const seen: number[] = [];
  const gates: (() => void)[] = [];
  let running = 0;
  let mostAtOnce = 0;
  const writes = new CoalescedWrites(async () => {
    seen.push(source.value);
    running++;
    mostAtOnce = Math.max(mostAtOnce, running);
    await new Promise<void>((resolve) => gates.push(resolve));
    running--;
  });
  const openNext = async () => {
    while (gates.length === 0) await new Promise((resolve) => setImmediate(resolve));
    gates.shift()!();
  };
  return { writes, seen, openNext, mostAtOnce: () => mostAtOnce };
}

describe('CoalescedWrites', () => {
  it('answers a burst of changes with the write running and one more that holds them all, one at a time', async () => {
    const source = { value: 0 };
    const { writes, seen, openNext, mostAtOnce } = gatedWrites(source);
    source.value = 1;
    const first = writes.request();
    const burst: Promise<void>[] = [];
    for (let change = 2; change <= 100; change++) {
      source.value = change;
      burst.push(writes.request());
    }
    await openNext();
    await first;
    await openNext();
    await Promise.all(burst);
    expect(seen).toEqual([1, 100]);
    expect(mostAtOnce()).toBe(1);
  });

  it('answers each request only with a write begun after it', async () => {
    const source = { value: 1 };
    const { writes, seen, openNext } = gatedWrites(source);
    const first = writes.request();
    let secondDone = false;
    source.value = 2;
    const second = writes.request().then(() => (secondDone = true));
    await openNext();
    await first;
    // The write running when the second change came began before it: its end does not answer the second.
    expect(secondDone).toBe(false);
    await openNext();
    await second;
    expect(seen).toEqual([1, 2]);
  });

  it('rejects the requests a failed write answers, and the next request writes again', async () => {
    let fail = true;
    let count = 0;
    const writes = new CoalescedWrites(async () => {
      count++;
      await Promise.resolve();
      if (fail) throw new Error('disk full');
    });
    await expect(writes.request()).rejects.toThrow('disk full');
    fail = false;
    await expect(writes.request()).resolves.toBeUndefined();
    expect(count).toBe(2);
    await writes.idle();
  });
});

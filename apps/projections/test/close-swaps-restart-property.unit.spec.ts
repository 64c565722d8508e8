import type { RecordedEvent } from '@app/event-store';
import { closeLog, totals } from './support/close-log';
import { kvAfter } from './support/kv-fold';
import { seeded } from './support/seeded';

/**
 * Seeded random logs of one terminal's closes and sales with swaps and swaps back (three devices), Dintero's clock
 * skewed both ways against the engine's, sales heard of late, closes failed or pending past the 50 kept, closes heard of
 * long after they closed: a projector started again from KV after any event ends with the documents one fold from the
 * start gives.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

function randomLog(
  seed: number,
  { steps, stuck, sales = 0, late = 0 }: { steps: number; stuck: number; sales?: number; late?: number },
) {
  const random = seeded(seed);
  const log = closeLog(DAY);
  const { requested, completed, failed, sale, enrolled } = log;
  const devices = ['D-A', 'D-B', 'D-C'];
  let device = 'D-A';
  enrolled(device, at('00:00:00'));
  let now = at('08:00:00');
  const pending: string[] = [];
  const askedAt = new Map<string, number>();
  for (let i = 0; i < stuck; i++) requested(`stuck-${i}`, now);
  let closes = 0;
  const skew = () => (random.int(21) - 10) * 1_000;
  for (let i = 0; i < steps; i++) {
    now += (1 + random.int(sales > 0 ? 20 : 300)) * 1_000;
    // Mostly sales (`sales` of them), past the 1,000 kept while closes pend.
    if (random.next() < sales) {
      sale(`s-${i}`, now + skew(), device);
      continue;
    }
    const roll = random.next();
    if (roll < 0.35) sale(`s-${i}`, now + skew(), random.next() < 0.9 ? device : undefined);
    else if (roll < 0.45) sale(`late-${i}`, now - random.int(7_200) * 1_000, device);
    else if (roll < 0.6) {
      const id = `c-${closes++}`;
      requested(id, now);
      pending.push(id);
      askedAt.set(id, now);
    } else if (roll < 0.78 && pending.length > 0) {
      const [id] = pending.splice(random.int(pending.length), 1);
      // Run late (`late` of them): the terminal closed soon after the close was asked for, its outcome heard of only
      // now, after the swaps, swaps back and sales since.
      const asked = askedAt.get(id!) ?? now;
      const closedAt =
        late > 0 && random.next() < late ? asked + random.int(Math.max(1, (now - asked) / 1_000)) * 1_000 : now;
      completed(id!, closedAt + skew(), totals(random.int(3)));
    } else if (roll < 0.83 && pending.length > 0) {
      const [id] = pending.splice(random.int(pending.length), 1);
      failed(id!, now);
    } else if (roll < 0.93) {
      device = devices.filter((each) => each !== device)[random.int(2)]!;
      enrolled(device, now);
    } else if (stuck > 1 && random.next() < 0.3) for (let j = 0; j < stuck; j++) failed(`stuck-${j}`, now);
  }
  return log.log;
}

async function cutsDiffering(log: readonly RecordedEvent[], every = 1) {
  const whole = JSON.stringify([...(await kvAfter(log))]);
  const differing: number[] = [];
  for (let cut = 1; cut < log.length; cut += every)
    if (JSON.stringify([...(await kvAfter(log, cut))]) !== whole) differing.push(cut);
  return differing;
}

describe('a terminal’s closes across swaps and swaps back, started again from KV after any event', () => {
  it.each(Array.from({ length: 25 }, (_, i) => i + 1))('seed %i: the documents one fold gives', async (seed) => {
    expect(await cutsDiffering(randomLog(seed, { steps: 40, stuck: 0 }))).toEqual([]);
  });
  it.each(Array.from({ length: 3 }, (_, i) => 1000 + i))(
    'seed %i, past the 50 closes kept pending: the documents one fold gives',
    async (seed) => {
      expect(await cutsDiffering(randomLog(seed, { steps: 60, stuck: 52 }), 3)).toEqual([]);
    },
  );
  it.each(Array.from({ length: 1 }, (_, i) => 2000 + i))(
    'seed %i, past the 1,000 facts kept while closes pend: the documents one fold gives',
    async (seed) => {
      const log = randomLog(seed, { steps: 1_500, stuck: 1, sales: 0.9 });
      // The bound reached: what the batch counted past it is summed (`pastBound`).
      expect(JSON.stringify([...(await kvAfter(log))])).toContain('pastBound');
      expect(await cutsDiffering(log, Math.ceil(log.length / 8))).toEqual([]);
    },
  );
  // Closes run late: dated soon after they were asked for, heard of after the swaps, swaps back and sales since (the
  // old device's close taking back from its next close, past the bound too).
  it.each(Array.from({ length: 25 }, (_, i) => 3000 + i))(
    'seed %i, closes heard of long after they closed: the documents one fold gives',
    async (seed) => {
      expect(await cutsDiffering(randomLog(seed, { steps: 50, stuck: 0, late: 0.7 }))).toEqual([]);
    },
  );
  it.each([3500])(
    'seed %i, closes heard of long after they closed, past the 1,000 facts kept: the documents one fold gives',
    async (seed) => {
      const log = randomLog(seed, { steps: 1_500, stuck: 1, sales: 0.9, late: 0.7 });
      expect(JSON.stringify([...(await kvAfter(log))])).toContain('pastBound');
      expect(await cutsDiffering(log, Math.ceil(log.length / 6))).toEqual([]);
    },
  );
});

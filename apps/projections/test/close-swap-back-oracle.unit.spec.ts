import { closeLog, totals } from './support/close-log';
import { seeded } from './support/seeded';

/**
 * Seeded random days of one terminal whose device D-A has a close pending (or two) when D-B takes its name at 17:00, and
 * takes it back at 17:10 (A, B, A), D-B perhaps taking it again later (A, B, A, B). D-A sells after it came back, past
 * the 1,000 facts kept while closes pend or not, some sales heard of late (before the old closes' outcomes), and closes
 * again; the old closes are dated before the swap or run late (after D-A came back, before its next close), and heard
 * of at any point after. Each close of D-A is either compared with D-A's sales Dintero dates after its close before and
 * up to its own, or says its log side unknown (`recordedUnknown`): never a known figure that is wrong.
 */
const DAY = '2026-11-24';
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);

/** Something that reaches the log at `heard`, about a fact Dintero dates `dated` (a sale) when it is one. */
interface Step {
  readonly heard: number;
  readonly dated?: number;
  /** An old close's outcome. */
  readonly old?: true;
  readonly run: () => void;
}

function randomDay(seed: number, pastTheBound: boolean, wide = false) {
  const random = seeded(seed);
  const log = closeLog(DAY);
  const { requested, completed, sale, enrolled } = log;
  const sold: number[] = [at('16:30:00')];
  enrolled('D-A', at('00:00:00'));
  sale('a-0', at('16:30:00'), 'D-A');
  requested('old-1', at('16:59:40'));
  const twoOld = random.next() < 0.3;
  if (twoOld) requested('old-2', at('16:59:50'));
  const steps: Step[] = [
    { heard: at('17:00:00'), run: () => enrolled('D-B', at('17:00:00')) },
    { heard: at('17:05:00'), run: () => sale('b-1', at('17:05:00'), 'D-B') },
    { heard: at('17:10:00'), run: () => enrolled('D-A', at('17:10:00')) },
  ];
  const selling = (id: string, when: number, heard = when, device: string | undefined = 'D-A') => {
    sold.push(when);
    return { heard, dated: when, run: () => sale(id, when, device) };
  };
  const sales = 1 + random.int(4);
  for (let i = 0; i < sales; i++) steps.push(selling(`a-${i + 1}`, at('17:10:00') + (1 + random.int(1_500)) * 1_000));
  if (pastTheBound) {
    const from = at('17:10:00') + random.int(2_400) * 1_000;
    for (let i = 0; i < 1_000; i++) steps.push(selling(`n-${i}`, from + i * 1_000));
  }
  // D-A's closes since it came back, each asked for a minute or more after the one before.
  const next: { id: string; cut: number }[] = [];
  let last = at('17:10:00');
  const closes = random.int(3);
  for (let i = 0; i < closes; i++) {
    const asked = last + (60 + random.int(600)) * 1_000;
    const id = `next-${i}`;
    last = asked + 5_000;
    next.push({ id, cut: last });
    steps.push({ heard: asked, run: () => requested(id, asked) });
    const cut = last;
    steps.push({ heard: cut, run: () => completed(id, cut, totals(0)) });
  }
  if (random.next() < 0.3) {
    // `wide`: after every sale of D-A's and its old closes, late ones too (a sale sent to it once it is swapped out again
    // is not this oracle's).
    const after = wide ? Math.max(last, ...sold, at('17:50:00')) : last;
    const outAt = after + (60 + random.int(600)) * 1_000;
    steps.push({ heard: outAt, run: () => enrolled('D-B', outAt) });
  }
  steps.sort((a, b) => a.heard - b.heard);
  // The old closes: before the swap, or run late after D-A came back, before its next close; each heard of at any point
  // after its cut and after every sale dated by it.
  const firstNext = next[0]?.cut ?? at('17:40:00');
  const cut1 =
    random.next() < 0.3 ? at('16:59:58') : at('17:10:00') + random.int((firstNext - at('17:10:00')) / 1_000) * 1_000;
  const cut2 = twoOld ? cut1 + (1 + random.int(Math.max(1, (firstNext - cut1) / 1_000 - 2))) * 1_000 : undefined;
  const heardAfter = (cut: number) => {
    let index = steps.findIndex((step) => step.heard > cut);
    if (index < 0) index = steps.length;
    steps.forEach((step, i) => {
      if (step.dated !== undefined && step.dated <= cut && i >= index) index = i + 1;
    });
    return index;
  };
  const placing = (cut: number, step: Step) => {
    const index = Math.max(2 + random.int(steps.length - 1), heardAfter(cut));
    steps.splice(Math.min(index, steps.length), 0, step);
  };
  placing(cut1, { heard: cut1, old: true, run: () => completed('old-1', cut1, totals(truth['old-1']!)) });
  if (cut2 !== undefined)
    placing(cut2, { heard: cut2, old: true, run: () => completed('old-2', cut2, totals(truth['old-2']!)) });
  // Sales of D-A heard of late, dated up to ten minutes before, each before the old closes' outcomes (or, `wide`, at
  // any point after, some naming no device, as a late refund names none).
  const late = random.int(wide ? 4 : 3);
  for (let i = 0; i < late; i++) {
    const heard = at('17:10:00') + (1 + random.int(2_400)) * 1_000;
    const dated = heard - random.int(600) * 1_000;
    const from = steps.findIndex((step) => step.heard > heard);
    const until = wide ? steps.length : steps.findIndex((step) => step.old === true);
    if (dated <= at('17:10:00') || from < 0 || from > until) continue;
    const device = wide && random.next() < 0.4 ? undefined : 'D-A';
    steps.splice(from + random.int(until - from + 1), 0, selling(`late-${i}`, dated, heard, device));
  }
  const count = (from: number, to: number) => sold.filter((when) => when > from && when <= to).length;
  const truth: Record<string, number> = { 'old-1': count(-Infinity, cut1) };
  if (cut2 !== undefined) truth['old-2'] = count(cut1, cut2);
  let before = cut2 ?? cut1;
  for (const { id, cut } of next) [truth[id], before] = [count(before, cut), cut];
  for (const step of steps) step.run();
  return { log, truth };
}

describe('a device swapped back (and out again) while its old closes pend: no known figure that is wrong', () => {
  it.each([
    ['under the bound', false, 300],
    ['past the 1,000 facts kept', true, 60],
  ])('%s', (_, pastTheBound, seeds) => {
    const wrong: string[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const { log, truth } = randomDay(seed, pastTheBound);
      const { close } = log.foldedDay();
      for (const [id, purchases] of Object.entries(truth)) {
        const compared = close(id);
        if (compared?.recordedUnknown !== true && compared?.recorded.purchasesCount !== purchases)
          wrong.push(`seed ${seed}: ${id} recorded ${compared?.recorded.purchasesCount}, its batch ${purchases}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('the same, its late sales heard of at any point and some naming no device: no known figure that is wrong', () => {
  const seeds = Number(process.env.ORACLE_SEEDS ?? 0);
  it.each([
    ['under the bound', false, seeds || 300],
    ['past the 1,000 facts kept', true, seeds || 40],
  ])('%s', (_, pastTheBound, count) => {
    const wrong: string[] = [];
    const unknown: string[] = [];
    for (let seed = 1; seed <= count; seed++) {
      const { log, truth } = randomDay(seed, pastTheBound, true);
      const { close } = log.foldedDay();
      for (const [id, purchases] of Object.entries(truth)) {
        const compared = close(id);
        if (compared?.recordedUnknown === true) unknown.push(`seed ${seed}: ${id}`);
        else if (compared?.recorded.purchasesCount !== purchases)
          wrong.push(`seed ${seed}: ${id} recorded ${compared?.recorded.purchasesCount}, its batch ${purchases}`);
      }
    }
    if (process.env.ORACLE_SEEDS) console.log(`${unknown.length} unknown:`, unknown.slice(0, 40).join('; '));
    expect(wrong).toEqual([]);
  });
});

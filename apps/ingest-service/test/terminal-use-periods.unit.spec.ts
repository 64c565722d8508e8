import { TerminalUsePeriods } from '../src/fleet/terminal-use-periods';

const T = 's.t';

describe('a terminal’s periods in use', () => {
  it('finds the period a close time fell in, before a reactivation as after it, and none between', () => {
    const use = new TerminalUsePeriods();
    use.began(T, 100);
    use.ended(T, 200);
    use.began(T, 300);
    expect(use.at(T, 99)).toBeUndefined();
    expect(use.at(T, 100)).toEqual({ from: 100, until: 200 });
    expect(use.at(T, 199)).toEqual({ from: 100, until: 200 });
    expect(use.at(T, 200)).toBeUndefined();
    expect(use.at(T, 250)).toBeUndefined();
    expect(use.at(T, 300)).toEqual({ from: 300 });
    expect(use.at(T, 10_000)).toEqual({ from: 300 });
    expect(use.since(T)).toBe(100);
    expect(use.at('s.other', 150)).toBeUndefined();
  });

  it('takes a second start or end in a row for none', () => {
    const use = new TerminalUsePeriods();
    use.ended(T, 50);
    use.began(T, 100);
    use.began(T, 150);
    use.ended(T, 200);
    use.ended(T, 250);
    expect(use.size).toBe(1);
    expect(use.at(T, 120)).toEqual({ from: 100, until: 200 });
    expect(use.at(T, 220)).toBeUndefined();
  });

  it('forgets the periods that ended before the days looked back over, and terminals with none left', () => {
    const use = new TerminalUsePeriods();
    for (let at = 0; at < 1_000; at += 10) {
      use.began(T, at);
      use.ended(T, at + 5);
    }
    use.began('s.gone', 0);
    use.ended('s.gone', 10);
    use.began('s.kept', 0);
    expect(use.size).toBe(102);
    use.prune(900);
    // Those that ended at 905 and after, and the one still in use since 0.
    expect(use.size).toBe(11);
    expect(use.since(T)).toBe(900);
    expect(use.since('s.gone')).toBeUndefined();
    expect(use.inUseSince('s.gone', 900)).toBe(false);
    expect(use.inUseSince('s.kept', 900)).toBe(true);
    expect(use.at('s.kept', 5_000)).toEqual({ from: 0 });
    expect(use.inUseSince(T, 995)).toBe(true);
    expect(use.inUseSince(T, 996)).toBe(false);
  });
});

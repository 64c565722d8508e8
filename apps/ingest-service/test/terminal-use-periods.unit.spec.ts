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

  it('finds the latest use between two instants, in an earlier period as in the latest', () => {
    const use = new TerminalUsePeriods();
    use.began(T, 100);
    use.used(T, 150, 'pay-1');
    use.ended(T, 200, 'deactivated');
    use.began(T, 250);
    // Used at 150 in a period ended since, the one at 300 taking nothing.
    expect(use.lastUsedBetween(T, 120, 300)).toBe(150);
    expect(use.lastUsedBetween(T, 150, 300)).toBeUndefined();
    use.used(T, 260, 'pay-2');
    expect(use.lastUsedBetween(T, 120, 300)).toBe(260);
    expect(use.lastUsedBetween(T, 120, 255)).toBe(150);
    // The latest period's latest use after `to`: its earlier ones are not kept, and it began after `from`.
    use.used(T, 400, 'pay-3');
    expect(use.lastUsedBetween(T, 120, 300)).toBe(150);
    expect(use.lastUsedBetween(T, 10, 90)).toBeUndefined();
  });

  it('finds the period that took payments after the close before and ended before the close, out of use at it', () => {
    const use = new TerminalUsePeriods();
    use.began(T, 100);
    use.used(T, 150, 'pay-1');
    use.ended(T, 200, 'deactivated');
    use.used(T, 250, 'pay-2');
    // Used at 150, ended at 200: the day closing at 300 (the one before at 120) holds a sale no close took.
    expect(use.usedAndEndedBetween(T, 120, 300)).toEqual({
      from: 100,
      until: 200,
      endedAs: 'deactivated',
      lastUsedAt: 150,
    });
    // Its sale before the close before (at 160): closed then.
    expect(use.usedAndEndedBetween(T, 160, 300)).toBeUndefined();
    // Ended before the close before: nothing of that day's.
    expect(use.usedAndEndedBetween(T, 210, 300)).toBeUndefined();
    // In use at the close time again: its close holds it all.
    use.began(T, 280);
    expect(use.usedAndEndedBetween(T, 120, 300)).toBeUndefined();
  });

  it('takes back a payment refused before it reached the terminal, and no other', () => {
    const use = new TerminalUsePeriods();
    use.began(T, 100);
    use.used(T, 110, 'captured');
    use.released('captured', false);
    use.used(T, 150, 'refused');
    use.released('refused', true);
    use.ended(T, 200, 'INACTIVE at Dintero');
    expect(use.usedAndEndedBetween(T, 105, 300)?.lastUsedAt).toBe(110);
    expect(use.usedAndEndedBetween(T, 120, 300)).toBeUndefined();

    // Claimed again (a resumed request, whose first run may have reached the terminal), then refused: use still.
    const resumed = new TerminalUsePeriods();
    resumed.began(T, 100);
    resumed.used(T, 150, 'resumed');
    resumed.used(T, 160, 'resumed');
    resumed.released('resumed', true);
    resumed.ended(T, 200, 'deactivated');
    expect(resumed.usedAndEndedBetween(T, 120, 300)?.lastUsedAt).toBe(160);

    const declined = new TerminalUsePeriods();
    declined.began(T, 100);
    declined.used(T, 150, 'declined');
    declined.released('declined', false);
    declined.used(T, 160, 'expired');
    declined.released('expired', false);
    declined.used(T, 170, 'unknown');
    declined.ended(T, 200, 'deactivated');
    // Released as declined or expired, or never released (its outcome unknown): use.
    expect(declined.usedAndEndedBetween(T, 120, 300)?.lastUsedAt).toBe(170);
    declined.released('unknown', false);
    expect(declined.usedAndEndedBetween(T, 165, 300)?.lastUsedAt).toBe(170);
    // A refused release of a claim released already, or never noted, takes nothing back.
    declined.released('declined', true);
    declined.released('never-noted', true);
    expect(declined.usedAndEndedBetween(T, 120, 300)?.lastUsedAt).toBe(170);
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

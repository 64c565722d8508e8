/** A stretch of time a terminal was in use: from `from` until `until` (in use still, while there is none). */
export interface UsePeriod {
  readonly from: number;
  until?: number;
}

/**
 * When each terminal (`{storeId}.{terminalId}`) was in use, period by period (registered or taken back into use, or
 * `ACTIVE` at Dintero again, until deactivated, removed or moved, or not `ACTIVE` at Dintero any more), for the look
 * for missed days: a day is the terminal's only when its close time fell in one of them, so the days before a
 * reactivation are looked at too, and those out of use between are not. Periods that ended before the days looked
 * back over are forgotten (`prune`), and so is a terminal with none left: memory is bounded by the fleet and the
 * look-back window, not by its history.
 */
export class TerminalUsePeriods {
  private readonly periods = new Map<string, UsePeriod[]>();

  /** Taken into use at `at`; nothing when it is in use already. */
  began(terminal: string, at: number): void {
    const periods = this.periods.get(terminal) ?? [];
    if (periods.length > 0 && periods[periods.length - 1]!.until === undefined) return;
    periods.push({ from: at });
    this.periods.set(terminal, periods);
  }

  /** Taken out of use at `at`; nothing when it is out of use already. */
  ended(terminal: string, at: number): void {
    const periods = this.periods.get(terminal);
    const last = periods?.[periods.length - 1];
    if (last !== undefined && last.until === undefined) last.until = at;
  }

  /** The period `instant` fell in (`from` ≤ instant < `until`), if any. */
  at(terminal: string, instant: number): UsePeriod | undefined {
    const periods = this.periods.get(terminal) ?? [];
    for (let index = periods.length - 1; index >= 0; index--) {
      const period = periods[index]!;
      if (period.from > instant) continue;
      return period.until === undefined || instant < period.until ? period : undefined;
    }
    return undefined;
  }

  /** When it was first in use, of the periods kept: no instant before it is its. */
  since(terminal: string): number | undefined {
    return this.periods.get(terminal)?.[0]?.from;
  }

  /** Whether it was in use at or after `instant`: in use now, or taken out of use since. */
  inUseSince(terminal: string, instant: number): boolean {
    const periods = this.periods.get(terminal);
    const last = periods?.[periods.length - 1];
    return last !== undefined && (last.until === undefined || last.until >= instant);
  }

  /** Forgets the periods that ended before `instant`, and the terminals with none left. */
  prune(instant: number): void {
    for (const [terminal, periods] of this.periods) {
      // Ended in order: the first still kept means all are (the usual case, looked at without copying).
      const first = periods[0]!;
      if (first.until === undefined || first.until >= instant) continue;
      const kept = periods.filter((period) => period.until === undefined || period.until >= instant);
      if (kept.length === 0) this.periods.delete(terminal);
      else if (kept.length < periods.length) this.periods.set(terminal, kept);
    }
  }

  /** How many periods are kept, all terminals together. */
  get size(): number {
    let size = 0;
    for (const periods of this.periods.values()) size += periods.length;
    return size;
  }
}

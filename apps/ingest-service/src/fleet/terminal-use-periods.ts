/** A stretch of time a terminal was in use: from `from` until `until` (in use still, while there is none). */
export interface UsePeriod {
  readonly from: number;
  until?: number;
  /**
   * How it ended, in words (`deactivated`, `removed from the store`, `INACTIVE at Dintero`): for the give-up of a day it
   * took payments in and was out of use at the close time of.
   */
  endedAs?: string;
  /**
   * No earlier than this the log recorded its beginning, when it began with a status from Dintero: the latest instant
   * the log showed the nightly close at work before it (the log keeps no time of its own). A status is dated when
   * Dintero was asked, so a period may begin before a close time and be recorded only after the next day's close fell due.
   */
  readonly recordedAfter?: number;
  /** The latest payment or refund that claimed the terminal in it (`TerminalClaimed`). */
  lastUsedAt?: number;
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
  /**
   * The claims of payments and refunds noted once and not yet released, by claim id: the period each was noted on, the
   * instant noted, and the period's latest use before it, to take it back should it be released as refused
   * (`released`). One a terminal at most (a claim holds its terminal alone), and one never released goes with its period.
   */
  private readonly open = new Map<string, { period: UsePeriod; at: number; before?: number }>();

  /** Taken into use at `at`, recorded no earlier than `recordedAfter`; nothing when it is in use already. */
  began(terminal: string, at: number, recordedAfter?: number): void {
    const periods = this.periods.get(terminal) ?? [];
    if (periods.length > 0 && periods[periods.length - 1]!.until === undefined) return;
    periods.push(recordedAfter === undefined || recordedAfter <= at ? { from: at } : { from: at, recordedAfter });
    this.periods.set(terminal, periods);
  }

  /** Taken out of use at `at` (`endedAs` saying how); nothing when it is out of use already. */
  ended(terminal: string, at: number, endedAs?: string): void {
    const periods = this.periods.get(terminal);
    const last = periods?.[periods.length - 1];
    if (last === undefined || last.until !== undefined) return;
    last.until = at;
    if (endedAs !== undefined) last.endedAs = endedAs;
  }

  /**
   * A payment or refund claimed it at `at` (`claimId`): noted on the period that instant fell in, if any, as use at
   * once, whatever becomes of it: its outcome unknown, it may yet have taken money. A claim noted again (extended, by
   * a request resumed after its first run died) stays use for good: its first run may have reached the terminal.
   */
  used(terminal: string, at: number, claimId: string): void {
    const again = this.open.delete(claimId);
    const period = this.at(terminal, at);
    if (period === undefined) return;
    const before = period.lastUsedAt;
    if ((before ?? -Infinity) < at) period.lastUsedAt = at;
    if (!again)
      this.open.set(claimId, { period, at: period.lastUsedAt ?? at, ...(before === undefined ? {} : { before }) });
  }

  /**
   * The claim `claimId` released, as `refused` or not. Refused (`TerminalReleased` `rejected`: Dintero refused the
   * payment's session, a 4xx, or the engine refused the command, before anything reached the terminal) it took no
   * money and no place in a batch, and its note is taken back while it is still its period's latest use. Any other
   * release (finished, whatever the outcome; expired; reconciled) leaves it noted.
   */
  released(claimId: string, refused: boolean): void {
    const open = this.open.get(claimId);
    this.open.delete(claimId);
    if (open === undefined || !refused || open.period.lastUsedAt !== open.at) return;
    if (open.before === undefined) delete open.period.lastUsedAt;
    else open.period.lastUsedAt = open.before;
  }

  /**
   * The period that ended after `from` and by `to` (a day's close time before and its own), that took a payment or
   * refund after `from`, when the terminal was out of use at `to`: the day's sales its close never closed. The latest.
   */
  usedAndEndedBetween(terminal: string, from: number, to: number): UsePeriod | undefined {
    if (this.at(terminal, to) !== undefined) return undefined;
    const periods = this.periods.get(terminal) ?? [];
    for (let index = periods.length - 1; index >= 0; index--) {
      const { until, lastUsedAt } = periods[index]!;
      if (until === undefined || until > to) continue;
      if (until <= from) return undefined;
      if (lastUsedAt !== undefined && lastUsedAt > from) return periods[index];
    }
    return undefined;
  }

  /**
   * The latest payment or refund that claimed it after `from` and by `to`, of the periods whose latest is then: one of
   * an earlier period counts as well as one of the period `to` fell in.
   */
  lastUsedBetween(terminal: string, from: number, to: number): number | undefined {
    const periods = this.periods.get(terminal) ?? [];
    for (let index = periods.length - 1; index >= 0; index--) {
      const { from: began, lastUsedAt } = periods[index]!;
      if (lastUsedAt !== undefined && lastUsedAt > from && lastUsedAt <= to) return lastUsedAt;
      if (began <= from) return undefined;
    }
    return undefined;
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
    for (const [claimId, { period }] of this.open)
      if (period.until !== undefined && period.until < instant) this.open.delete(claimId);
  }

  /**
   * What it holds, as plain data for a checkpoint: the periods by terminal, and each open claim by the terminal and
   * index of its period (a claim's note is taken back on that very period, `released`). A claim whose period is no
   * longer kept is left out: its release could change nothing anyone reads.
   */
  snapshot(): UsePeriodsSnapshot {
    const where = new Map<UsePeriod, { terminal: string; index: number }>();
    for (const [terminal, periods] of this.periods)
      periods.forEach((period, index) => where.set(period, { terminal, index }));
    const open: UsePeriodsSnapshot['open'][number][] = [];
    for (const [claimId, { period, at, before }] of this.open) {
      const found = where.get(period);
      if (found) open.push({ claimId, ...found, at, ...(before === undefined ? {} : { before }) });
    }
    return {
      periods: [...this.periods].map(([terminal, periods]) => [terminal, periods.map((p) => ({ ...p }))]),
      open,
    };
  }

  /** Puts a snapshot's periods and open claims in place of these (`snapshot`). */
  restore(snapshot: UsePeriodsSnapshot): void {
    this.periods.clear();
    this.open.clear();
    for (const [terminal, periods] of snapshot.periods)
      this.periods.set(
        terminal,
        periods.map((p) => ({ ...p })),
      );
    for (const { claimId, terminal, index, at, before } of snapshot.open) {
      const period = this.periods.get(terminal)?.[index];
      if (period) this.open.set(claimId, { period, at, ...(before === undefined ? {} : { before }) });
    }
  }

  /** How many periods are kept, all terminals together. */
  get size(): number {
    let size = 0;
    for (const periods of this.periods.values()) size += periods.length;
    return size;
  }
}

/** `TerminalUsePeriods` as plain data, for the nightly close's checkpoint. */
export interface UsePeriodsSnapshot {
  readonly periods: readonly (readonly [string, readonly UsePeriod[]])[];
  readonly open: readonly {
    readonly claimId: string;
    readonly terminal: string;
    readonly index: number;
    readonly at: number;
    readonly before?: number;
  }[];
}

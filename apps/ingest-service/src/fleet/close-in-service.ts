/** A day, in milliseconds: how far before the first day looked back over a day's close time may fall (time zones). */
const DAY_MS = 86_400_000;

/**
 * Whether the nightly close was in service while a terminal day was due, as the log shows it, for the look for missed
 * days: a day it was not in service over was not due, and is no missed close.
 *
 * The switches (`NightlyCloseSwitched`) say how each instance that runs the reconcilers was started: on or off, the
 * latest start's word standing. In a fleet whose instances have different `NIGHTLY_CLOSE_ENABLED` the switch flips at
 * each start, and an instance started off cannot know that another runs the close: its "off" is its own. So the closes
 * the log shows the nightly close make (requested or given up, dated) are its word too: a day the log shows the
 * nightly close at work while it was due (from its close time to its next day's) was in service, whatever the switch
 * said. A day the switch had off and no close was made over at all is taken for off: the log cannot tell a fleet
 * switched off from one whose instances running the close were all down while one switched off had started last.
 */
export class CloseInService {
  /** When the nightly close was switched on and off, in the order of their instants. */
  private readonly switches: { readonly at: number; readonly enabled: boolean }[] = [];
  /**
   * By store day, the earliest instant the log shows the nightly close at work on it, for the days looked back over:
   * before the first switch (a log from before they were recorded), it is taken to have run from the first of them.
   */
  private readonly firstAtWork = new Map<string, number>();
  /** The instants the log shows the nightly close at work, ascending, each once (a round's closes share theirs). */
  private readonly atWork: number[] = [];

  /** A switch recorded: on or off from `at`. */
  switched(at: number, enabled: boolean): void {
    this.switches.push({ at, enabled });
    // In the log's order, which instances' clocks may not quite keep.
    this.switches.sort((a, b) => a.at - b.at);
  }

  /** The nightly close at work at `at` (a close of `businessDay` requested or given up then). */
  sawAtWork(businessDay: string, at: string): void {
    const instant = Date.parse(at);
    if (Number.isNaN(instant)) return;
    const held = this.firstAtWork.get(businessDay);
    if (held === undefined || instant < held) this.firstAtWork.set(businessDay, instant);
    const index = this.firstAtOrAfter(instant);
    if (this.atWork[index] !== instant) this.atWork.splice(index, 0, instant);
  }

  /** Forgets the work of days before `lookBackFrom`, the first day looked back over. */
  prune(lookBackFrom: string): void {
    for (const day of this.firstAtWork.keys()) if (day < lookBackFrom) this.firstAtWork.delete(day);
    const dropped = this.firstAtOrAfter(Date.parse(lookBackFrom) - DAY_MS);
    if (dropped > 0) this.atWork.splice(0, dropped);
  }

  /** What it holds, as plain data for a checkpoint. */
  snapshot(): CloseInServiceSnapshot {
    return {
      switches: this.switches.map((each) => ({ ...each })),
      firstAtWork: [...this.firstAtWork],
      atWork: [...this.atWork],
    };
  }

  /** Puts a snapshot's switches and work in place of these (`snapshot`). */
  restore(snapshot: CloseInServiceSnapshot): void {
    this.switches.length = 0;
    for (const each of snapshot.switches) this.switches.push({ ...each });
    this.firstAtWork.clear();
    for (const [day, at] of snapshot.firstAtWork) this.firstAtWork.set(day, at);
    this.atWork.length = 0;
    for (const at of snapshot.atWork) this.atWork.push(at);
  }

  /**
   * Whether the nightly close was in service for the day closing at `closeAt`: on by the last switch by then, or at
   * work before its next day's close fell due (`nextCloseAt`); before any switch, when the log shows it at work by then
   * (a log from before switches were recorded, judged as the version before judged it).
   */
  forDay(closeAt: number, nextCloseAt: number): boolean {
    let switched: boolean | undefined;
    for (const { at, enabled } of this.switches) {
      if (at > closeAt) break;
      switched = enabled;
    }
    if (switched === true) return true;
    if (switched === false) return (this.atWork[this.firstAtOrAfter(closeAt)] ?? Infinity) < nextCloseAt;
    let since: number | undefined;
    for (const at of this.firstAtWork.values()) if (since === undefined || at < since) since = at;
    return since !== undefined && since <= closeAt;
  }

  /**
   * The latest instant the log has shown the nightly close at work (a close requested or given up) so far: every event
   * the log has after it was recorded no earlier (the log keeps no time of its own, and these are dated as recorded).
   */
  get lastAtWork(): number | undefined {
    return this.atWork.at(-1);
  }

  /** The index of the first instant of work at or after `instant` (their number, when there is none). */
  private firstAtOrAfter(instant: number): number {
    let low = 0;
    let high = this.atWork.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.atWork[middle]! < instant) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/** `CloseInService` as plain data, for the nightly close's checkpoint. */
export interface CloseInServiceSnapshot {
  readonly switches: readonly { readonly at: number; readonly enabled: boolean }[];
  readonly firstAtWork: readonly (readonly [string, number])[];
  readonly atWork: readonly number[];
}

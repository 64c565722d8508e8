/**
 * Whose store day is whose. A store day's nightly close, made at its close time (and the terminal's spread), closes the
 * terminal's batch: all it took since its last close. A terminal's days are those whose close time found it in use (not
 * deactivated, `ACTIVE` at Dintero: only then does the engine let it take a payment). Put in use at 23:30 after a 23:00
 * close time, its first day is the next, closed at the next close time with all it took from 23:30 on; the day before
 * is none of its: it took nothing in it, and a close made on its coming into use would close an empty batch. So
 * whichever way it came into use (registered, reactivated, `ACTIVE` at Dintero again) and however late the log
 * recorded it: a status is dated when Dintero was asked, so one asked before the close time and recorded after it puts
 * the day in the terminal's use, and the day is closed once the nightly close reads it.
 *
 * So every day of a terminal ends in one of: closed (by the nightly close, or by hand); given up (`CloseGivenUp`: its
 * attempts ended without closing, Dintero or the domain refused it, the next day's close fell due first, or it was
 * missed, the terminal taken out of use before its close was made among the reasons); or none of its, for the reason
 * `NotItsDay` names. The look for missed days holds to the same rule: a day whose close time fell in none of the
 * terminal's periods in use is none of its.
 */
export type NotItsDay =
  /** Out of use now (deactivated, removed, not `ACTIVE` at Dintero), no close of the day tried that is to be given up. */
  | 'out_of_use'
  /**
   * Registered (first, or again after a removal: a new entry, maybe another device) after the day's close time. A day
   * the entry before it was in use at is given up as missed, once the next day's close time has come.
   */
  | 'registered_after_close_time'
  /**
   * Not in use at the day's close time (put in use after it, or out of use then and back since), and no close of it
   * tried: one tried settles that the day was its (a status recorded since may date its period's end before the close
   * time: asked of Dintero then, answered after the attempt), and it is tried again or given up.
   */
  | 'not_in_use_at_close_time';

/** What the nightly close knows of a terminal, for whether the store's due day is its. */
export interface TerminalAtDueDay {
  /** Not deactivated, and `ACTIVE` at Dintero when it is enrolled there. */
  readonly inUse: boolean;
  /** When it was registered last (first, or again after a removal). */
  readonly registeredAt?: number;
  /** Whether the day's close time fell in one of its periods in use. */
  readonly inUseAtCloseTime: boolean;
  /** Whether a close of the day was tried (requested, refused, busy, given up: the nightly close has one). */
  readonly tried: boolean;
  /** Whether that close is to be given up now (`giveUpReason`). */
  readonly toGiveUp: boolean;
}

/** Why the store's due day (its close time `closeAt`) is none of the terminal's; undefined when it is its to close. */
export function notItsDay(closeAt: number, terminal: TerminalAtDueDay): NotItsDay | undefined {
  // Out of use now, but a close of it was tried and is to be given up: Dintero's refusal of a terminal it no longer
  // has ACTIVE records the terminal's status before the close's end, which must still be given up.
  if (!terminal.inUse && !(terminal.tried && terminal.toGiveUp)) return 'out_of_use';
  if ((terminal.registeredAt ?? 0) > closeAt) return 'registered_after_close_time';
  // Taken out of use only after the close time and back before its close was made, it was in use at it: its day.
  if (!terminal.tried && !terminal.inUseAtCloseTime) return 'not_in_use_at_close_time';
  return undefined;
}

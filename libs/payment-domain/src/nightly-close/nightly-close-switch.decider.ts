import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import { requireInstant } from '../shared/validation';

/**
 * The one stream that says when the nightly close was switched on and off (`NIGHTLY_CLOSE_ENABLED` on the ingest
 * instances that run the reconcilers): a terminal day whose close time fell while it was off was not due, and is no
 * missed close, where a day with no trace while it was on is one (the engine down then).
 */
export const NIGHTLY_CLOSE_SWITCH_STREAM = 'nightly-close-switch';

export interface NightlyCloseSwitchedData {
  /** Whether the nightly close runs from `at` on. */
  readonly enabled: boolean;
  /** When an instance started with it so (its clock). */
  readonly at: string;
}

export type NightlyCloseSwitchEvent = {
  readonly type: 'NightlyCloseSwitched';
  readonly data: NightlyCloseSwitchedData;
};
export type NightlyCloseSwitchCommand = {
  readonly type: 'SwitchNightlyClose';
  readonly data: NightlyCloseSwitchedData;
};
/** Unknown before the first switch recorded (a log from before it was kept). */
export type NightlyCloseSwitchState = { readonly enabled?: boolean };

/** Records a switch only when it changes what the stream says: instances starting as the last one did record nothing. */
function decide(command: NightlyCloseSwitchCommand, state: NightlyCloseSwitchState): NightlyCloseSwitchEvent[] {
  const { enabled, at } = command.data;
  if (typeof enabled !== 'boolean')
    throw new DomainError('VALIDATION_FAILED', 'enabled must be true or false', { field: 'enabled' });
  if (state.enabled === enabled) return [];
  return [{ type: 'NightlyCloseSwitched', data: { enabled, at: requireInstant(at, 'at') } }];
}

function evolve(_state: NightlyCloseSwitchState, event: NightlyCloseSwitchEvent): NightlyCloseSwitchState {
  return { enabled: event.data.enabled };
}

export const nightlyCloseSwitchDecider: Decider<
  NightlyCloseSwitchCommand,
  NightlyCloseSwitchEvent,
  NightlyCloseSwitchState
> = { initialState: {}, decide, evolve };

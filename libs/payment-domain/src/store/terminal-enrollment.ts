import { DomainError } from '../shared/domain-error';
import { requireText } from '../shared/validation';

/**
 * A terminal's status at Dintero: only `ACTIVE` takes payments. `ERROR` (with a `status_reason`) came with Dintero's
 * account management API of 2026-06-03: the device is in trouble, and Dintero or a person may bring it back.
 */
export const DINTERO_TERMINAL_STATUSES = [
  'PENDING',
  'ACTION_REQUIRED',
  'ACTIVE',
  'INACTIVE',
  'ERROR',
  'DELETED',
] as const;
export type DinteroTerminalStatus = (typeof DINTERO_TERMINAL_STATUSES)[number];

/** Statuses Dintero may still move a terminal out of by itself or by a person: worth following. */
export const followsDinteroStatus = (status: DinteroTerminalStatus): boolean =>
  status !== 'ACTIVE' && status !== 'DELETED';

/**
 * The device behind a registered terminal, as Dintero knows it: its `terminal_id`, serial number and model,
 * and its status there. The chain's POS addresses the terminal by its own name (`terminalId`); the engine
 * sends `dinteroTerminalId` to Dintero.
 */
export interface TerminalEnrollment {
  /** Dintero's id of the terminal (its `terminal_id`, e.g. `T12345678-T0001`): what sessions name. */
  readonly dinteroTerminalId: string;
  /** The serial number on the device's label, as registered at Dintero. */
  readonly deviceSerialNumber: string;
  /** Dintero's device model (e.g. `SATURN1000`), when given. */
  readonly deviceModel?: string;
  /** Its status at Dintero: `PENDING`, `ACTION_REQUIRED`, `ACTIVE`, `INACTIVE`, `ERROR` or `DELETED`; only `ACTIVE` takes payments. */
  readonly status: DinteroTerminalStatus;
  /** Why, as Dintero gives it: with `ACTION_REQUIRED`, `CHECK_UPDATE` (the device must fetch its settings); with `ERROR`, what is wrong. */
  readonly statusReason?: string;
}

export function requireEnrollment(enrollment: TerminalEnrollment): TerminalEnrollment {
  requireText(enrollment.dinteroTerminalId, 'dinteroTerminalId', 255);
  requireText(enrollment.deviceSerialNumber, 'deviceSerialNumber', 100);
  if (enrollment.deviceModel !== undefined) requireText(enrollment.deviceModel, 'deviceModel', 40);
  requireDinteroStatus(enrollment.status);
  if (enrollment.statusReason !== undefined) requireText(enrollment.statusReason, 'statusReason', 100);
  return enrollment;
}

export function requireDinteroStatus(status: string): DinteroTerminalStatus {
  if (!(DINTERO_TERMINAL_STATUSES as readonly string[]).includes(status))
    throw new DomainError('VALIDATION_FAILED', `Unknown Dintero terminal status ${status}`, { field: 'status' });
  return status as DinteroTerminalStatus;
}

export const sameDevice = (a: TerminalEnrollment | undefined, b: TerminalEnrollment): boolean =>
  a !== undefined &&
  a.dinteroTerminalId === b.dinteroTerminalId &&
  a.deviceSerialNumber === b.deviceSerialNumber &&
  a.deviceModel === b.deviceModel;

export const sameStatus = (
  a: Pick<TerminalEnrollment, 'status' | 'statusReason'>,
  b: Pick<TerminalEnrollment, 'status' | 'statusReason'>,
): boolean => a.status === b.status && a.statusReason === b.statusReason;

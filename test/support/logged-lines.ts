import { Logger } from '@nestjs/common';

/** A line logged through Nest's `Logger` with its fields first, as the apps log. */
export interface LoggedLine {
  readonly fields: Record<string, unknown>;
  readonly msg: unknown;
}

/**
 * The lines logged at `level` from now on (each still passed on to the logger), gathered in the array returned;
 * `jest.restoreAllMocks()` ends it. Lines without fields are not gathered.
 */
export function loggedLines(level: 'log' | 'warn' | 'error'): LoggedLine[] {
  const lines: LoggedLine[] = [];
  // Called with its own `this` below (`apply`): the logger it was on.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = Logger.prototype[level];
  jest.spyOn(Logger.prototype, level).mockImplementation(function (this: Logger, ...args: unknown[]) {
    const [fields, msg] = args;
    if (typeof fields === 'object' && fields !== null) lines.push({ fields: fields as Record<string, unknown>, msg });
    return (original as (...a: unknown[]) => void).apply(this, args);
  });
  return lines;
}

import { EngineOfAnotherLogError } from '@app/messaging';
import { ConfigError } from '../config/load-config';

/**
 * What an app prints when it could not start. A refusal that already says what to do (a bad setting, a NATS
 * prefix taken by another log's engine) is its message alone: a stack trace under it would read as a crash and
 * bury the one line that matters. Anything else is a fault, printed with its stack for the bug report.
 */
export function reportStartFailure(app: string, error: unknown): void {
  const refusal = error instanceof ConfigError || error instanceof EngineOfAnotherLogError;
  console.error(`${app} could not start: ${refusal ? error.message : String(error)}`);
  if (!refusal) console.error(error);
}

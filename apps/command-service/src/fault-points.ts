import { Inject, Injectable, Logger } from '@nestjs/common';
import { COMMAND_CONFIG, type CommandServiceConfig, type FaultPoint } from './command-service.config';

/**
 * Kills the command service at a step of a start or a refund (`FAULT_POINT`), so that a test can prove a retry
 * with the same Idempotency-Key resumes the request. Off unless set; refused with `NODE_ENV=production`.
 */
@Injectable()
export class FaultPoints {
  private readonly logger = new Logger(FaultPoints.name);

  constructor(@Inject(COMMAND_CONFIG) private readonly config: CommandServiceConfig) {
    if (config.faultPoint) this.logger.warn({ faultPoint: config.faultPoint }, 'test fault point armed');
  }

  /** The process dies here, at once and without cleaning up, when this point is armed: a crash. */
  reach(point: FaultPoint): void {
    if (this.config.faultPoint === point) process.kill(process.pid, 'SIGKILL');
  }
}

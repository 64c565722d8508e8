import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { OperatorSessions, type OperatorSession } from './operator-sessions';

type WithSession = FastifyRequest & { operatorSession?: OperatorSession };

/** Lets a request through only with an operator key or session (401 Problem Details otherwise). */
@Injectable()
export class OperatorGuard implements CanActivate {
  constructor(private readonly sessions: OperatorSessions) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<WithSession>();
    request.operatorSession = this.sessions.authenticate(request.headers);
    return true;
  }
}

/** The session `OperatorGuard` found for this request. */
export const ViewerSession = createParamDecorator(
  (_: unknown, context: ExecutionContext): OperatorSession =>
    context.switchToHttp().getRequest<WithSession>().operatorSession!,
);

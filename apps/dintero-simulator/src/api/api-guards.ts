import {
  Injectable,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { ValidationPipe } from '@nestjs/common';
import { validationMessages } from '@app/platform';
import type { FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { DeliveryService } from '../delivery/delivery.service';
import { SimulatorRandom } from '../state/random';
import { SimulatorState } from '../state/simulator-state';
import { DinteroApiError } from './dintero-api.error';

/** `Authorization: Bearer <token>` from the token endpoint, unexpired (§1). */
@Injectable()
export class BearerTokenGuard implements CanActivate {
  constructor(private readonly state: SimulatorState) {}

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
    const expiresAt = token ? this.state.tokens.get(token) : undefined;
    if (expiresAt === undefined) throw new DinteroApiError(401, 'UNAUTHORIZED', 'Missing or invalid access token');
    if (expiresAt <= Date.now()) throw new DinteroApiError(401, 'TOKEN_EXPIRED', 'Access token expired');
    return true;
  }
}

/**
 * API chaos: latency, and 503s of which half come before the request takes effect and half after,
 * so that a caller sees exactly the "outcome unknown" case the engine must handle.
 */
@Injectable()
export class ApiChaosInterceptor implements NestInterceptor {
  constructor(
    private readonly delivery: DeliveryService,
    private readonly random: SimulatorRandom,
  ) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const { api5xxRate, api429Rate, apiLatencyMs } = this.delivery.chaos;
    return from(
      (async () => {
        if (apiLatencyMs > 0) await new Promise((resolve) => setTimeout(resolve, apiLatencyMs));
        if (this.random.chance(api429Rate)) {
          throw new DinteroApiError(429, 'TOO_MANY_REQUESTS', 'Simulated rate limit', undefined, {
            'retry-after': '0',
          });
        }
        const outage = this.random.chance(api5xxRate);
        const afterEffect = outage && this.random.chance(0.5);
        if (outage && !afterEffect) throw new DinteroApiError(503, 'SERVICE_UNAVAILABLE', 'Simulated outage');
        const result: unknown = await lastValueFrom(next.handle());
        if (afterEffect)
          throw new DinteroApiError(503, 'SERVICE_UNAVAILABLE', 'Simulated outage after the request took effect');
        return result;
      })(),
    );
  }
}

/**
 * class-validator for every body, with Dintero's error format. A field the simulator does not know is refused
 * rather than dropped: a field the engine misnames or puts in the wrong place shows up in its tests, where Dintero
 * might ignore it without a word.
 */
export const dinteroValidation = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: (errors) =>
    new DinteroApiError(
      400,
      'INVALID_REQUEST',
      'The request is invalid',
      // The specification's `error.errors` holds objects (their fields undocumented): one per problem.
      validationMessages(errors).map((message) => ({ message })),
    ),
});

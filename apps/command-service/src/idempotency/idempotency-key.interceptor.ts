import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { catchError, throwError, type Observable } from 'rxjs';
import { RequestValidationError } from '@app/platform';
import { IDEMPOTENCY_KEY_REFUSED, isIdempotencyKey } from './idempotent-requests.service';

/**
 * A keyed request (a start, a refund, an operation) refused for its body or path is refused for its
 * `Idempotency-Key` too, when that is missing or malformed: one `400 VALIDATION_FAILED` lists both, rather than the
 * body's errors first and the key's once the body is mended. The pipes that refuse the body run inside this
 * interceptor; a request whose body passes has its key checked where it is used (`IdempotentRequests.run`).
 */
@Injectable()
export class IdempotencyKeyInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (isIdempotencyKey(context.switchToHttp().getRequest<FastifyRequest>().headers['idempotency-key']))
      return next.handle();
    return next
      .handle()
      .pipe(
        catchError((error: unknown) =>
          throwError(() =>
            refusedForOtherFields(error)
              ? new RequestValidationError([...error.errors, IDEMPOTENCY_KEY_REFUSED])
              : error,
          ),
        ),
      );
  }
}

/** A refusal that does not name the key yet: the key's own (`IdempotentRequests.run`) names it alone. */
const refusedForOtherFields = (error: unknown): error is RequestValidationError =>
  error instanceof RequestValidationError && !error.errors.some(({ field }) => field === IDEMPOTENCY_KEY_REFUSED.field);

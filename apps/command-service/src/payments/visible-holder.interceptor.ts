import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, from, mergeMap, throwError, type Observable } from 'rxjs';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import type { AuthenticatedRequest } from '../auth/pos-auth.guard';
import { busyAsSeenBy } from './visible-holder';

/**
 * Every POS route's refusal as its key may see it (`busyAsSeenBy`): a payment, refund, operation or device change
 * refused for a terminal that a refund of another store's payment holds is not told that payment's id. (Over NATS,
 * `NatsCommandsService` does the same.)
 */
@Injectable()
export class VisibleHolderInterceptor implements NestInterceptor {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const client = context.switchToHttp().getRequest<AuthenticatedRequest>().posClient;
    if (!client) return next.handle();
    return next
      .handle()
      .pipe(
        catchError((error: unknown) =>
          from(busyAsSeenBy(error, this.store, client)).pipe(mergeMap((seen) => throwError(() => seen))),
        ),
      );
  }
}

import { Catch, HttpException, Inject } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { DinteroRejectedError, DinteroUnavailableError, UnrecognisedTransactionStatusError } from '@app/dintero';
import { WrongExpectedRevisionError } from '@app/event-store';
import {
  METRICS_REGISTRY,
  paymentMetrics,
  ProblemDetailsFilter,
  type PaymentMetrics,
  type ProblemDetails,
} from '@app/platform';

/**
 * Problem Details, with the answers Dintero's retries depend on: 5xx whenever trying again may succeed
 * (Dintero or the log unreachable, a status we cannot record yet, or a transaction in another currency than its
 * payment's, `TRANSACTION_IN_OTHER_CURRENCY`, 503 by `STATUS_OF`, a captured payment's handed to a person too:
 * `PaymentFacts.recordTransaction`), 4xx only when it never will, since
 * Dintero gives up on a callback after a 4xx (docs/dintero.md §4).
 */
@Catch()
export class IngestProblemsFilter extends ProblemDetailsFilter {
  private readonly metrics: PaymentMetrics;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    super();
    this.metrics = paymentMetrics(registry);
  }

  override toProblem(exception: unknown, instance: string): ProblemDetails {
    const problem = super.toProblem(translate(exception), instance);
    const source = instance.startsWith('/v1/dintero/callback')
      ? 'callback'
      : instance.startsWith('/v1/dintero/webhooks')
        ? 'webhook'
        : undefined;
    if (source) this.metrics.deliveries.inc({ source, result: problem.status >= 500 ? 'failed' : 'refused' });
    return problem;
  }
}

function translate(exception: unknown): unknown {
  if (exception instanceof DinteroUnavailableError)
    return coded(503, 'DINTERO_UNAVAILABLE', `Dintero could not be asked: ${exception.message}`);
  if (exception instanceof DinteroRejectedError) {
    return exception.status === 404
      ? coded(422, 'DINTERO_NOT_FOUND', 'Dintero does not know the transaction or session named')
      : coded(502, 'DINTERO_LOOKUP_REFUSED', `Dintero refused the lookup: ${exception.code}`);
  }
  if (exception instanceof UnrecognisedTransactionStatusError)
    return coded(503, 'UNRECOGNISED_DINTERO_STATUS', exception.message);
  // The payment changed under the delivery at every try (other writers busy on it): the fact is not recorded yet,
  // and another delivery will record it. A 409 would make Dintero give the delivery up.
  if (exception instanceof WrongExpectedRevisionError)
    return coded(
      503,
      'CONCURRENT_UPDATE',
      'The payment changed under this delivery at every try; nothing was recorded: deliver it again',
    );
  return exception;
}

function coded(status: number, code: string, detail: string): HttpException {
  return new HttpException({ code, detail }, status);
}

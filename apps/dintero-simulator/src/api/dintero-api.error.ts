import { applyDecorators, ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';

/** An error as Dintero answers it: `{"error":{"code","message","errors"?}}` (docs/dintero.md §7). */
export class DinteroApiError extends HttpException {
  constructor(
    status: number,
    code: string,
    message: string,
    errors?: unknown[],
    readonly headers: Record<string, string> = {},
  ) {
    super({ error: { code, message, ...(errors ? { errors } : {}) } }, status);
  }
}

/** Every error of the simulator in Dintero's format, framework errors (404, bad JSON) included. */
@Catch()
export class DinteroErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof DinteroApiError) {
      void reply.status(exception.getStatus()).headers(exception.headers).send(exception.getResponse());
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = status === 404 ? 'NOT FOUND' : status >= 500 ? 'SERVICE_UNAVAILABLE' : 'BAD_REQUEST';
      void reply.status(status).send({ error: { code, message: exception.message } });
      return;
    }
    const status = (exception as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      void reply.status(status).send({ error: { code: 'BAD_REQUEST', message: (exception as Error).message } });
      return;
    }
    void reply.status(500).send({ error: { code: 'INTERNAL_ERROR', message: 'Simulator error' } });
  }
}

/** Dintero's error body as the OpenAPI description shows it. */
class DinteroErrorBody {
  @ApiProperty({ example: 'NOT FOUND' }) code!: string;
  @ApiProperty({ example: 'Session not found' }) message!: string;
  @ApiProperty({ required: false, type: 'array', items: { type: 'object' }, description: 'Details, when any' })
  errors?: object[];
}

export class DinteroErrorView {
  @ApiProperty({ type: DinteroErrorBody }) error!: DinteroErrorBody;
}

/** What the Checkout API's routes (sessions, transactions) can answer besides success. */
export const CHECKOUT_API_ERRORS: Readonly<Record<number, string>> = {
  400: 'A request Dintero would refuse (the body, a parameter), or a transaction or session not in a state that allows it',
  401: 'No bearer token, or not one the simulator issued',
  404: 'No such session or transaction',
  409: 'TERMINAL_BUSY (Retry-After): the terminal takes another payment, a refund or an operation (not in the specification)',
  429: 'Chaos: rate limited (Retry-After)',
  503: 'Chaos: unavailable, or a timeout; or the state file cannot be written (SIM_STATE_FILE)',
};

/** The error answers of a simulator API, in Dintero's format, each with what it means. */
export function ApiDinteroErrors(statuses: Readonly<Record<number, string>>): ClassDecorator & MethodDecorator {
  return applyDecorators(
    ...Object.entries(statuses).map(([status, description]) =>
      ApiResponse({ status: Number(status), type: DinteroErrorView, description }),
    ),
  );
}

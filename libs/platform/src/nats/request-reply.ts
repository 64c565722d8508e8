import { HttpException, type Logger } from '@nestjs/common';
import type { Msg } from '@nats-io/transport-node';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { fieldErrors } from '../config/validation-messages';
import { assertReasonableJson } from '../problem-details/json-shape';
import { parseJson } from '../problem-details/parse-json';
import { logProblem, ProblemDetailsFilter, RequestValidationError } from '../problem-details/problem-details.filter';

/** What every request/reply subject of the engine answers: an HTTP status and the body HTTP would send. */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
}

const problems = new ProblemDetailsFilter();

/**
 * A message's JSON body as `schema`, validated like an HTTP body (unknown fields refused), and held to the same size
 * (`maxBytes`, `HTTP_BODY_LIMIT`): NATS lets through up to its own `max_payload` (1 MiB by default).
 */
export async function parseMessage<Message extends object>(
  msg: Msg,
  schema: new () => Message,
  maxBytes: number,
): Promise<Message> {
  if (msg.data.length > maxBytes)
    throw new HttpException(
      { code: 'PAYLOAD_TOO_LARGE', detail: `The message is ${msg.data.length} bytes, more than the ${maxBytes} taken` },
      413,
    );
  const raw = parseJson(msg.string(), 'message');
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new RequestValidationError([{ field: 'message', message: 'The message must be a JSON object' }]);
  assertReasonableJson(raw, 'message');
  const message = plainToInstance(schema, raw);
  const errors = await validate(message, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) throw new RequestValidationError(fieldErrors(errors));
  return message;
}

/** Answers a request with what `handle` returns, or with the Problem Details of what it threw. */
export async function replyTo(
  msg: Msg,
  handle: () => Promise<Reply>,
  logger: Logger,
  log: Readonly<Record<string, unknown>> = {},
): Promise<void> {
  let reply: Reply;
  try {
    reply = await handle();
  } catch (error) {
    const problem = problems.toProblem(error, msg.subject);
    logProblem(logger, problem, { err: error, subject: msg.subject, ...log });
    reply = { status: problem.status, body: problem };
  }
  if (!msg.reply) return;
  try {
    msg.respond(JSON.stringify(reply));
  } catch (error) {
    // NATS refused the reply itself (larger than the server's max_payload): the caller is told so rather than
    // left to time out, as HTTP would answer a 500.
    logger.error({ err: error, subject: msg.subject, ...log }, 'the reply could not be sent');
    const problem = problems.toProblem(error, msg.subject);
    msg.respond(JSON.stringify({ status: problem.status, body: problem }));
  }
}

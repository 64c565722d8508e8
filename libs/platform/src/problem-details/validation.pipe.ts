import { ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { fieldErrors } from '../config/validation-messages';
import { assertReasonableJson } from './json-shape';
import { RequestValidationError } from './problem-details.filter';

/**
 * class-validator for every DTO; unknown fields refused, so a typo is an error rather than ignored. A query
 * nested too deep or too wide is refused before class-transformer sees it; a body was already, as it was parsed
 * (`parseJsonBody`).
 */
export class RequestValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'query') assertReasonableJson(value, metadata.type);
    return super.transform(value, metadata);
  }
}

export const requestValidation = new RequestValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: (errors) => new RequestValidationError(fieldErrors(errors)),
});

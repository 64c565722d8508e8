import { ValidationPipe, type ArgumentMetadata, type ValidationPipeOptions } from '@nestjs/common';
import { fieldErrors } from '../config/validation-messages';
import { assertReasonableJson, type JsonShapeOptions } from './json-shape';
import { RequestValidationError } from './problem-details.filter';

/**
 * class-validator for every DTO; unknown fields refused, so a typo is an error rather than ignored. A body or
 * query nested too deep or too wide, or holding a key JavaScript reserves, is refused before class-transformer
 * sees it (`assertReasonableJson`; `shape` may leave the reserved keys).
 */
export class RequestValidationPipe extends ValidationPipe {
  constructor(
    options: ValidationPipeOptions,
    private readonly shape: JsonShapeOptions = { refuseReservedKeys: true },
  ) {
    super(options);
  }

  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') assertReasonableJson(value, metadata.type, this.shape);
    return super.transform(value, metadata);
  }
}

export const requestValidation = new RequestValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: (errors) => new RequestValidationError(fieldErrors(errors)),
});

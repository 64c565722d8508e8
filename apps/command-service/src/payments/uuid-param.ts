import { ParseUUIDPipe } from '@nestjs/common';
import { RequestValidationError } from '@app/platform';

/** A path id that must be a UUID: `400 VALIDATION_FAILED` naming it otherwise. */
export const uuidParam = (name: string) =>
  new ParseUUIDPipe({
    exceptionFactory: () => new RequestValidationError([{ field: name, message: `${name} must be a UUID` }]),
  });

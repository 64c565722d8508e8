import { ParseUUIDPipe, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { RequestValidationError } from '@app/platform';

/**
 * A path id that must be a UUID: `400 VALIDATION_FAILED` naming it otherwise. Given as the log keeps the ids the
 * engine issues, in lower case: a UUID is case-insensitive on input (RFC 4122), and a POS may keep it in capitals (a
 * GUID type); the payment it names is the same.
 */
export const uuidParam = (name: string): PipeTransform<string, Promise<string>> => {
  const uuid = new ParseUUIDPipe({
    exceptionFactory: () => new RequestValidationError([{ field: name, message: `${name} must be a UUID` }]),
  });
  return {
    transform: async (value: string, metadata: ArgumentMetadata) => {
      const valid = await uuid.transform(value, metadata);
      return String(valid).toLowerCase();
    },
  };
};

import { applyDecorators } from '@nestjs/common';
import { IsDefined, Matches } from 'class-validator';
import { SUBJECT_TOKEN } from '@app/messaging';

/**
 * A field a request must carry: missing, it is "is required", and only that (a kind check: the field's other
 * checks would speak of a value that is not there).
 */
export const IsRequired = (): PropertyDecorator => IsDefined({ message: '$property is required' });

/**
 * A store's or terminal's name in a request: 1-64 of A-Z a-z 0-9 _ - (a NATS subject token, since names go
 * into subjects and KV keys). A missing one is `IsRequired`'s; with `@IsOptional()` a missing one is allowed.
 */
export const IsNameToken = (): PropertyDecorator =>
  applyDecorators(
    IsRequired(),
    Matches(SUBJECT_TOKEN, { message: '$property must be 1-64 characters of A-Z a-z 0-9 _ -' }),
  );

import { applyDecorators } from '@nestjs/common';
import { IsDefined, Matches } from 'class-validator';
import { SUBJECT_TOKEN } from '@app/messaging';

/**
 * A store's or terminal's name in a request: 1-64 of A-Z a-z 0-9 _ - (a NATS subject token, since names go
 * into subjects and KV keys). A missing one is "is required" (a kind check: the pattern's words would be about
 * a value that is not there); with `@IsOptional()` a missing one is allowed.
 */
export const IsNameToken = (): PropertyDecorator =>
  applyDecorators(
    IsDefined({ message: '$property is required' }),
    Matches(SUBJECT_TOKEN, { message: '$property must be 1-64 characters of A-Z a-z 0-9 _ -' }),
  );

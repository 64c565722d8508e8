import { applyDecorators } from '@nestjs/common';
import { IsDefined, Matches } from 'class-validator';
import { SUBJECT_TOKEN } from '@app/messaging';

/**
 * A store's or terminal's name as the POS sends it: 1-64 of A-Z a-z 0-9 _ - (a NATS subject token). A missing
 * one is "is required" (a kind check: its other words would be about a value that is not there); with
 * `@IsOptional()` a missing one is allowed.
 */
export const IsPosName = (): PropertyDecorator =>
  applyDecorators(
    IsDefined({ message: '$property is required' }),
    Matches(SUBJECT_TOKEN, { message: '$property must be 1-64 characters of A-Z a-z 0-9 _ -' }),
  );

import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
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

/**
 * A whole number that may come as a URL query's text: "30" is taken as 30, and only digits are. Anything else (`true`,
 * `""`, `"1e1"`, as a NATS message may carry them, its values keeping their JSON types) stays as it is, for the
 * field's checks to refuse: a conversion by `Number` made `true` 1 and `""` 0.
 */
export const QueryInteger = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value,
  );

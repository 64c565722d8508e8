import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { isSubjectToken } from '@app/messaging';
import { RequestValidationError } from '@app/platform';

/** Store and terminal ids in paths must be NATS subject tokens (docs/design.md), or nothing is done. */
@Injectable()
export class SubjectTokenPipe implements PipeTransform<string, string> {
  transform(value: string, { data }: ArgumentMetadata): string {
    if (!isSubjectToken(value))
      throw new RequestValidationError([
        { field: data ?? 'path', message: `${JSON.stringify(value)} must be 1-64 characters of A-Z a-z 0-9 _ -` },
      ]);
    return value;
  }
}

import type { ValidationError } from 'class-validator';

/** class-validator's nested errors as flat `path: message` lines, for configuration and request errors alike. */
export function validationMessages(errors: readonly ValidationError[], parent?: string): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => `${path}: ${message}`);
    return [...own, ...validationMessages(error.children ?? [], path)];
  });
}

import type { ValidationError } from 'class-validator';

/** One refused field of a request: where (a dotted path) and why. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/**
 * Checks of a value's kind: when one fails, the field's other checks (a minimum, a length) say nothing
 * true about the value, so only the kind is reported. `"amount": "1000"` is "must be an integer number",
 * not also "must not be less than 1".
 */
const KIND_CHECKS = new Set([
  'isInt',
  'isNumber',
  'isString',
  'isBoolean',
  'isArray',
  'isObject',
  'isDefined',
  'isNotEmptyObject',
  'nestedValidation',
  'whitelistValidation',
]);

/** class-validator's nested errors as flat `{ field, message }`, for configuration and request errors alike. */
export function fieldErrors(errors: readonly ValidationError[], parent?: string): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const constraints = Object.entries(error.constraints ?? {});
    const kind = constraints.filter(([name]) => KIND_CHECKS.has(name));
    const own = (kind.length > 0 ? kind : constraints).map(([, message]) => ({ field, message }));
    return [...own, ...fieldErrors(error.children ?? [], field)];
  });
}

/** The same as `path: message` lines. */
export function validationMessages(errors: readonly ValidationError[], parent?: string): string[] {
  return fieldErrors(errors, parent).map(({ field, message }) => `${field}: ${message}`);
}

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
    // A missing value is only missing: its kind is not wrong, it has none.
    const missing = constraints.filter(([name]) => name === 'isDefined');
    const kind = missing.length > 0 ? missing : constraints.filter(([name]) => KIND_CHECKS.has(name));
    const own = (kind.length > 0 ? kind : constraints).map(([, message]) => ({ field, message }));
    return [...own, ...fieldErrors(error.children ?? [], field)];
  });
}

/**
 * `field: message`, without the field twice where the message begins with it: "storeId must …" and
 * "storeId: 1-64 …" read as they are, and a nested field's message is given its whole path.
 */
export function describeFieldError({ field, message }: FieldError): string {
  const last = field.slice(field.lastIndexOf('.') + 1);
  for (const name of [field, last]) {
    if (message.startsWith(`${name}: `)) return `${field}: ${message.slice(name.length + 2)}`;
    if (message.startsWith(`${name} `)) return `${field}${message.slice(name.length)}`;
  }
  return `${field}: ${message}`;
}

/** The same as `path: message` lines. */
export function validationMessages(errors: readonly ValidationError[], parent?: string): string[] {
  return fieldErrors(errors, parent).map(describeFieldError);
}

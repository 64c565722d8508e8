import { instanceToPlain, plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { validationMessages } from './validation-messages';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses and validates an app's configuration once, at boot. The only reader of the environment:
 * everything else receives the typed result. Properties must be marked `@Expose()`; anything else in
 * the environment is ignored.
 */
export function loadConfig<T extends object>(schema: new () => T, env: Record<string, string | undefined>): T {
  const config = plainToInstance(schema, env, {
    excludeExtraneousValues: true,
    exposeDefaultValues: true,
    enableImplicitConversion: true,
  });
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (errors.length > 0) throw new ConfigError(validationMessages(errors.map(byVariable(config))));
  return config;
}

/**
 * Names each failed setting by its environment variable, which is what the operator sets, rather than by
 * the property: `@Expose({ name })` maps one to the other, and serialising an instance whose every value is
 * its own property name reads that map back without reaching into class-transformer's metadata (settings'
 * `@Transform`s parse the environment, so they are `toClassOnly` and leave those values alone).
 */
function byVariable<T extends object>(config: T) {
  const probe = Object.assign(Object.create(Object.getPrototypeOf(config) as object) as T, config);
  for (const property of Object.keys(config)) (probe as Record<string, unknown>)[property] = property;
  const plain = instanceToPlain(probe, { excludeExtraneousValues: true }) as Record<string, unknown>;
  const variables = new Map(Object.entries(plain).map(([variable, property]) => [String(property), variable]));
  return (error: ValidationError): ValidationError => {
    const variable = variables.get(error.property);
    if (!variable) return error;
    const constraints = Object.fromEntries(
      Object.entries(error.constraints ?? {}).map(([key, message]) => [key, message.replace(error.property, variable)]),
    );
    return Object.assign(Object.create(Object.getPrototypeOf(error) as object) as ValidationError, error, {
      property: variable,
      constraints,
    });
  };
}

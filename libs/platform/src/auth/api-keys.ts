import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ConfigError } from '../config/load-config';
import { validationMessages } from '../config/validation-messages';

/**
 * API keys are 256-bit random tokens, not passwords: a plain SHA-256 cannot be brute-forced back to one,
 * and looking the hash up in a map costs microseconds per request. A slow password hash (scrypt, argon2)
 * would protect nothing more and cost milliseconds on every payment.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new key: the prefix (`pos`, `op`), `_` and 32 random bytes in base64url. */
export function newApiKey(prefix = 'pos'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/**
 * `Authorization: Bearer <key>`: the key, or undefined for anything else. The scheme in any case and one or more
 * spaces before the key, as HTTP's authentication scheme is (RFC 9110, 11.1 and 11.4).
 */
export function bearerKey(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : /^bearer +([\x21-\x7e]{1,512})$/i.exec(authorization)?.[1];
}

/**
 * A JSON key file (POS clients, dashboard operators), validated into `type`; any mistake is a ConfigError
 * naming the variable that points to the file, so that the service stops at start-up and says why.
 */
export function readKeyFile<T extends object>(
  file: string,
  variable: string,
  type: ClassConstructor<T>,
  howToMake: string,
): T {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    // Docker mounts a missing host file as an empty directory: both mean the file was never made.
    if (code === 'ENOENT' || code === 'EISDIR')
      throw new ConfigError([`${variable} ${file} does not exist: ${howToMake}`]);
    throw new ConfigError([`${variable} ${file}: ${(error as Error).message}`]);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError([`${variable} ${file}: must be a JSON object`]);
  const parsed = plainToInstance(type, raw);
  const errors = validateSync(parsed, { forbidUnknownValues: true });
  if (errors.length > 0)
    throw new ConfigError(validationMessages(errors).map((message) => `${variable} ${file}: ${message}`));
  return parsed;
}

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { plainToInstance, Type } from 'class-transformer';
import { ArrayNotEmpty, IsArray, IsBoolean, IsOptional, Matches, ValidateNested, validateSync } from 'class-validator';
import { ConfigError, validationMessages } from '@app/platform';
import { PosClient } from './pos-client';

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

class PosClientEntry {
  @Matches(TOKEN, { message: 'id: 1-64 letters, digits, "_" or "-"' })
  id!: string;

  /** SHA-256 of the key, in hex: the key itself is never stored. */
  @Matches(/^[0-9a-f]{64}$/, { message: 'keySha256: 64 lower-case hex digits (npm run pos-key prints it)' })
  keySha256!: string;

  /** Store ids, or `["*"]` for every store. */
  @IsArray()
  @ArrayNotEmpty()
  @Matches(/^(\*|[A-Za-z0-9_-]{1,64})$/, { each: true, message: 'stores: store ids, or "*" for every store' })
  stores!: string[];

  @IsOptional()
  @IsBoolean()
  registry?: boolean;
}

class PosClientsFile {
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => PosClientEntry)
  clients!: PosClientEntry[];
}

/**
 * API keys are 256-bit random tokens, not passwords: a plain SHA-256 cannot be brute-forced back to one,
 * and looking the hash up in a map costs microseconds per request. A slow password hash (scrypt, argon2)
 * would protect nothing more and cost milliseconds on every payment.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new key: `pos_` and 32 random bytes in base64url. */
export function newApiKey(): string {
  return `pos_${randomBytes(32).toString('base64url')}`;
}

/** The POS clients by the hash of their key; any mistake in the file stops the service at start-up. */
export function loadPosClients(file: string): ReadonlyMap<string, PosClient> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    // Docker mounts a missing host file as an empty directory: both mean the file was never made.
    if (code === 'ENOENT' || code === 'EISDIR')
      throw new ConfigError([
        `POS_CLIENTS_FILE ${file} does not exist: make it with \`npm run pos-key\` (see deploy/pos-clients.example.json)`,
      ]);
    throw new ConfigError([`POS_CLIENTS_FILE ${file}: ${(error as Error).message}`]);
  }
  const parsed = plainToInstance(PosClientsFile, raw);
  const errors = typeof raw === 'object' && raw !== null ? validateSync(parsed, { forbidUnknownValues: true }) : [];
  if (typeof raw !== 'object' || raw === null || errors.length > 0) {
    const messages = errors.length > 0 ? validationMessages(errors) : ['must be a JSON object with "clients"'];
    throw new ConfigError(messages.map((message) => `POS_CLIENTS_FILE ${file}: ${message}`));
  }
  const clients = new Map<string, PosClient>();
  const ids = new Set<string>();
  for (const entry of parsed.clients) {
    if (ids.has(entry.id) || clients.has(entry.keySha256))
      throw new ConfigError([`POS_CLIENTS_FILE ${file}: client ${entry.id} or its key appears twice`]);
    ids.add(entry.id);
    const stores = entry.stores.includes('*') ? '*' : new Set(entry.stores);
    clients.set(entry.keySha256, new PosClient(entry.id, stores, entry.registry ?? false));
  }
  return clients;
}
